# Subject namespace x, ingress, by priority:
#   5  z-accept: Accept from y/a, TCP 80
#   10 a-deny:   Deny from namespace y
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "x":
        admin.append(("Accept", (s.ns, s.name) == ("y", "a") and
                      (proto, port) == ("TCP", 80)))
        admin.append(("Deny", s.ns == "y"))
    return walk(admin=admin)
