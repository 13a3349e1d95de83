# Admin z-from-y-ports (subject: namespace z), ingress, in order:
#   Accept from y, TCP 81
#   Deny from y, TCP 80-90
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "z":
        y = s.ns == "y"
        admin.append(("Accept", y and (proto, port) == ("TCP", 81)))
        admin.append(("Deny", y and proto == "TCP" and 80 <= port <= 90))
    return walk(admin=admin)
