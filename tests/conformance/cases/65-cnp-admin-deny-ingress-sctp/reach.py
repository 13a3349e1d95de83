# Admin za-deny-x-sctp (subject: z/a), ingress:
#   Deny from namespace x, SCTP 80 or SCTP 81
def ingress(d, s, proto, port):
    admin = []
    if (d.ns, d.name) == ("z", "a"):
        admin.append(("Deny", s.ns == "x" and proto == "SCTP" and
                      port in (80, 81)))
    return walk(admin=admin)
