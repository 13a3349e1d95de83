# family 6
def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns == "y" or (s.ns, s.name) == ("x", "b")
    return True
def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "b"):
        return d.ns == "z" and proto == "UDP"
    return True
