def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        if port == 80:
            return d.ns != "y" or d.name == "b"
        return d.ns == "y"
    return True
