def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return d.ns == "y"
    if (s.ns, s.name) == ("x", "b"):
        return d.ns in ("y", "z")
    return True
