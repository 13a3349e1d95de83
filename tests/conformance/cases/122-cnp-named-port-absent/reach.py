# Baseline no-metrics-from-z (every namespace), ingress: Deny from z on
# "metrics" (only x/c has it: TCP/81)
def ingress(d, s, proto, port):
    named = 81 if (d.ns, d.name) == ("x", "c") else None
    return walk(baseline=[("Deny", s.ns == "z" and port == named)])
