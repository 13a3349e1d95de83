def ingress(d, s, proto, port):
    if d.ns == "x":
        return port == (81 if d.name == "b" else 80)
    return True
