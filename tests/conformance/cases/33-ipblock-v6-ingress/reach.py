# family 6
def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return s.ns == "y"
    return True
