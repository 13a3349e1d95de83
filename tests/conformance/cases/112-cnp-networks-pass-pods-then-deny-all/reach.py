# egress: Admin y-pods-only (namespace y): Pass to every pod; Deny to
#         0.0.0.0/0
# ingress: NetworkPolicy xb-from-z isolates x/b: allows z
def egress(s, d, proto, port):
    if s.ns != "y":
        return True
    return walk(admin=[("Pass", True), ("Deny", True)])
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("x", "b"):
        return True
    return walk(np=s.ns == "z")
