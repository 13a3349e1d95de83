def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return ((s.ns, s.name) == ("x", "b") or s.ns == "z") and \
               (proto, port) in (("TCP", 80), ("UDP", 81))
    return True
