# Admin y-pass-sctp81 (subject: namespace y), ingress, in order:
#   Pass from every namespace, SCTP 81
#   Deny from namespace z
def ingress(d, s, proto, port):
    admin = []
    if d.ns == "y":
        admin.append(("Pass", (proto, port) == ("SCTP", 81)))
        admin.append(("Deny", s.ns == "z"))
    return walk(admin=admin)
