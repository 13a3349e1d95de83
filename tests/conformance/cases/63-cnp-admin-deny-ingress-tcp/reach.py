# Admin x-deny-y-tcp80 (subject: namespace x), ingress:
#   Deny from namespace y, TCP 80
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "x":
        admin.append(("Deny", s.ns == "y" and (proto, port) == ("TCP", 80)))
    return walk(admin=admin)
