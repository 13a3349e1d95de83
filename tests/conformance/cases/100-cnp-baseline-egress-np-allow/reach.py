# Egress.
# NetworkPolicy z-udp80-to-x isolates the pods of z: allows UDP 80 to x
# Baseline no-udp (everyone): Deny UDP to everyone
def egress(s, d, proto, port):
    np = None
    if s.ns == "z":
        np = d.ns == "x" and (proto, port) == ("UDP", 80)
    return walk(np=np, baseline=[("Deny", proto == "UDP")])
