# Admin y-deny-z-udp81 (subject: namespace y), egress:
#   Deny to namespace z, UDP 81
def egress(s, d, proto, port):
    admin = []
    if s.ns == "y":
        admin.append(("Deny", d.ns == "z" and (proto, port) == ("UDP", 81)))
    return walk(admin=admin)
