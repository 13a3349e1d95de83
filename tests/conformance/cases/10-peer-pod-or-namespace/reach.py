def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns == "y" or (s.ns, s.name) == ("x", "b")
    return True
