# Admin xc-nested (x/c), egress: Accept 198.18.2.1/32 (y/a); Deny
# 198.18.2.0/24 (the pods of y)
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "c"):
        return True
    return walk(admin=[("Accept", (d.ns, d.name) == ("y", "a")),
                       ("Deny", d.ns == "y")])
