# Egress. Admin at priority 7, by name: m-deny (Deny to z), then
# n-accept (Accept to z), both on namespace y.
def egress(s, d, proto, port):
    admin = []
    if s.ns == "y":
        admin.append(("Deny", d.ns == "z"))
        admin.append(("Accept", d.ns == "z"))
    return walk(admin=admin)
