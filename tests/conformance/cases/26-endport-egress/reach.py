def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return d.ns == "z" and proto == "UDP" and 80 <= port <= 81
    return True
