# The pods of x.
# ingress: NetworkPolicy x-in-all isolates and allows everyone;
#          Baseline x-base: Deny from y (never reached)
# egress:  no NetworkPolicy; Baseline x-base: Deny to z
def ingress(d, s, proto, port):
    if d.ns != "x":
        return True
    return walk(np=True, baseline=[("Deny", s.ns == "y")])
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(baseline=[("Deny", d.ns == "z")])
