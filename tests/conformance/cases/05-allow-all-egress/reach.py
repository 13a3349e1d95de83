def ingress(d, s, proto, port):
    return d.ns != "x"
