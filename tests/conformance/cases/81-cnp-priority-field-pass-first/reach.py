# Subject namespace y, ingress.
# Admin: 40 pass-x: Pass from x; 50 deny-x: Deny from x
# Baseline: base-accept-x: Accept from x; Deny from every namespace
def ingress(d, s, proto, port):
    admin, base = [], []
    if d.ns == "y":
        admin.append(("Pass", s.ns == "x"))
        admin.append(("Deny", s.ns == "x"))
        base.append(("Accept", s.ns == "x"))
        base.append(("Deny", True))
    return walk(admin=admin, baseline=base)
