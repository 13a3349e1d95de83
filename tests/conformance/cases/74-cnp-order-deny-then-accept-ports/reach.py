# Admin z-from-y-ports (subject: namespace z), ingress, in order:
#   Deny from y, TCP 81
#   Accept from y, TCP 80-90
#   Deny from y
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "z":
        y = s.ns == "y"
        admin.append(("Deny", y and (proto, port) == ("TCP", 81)))
        admin.append(("Accept", y and proto == "TCP" and 80 <= port <= 90))
        admin.append(("Deny", y))
    return walk(admin=admin)
