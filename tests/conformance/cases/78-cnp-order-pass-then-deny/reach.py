# Subject namespace y, ingress.
# Admin y-pass-x: Pass from x; Deny from x or z
# Baseline base-y: Accept from z; Deny from x/a on TCP 81
def ingress(d, s, proto, port):
    admin, base = [], []
    if d.ns == "y":
        admin.append(("Pass", s.ns == "x"))
        admin.append(("Deny", s.ns in ("x", "z")))
        base.append(("Accept", s.ns == "z"))
        base.append(("Deny", (s.ns, s.name) == ("x", "a") and
                     (proto, port) == ("TCP", 81)))
    return walk(admin=admin, baseline=base)
