def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("y", "a"):
        return s.ns == "x" and s.name in ("a", "b")
    return True
