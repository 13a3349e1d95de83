# Baseline x-in-base (namespace x): ingress Deny from namespaces whose
# label ns is not x; no egress rule.
def ingress(d, s, proto, port):
    if d.ns != "x":
        return True
    return walk(baseline=[("Deny", s.ns != "x")])
