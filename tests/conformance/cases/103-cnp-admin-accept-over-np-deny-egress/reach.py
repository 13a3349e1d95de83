# Egress of x/a.
# Admin xa-udp-to-y: Accept to y, UDP
# NetworkPolicy xa-out isolates x/a: allows TCP 80 to the pods of x
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "a"):
        return True
    return walk(admin=[("Accept", d.ns == "y" and proto == "UDP")],
                np=d.ns == "x" and (proto, port) == ("TCP", 80))
