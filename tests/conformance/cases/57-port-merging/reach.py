def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (proto == "TCP" and 70 <= port <= 85) or proto == "UDP" or \
               (proto == "SCTP" and 79 <= port <= 80)
    return True
