def egress(s, d, proto, port):
    if s.ns == "x":
        return d.ns == "y"
    return True
