def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns in ("x", "z")
    if (d.ns, d.name) == ("x", "b"):
        return False
    return True
