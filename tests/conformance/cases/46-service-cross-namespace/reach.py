def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return d.ns == "y" and (proto, port) == ("UDP", 81)
    return True
