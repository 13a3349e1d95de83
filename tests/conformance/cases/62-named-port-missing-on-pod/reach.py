def ingress(d, s, proto, port):
    if d.ns == "z":
        return d.name != "b" and (proto, port) == ("SCTP", 81)
    return True
