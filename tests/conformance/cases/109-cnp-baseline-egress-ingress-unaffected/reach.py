# Baseline z-out-base (namespace z): egress Deny to x; no ingress rule.
def egress(s, d, proto, port):
    if s.ns != "z":
        return True
    return walk(baseline=[("Deny", d.ns == "x")])
