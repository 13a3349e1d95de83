def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("z", "a"):
        return s.ns != "x" or s.name == "b"
    return True
