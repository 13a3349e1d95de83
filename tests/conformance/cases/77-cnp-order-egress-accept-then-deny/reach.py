# Admin x-egress-order (subject: namespace x), egress, in order:
#   Accept to namespace y
#   Deny to pods pod=b (every namespace)
#   Deny to every namespace, TCP 81
def egress(s, d, proto, port):
    admin = []
    if s.ns == "x":
        admin.append(("Accept", d.ns == "y"))
        admin.append(("Deny", d.name == "b"))
        admin.append(("Deny", (proto, port) == ("TCP", 81)))
    return walk(admin=admin)
