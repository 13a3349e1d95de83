def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (proto, port) == ("SCTP", 81)
    return True
