# Egress of the pods of y.
# Admin y-pass-udp: Pass to everyone, UDP
# NetworkPolicy tcp-to-z isolates them: allows TCP to z
# Baseline base-udp: Accept to everyone, UDP
def egress(s, d, proto, port):
    if s.ns != "y":
        return True
    return walk(admin=[("Pass", proto == "UDP")],
                np=d.ns == "z" and proto == "TCP",
                baseline=[("Accept", proto == "UDP")])
