def egress(s, d, proto, port):
    return s.ns != "x"
