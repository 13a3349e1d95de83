def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "b"):
        return (s.ns, s.name) == ("x", "a")
    return True
