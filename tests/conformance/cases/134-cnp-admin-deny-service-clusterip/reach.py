# Admin x-not-y (namespace x), egress: Deny to y
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(admin=[("Deny", d.ns == "y")])
