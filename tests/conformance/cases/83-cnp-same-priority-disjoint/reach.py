# Ingress, all at priority 15 (disjoint: their order does not matter):
#   same-subject-1 (x): Deny from y, TCP 80
#   same-subject-2 (x): Deny from z, UDP 80
#   other-subject  (z): Deny from y, UDP 80
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "x":
        admin.append(("Deny", s.ns == "y" and proto == "TCP"))
        admin.append(("Deny", s.ns == "z" and proto == "UDP"))
    if d.ns == "z":
        admin.append(("Deny", s.ns == "y" and proto == "UDP"))
    return walk(admin=admin)
