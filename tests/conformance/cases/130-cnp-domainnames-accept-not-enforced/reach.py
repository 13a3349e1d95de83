# Admin xb-dns (x/b), egress: Accept to (domain names: nothing) or y;
# Deny to every address
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "b"):
        return True
    return walk(admin=[("Accept", d.ns == "y"), ("Deny", True)])
