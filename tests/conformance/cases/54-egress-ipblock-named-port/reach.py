def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return (proto, port) == ("UDP", 80)
    return True
