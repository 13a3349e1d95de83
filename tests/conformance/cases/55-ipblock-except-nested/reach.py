def egress(s, d, proto, port):
    if (s.ns, s.name) == ("y", "a"):
        if proto == "TCP":
            return d.ns == "y" or (d.ns == "x" and d.name in ("a", "c"))
        return d.ns == "x" and d.name in ("b", "c")
    return True
