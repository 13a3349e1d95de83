# Ingress of the pods of z.
# Admin z-admin: Pass from x; Deny from y
# Baseline z-base: Deny from x or y
def ingress(d, s, proto, port):
    if d.ns != "z":
        return True
    return walk(admin=[("Pass", s.ns == "x"), ("Deny", s.ns == "y")],
                baseline=[("Deny", s.ns in ("x", "y"))])
