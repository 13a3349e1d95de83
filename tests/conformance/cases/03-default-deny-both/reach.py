def egress(s, d, proto, port):
    return s.ns != "x"
def ingress(d, s, proto, port):
    return d.ns != "x"
