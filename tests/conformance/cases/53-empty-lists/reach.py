def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return port == 81
    if (d.ns, d.name) == ("x", "b"):
        return False
    if (d.ns, d.name) == ("x", "c"):
        return (s.ns, s.name) == ("x", "a")
    return True
