# Baseline y-udp-81-82 (namespace y), egress: Accept UDP 81-82; Deny all
def egress(s, d, proto, port):
    if s.ns != "y":
        return True
    return walk(baseline=[("Accept", proto == "UDP" and 81 <= port <= 82),
                          ("Deny", True)])
