# Subject namespace y, ingress.
# Admin: 50 deny-x: Deny from x; 60 pass-x: Pass from x
# Baseline: base-accept-x: Accept from x
def ingress(d, s, proto, port):
    admin, base = [], []
    if d.ns == "y":
        admin.append(("Deny", s.ns == "x"))
        admin.append(("Pass", s.ns == "x"))
        base.append(("Accept", s.ns == "x"))
    return walk(admin=admin, baseline=base)
