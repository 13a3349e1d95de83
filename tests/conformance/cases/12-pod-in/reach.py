def ingress(d, s, proto, port):
    if d.ns == "x" and d.name in ("a", "c"):
        return (s.ns, s.name) == ("x", "b")
    return True
