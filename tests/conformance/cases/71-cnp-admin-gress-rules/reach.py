# Admin yb-gress (subject: y/b)
#   ingress: Deny from namespace x, TCP 80
#   egress:  Deny to namespace z, UDP 80-81
def ingress(d, s, proto, port):
    admin = []
    if (d.ns, d.name) == ("y", "b"):
        admin.append(("Deny", s.ns == "x" and (proto, port) == ("TCP", 80)))
    return walk(admin=admin)
def egress(s, d, proto, port):
    admin = []
    if (s.ns, s.name) == ("y", "b"):
        admin.append(("Deny", d.ns == "z" and proto == "UDP" and
                      80 <= port <= 81))
    return walk(admin=admin)
