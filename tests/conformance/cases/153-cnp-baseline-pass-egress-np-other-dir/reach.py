# The pods of z.
# egress: Baseline 1 z-pass-sctp: Pass to x, SCTP 80; 2 z-deny-xy: Deny
#         to x or y
# ingress: NetworkPolicy z-from-z isolates them: allows the pods of z
def egress(s, d, proto, port):
    if s.ns != "z":
        return True
    return walk(baseline=[("Pass", d.ns == "x" and proto == "SCTP"),
                          ("Deny", d.ns in ("x", "y"))])
def ingress(d, s, proto, port):
    if d.ns != "z":
        return True
    return walk(np=s.ns == "z")
