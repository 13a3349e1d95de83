def ingress(d, s, proto, port):
    if d.ns == "x":
        return (proto, port) == ("SCTP", 80)
    return True
