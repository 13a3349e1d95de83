# ingress: Admin z-in-all (namespace z): Accept from everyone
# egress:  NetworkPolicy yc-to-x isolates y/c: allows x
#          Baseline x-base-no-z (namespace x): Deny to z
def ingress(d, s, proto, port):
    if d.ns != "z":
        return True
    return walk(admin=[("Accept", True)])
def egress(s, d, proto, port):
    if (s.ns, s.name) == ("y", "c"):
        return walk(np=d.ns == "x")
    if s.ns == "x":
        return walk(baseline=[("Deny", d.ns == "z")])
    return True
