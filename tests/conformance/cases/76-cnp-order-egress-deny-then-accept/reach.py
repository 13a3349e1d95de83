# Admin x-egress-order (subject: namespace x), egress, in order:
#   Deny to pods pod=b (every namespace)
#   Accept to namespace y
#   Deny to every namespace
def egress(s, d, proto, port):
    admin = []
    if s.ns == "x":
        admin.append(("Deny", d.name == "b"))
        admin.append(("Accept", d.ns == "y"))
        admin.append(("Deny", True))
    return walk(admin=admin)
