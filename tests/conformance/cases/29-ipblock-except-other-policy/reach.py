def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        if s.ns == "z":
            return (proto, port) == ("TCP", 80)
        return True
    return True
