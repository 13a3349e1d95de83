def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return ((s.ns, s.name) == ("x", "b") and (proto, port) == ("TCP", 80)) or \
               (s.ns == "y" and (proto, port) == ("UDP", 81)) or \
               ((s.ns, s.name) == ("x", "c") and (proto, port) == ("SCTP", 80))
    return True
