def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return d.ns == "y"
    return True
def ingress(d, s, proto, port):
    return (d.ns, d.name) != ("x", "a")
