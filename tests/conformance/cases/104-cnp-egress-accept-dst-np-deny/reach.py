# egress: Admin x-out-all (namespace x): Accept to everyone
# ingress: Admin yb-no-x (y/b): Deny from x
#          NetworkPolicy za-from-y isolates z/a: allows y
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(admin=[("Accept", True)])
def ingress(d, s, proto, port):
    if (d.ns, d.name) == ("y", "b"):
        return walk(admin=[("Deny", s.ns == "x")])
    if (d.ns, d.name) == ("z", "a"):
        return walk(np=s.ns == "y")
    return True
