def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns == "y"
    return True
def egress(s, d, proto, port):
    if (s.ns, s.name) == ("y", "a"):
        return d.ns == "z"
    return True
