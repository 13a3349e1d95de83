# Ingress. Admin at priority 7, by name: m-accept (Accept from x), then
# n-deny (Deny from x), both on namespace y. Baseline base (every
# namespace): Deny from x.
def ingress(d, s, proto, port):
    admin, base = [], []
    if d.ns == "y":
        admin.append(("Accept", s.ns == "x"))
        admin.append(("Deny", s.ns == "x"))
    base.append(("Deny", s.ns == "x"))
    return walk(admin=admin, baseline=base)
