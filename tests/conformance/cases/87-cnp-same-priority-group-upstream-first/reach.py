# Subject namespace z, ingress, priority 3, name "same":
#   upstream group first: Deny from x, TCP 80
#   then the AWS group:   Accept from x, TCP 80-81; Deny from y
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "z":
        admin.append(("Deny", s.ns == "x" and port == 80))
        admin.append(("Accept", s.ns == "x" and 80 <= port <= 81))
        admin.append(("Deny", s.ns == "y"))
    return walk(admin=admin)
