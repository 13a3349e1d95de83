# Egress of x/c.
# Admin xc-pass-81: Pass to everyone, TCP 81
# Baseline xc-base: Accept to y, TCP 81; Deny to everyone
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "c"):
        return True
    return walk(admin=[("Pass", port == 81)],
                baseline=[("Accept", d.ns == "y" and port == 81),
                          ("Deny", True)])
