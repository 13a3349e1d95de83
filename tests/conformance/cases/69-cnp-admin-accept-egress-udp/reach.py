# Admin xb-only-udp80-to-z (subject: x/b), egress, in order:
#   Accept to namespace z, UDP 80
#   Deny to every pod
def egress(s, d, proto, port):
    admin = []
    if (s.ns, s.name) == ("x", "b"):
        admin.append(("Accept", d.ns == "z" and (proto, port) == ("UDP", 80)))
        admin.append(("Deny", True))
    return walk(admin=admin)
