# family 6
def egress(s, d, proto, port):
    return (s.ns, s.name) != ("x", "a")
