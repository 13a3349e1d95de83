# Admin, subject z/a, ingress:
#   priority 1 za-accept-x-tcp: Accept from namespace x, TCP any port
#   priority 2 za-deny-all:     Deny from every namespace
def ingress(d, s, proto, port):
    admin = []
    if (d.ns, d.name) == ("z", "a"):
        admin.append(("Accept", s.ns == "x" and proto == "TCP"))
        admin.append(("Deny", True))
    return walk(admin=admin)
