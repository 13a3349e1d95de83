def egress(s, d, proto, port):
    if (s.ns, s.name) == ("x", "a"):
        return (d.ns, d.name) == ("x", "b")
    return True  # x/c: every peer on TCP/80; y/a: every pod on TCP/80
