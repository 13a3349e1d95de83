def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return False
    if d.ns == "y":
        return s.ns == "y"
    return True
