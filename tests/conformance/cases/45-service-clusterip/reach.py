def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return (d.ns, d.name) == ("x", "b") and (proto, port) == ("TCP", 80)
    return True
