def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (s.ns, s.name) == ("y", "b")
    return True
