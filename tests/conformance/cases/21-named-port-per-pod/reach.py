def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        if d.ns != "z" or proto != "UDP":
            return False
        return {"a": 81, "b": None, "c": 80}[d.name] == port
    return True
