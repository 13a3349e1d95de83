def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (proto, port) == ("TCP", 80)
    return True
