# Egress of the pods of x.
# Admin x-pass (AWS): Pass to y on serve-81-tcp (TCP/81 on every pod)
# Baseline 1 x-base-accept: Accept to y, TCP 81
# Baseline 2 x-base-deny (AWS): Deny to y or z
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(admin=[("Pass", d.ns == "y" and port == 81)],
                baseline=[("Accept", d.ns == "y" and port == 81),
                          ("Deny", d.ns in ("y", "z"))])
