# Admin y-nodes (namespace y), egress: Accept to (nodes: nothing) or z on
# TCP 80; Deny to every pod
def egress(s, d, proto, port):
    if s.ns != "y":
        return True
    return walk(admin=[("Accept", d.ns == "z" and port == 80),
                       ("Deny", True)])
