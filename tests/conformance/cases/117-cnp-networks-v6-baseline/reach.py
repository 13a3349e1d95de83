# family 6. Baseline zb-base-v6 (z/b), egress: Accept fd00::1:1/128 (x/a)
# TCP 81; Deny fd00::/8 (every pod)
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("z", "b"):
        return True
    return walk(baseline=[("Accept", (d.ns, d.name) == ("x", "a") and
                           port == 81), ("Deny", True)])
