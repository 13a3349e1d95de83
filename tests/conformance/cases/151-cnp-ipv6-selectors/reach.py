# family 6.
# ingress: Admin x-no-udp-from-y (namespace x): Deny from y, UDP
# egress:  Admin za-only-xb (z/a): Accept to x/b; Deny to every pod
def ingress(d, s, proto, port):
    if d.ns != "x":
        return True
    return walk(admin=[("Deny", s.ns == "y" and proto == "UDP")])
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("z", "a"):
        return True
    return walk(admin=[("Accept", (d.ns, d.name) == ("x", "b")),
                       ("Deny", True)])
