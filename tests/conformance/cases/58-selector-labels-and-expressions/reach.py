def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns == "z" and s.name in ("b", "c")
    return True
