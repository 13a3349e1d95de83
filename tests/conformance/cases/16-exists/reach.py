def ingress(d, s, proto, port):
    if d.ns == "z":
        return (s.ns, s.name) in (("x", "a"), ("x", "b"))
    return True
