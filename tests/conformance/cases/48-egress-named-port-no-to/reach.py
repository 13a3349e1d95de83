def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return (proto, port) == ("TCP", 81)
    return True
