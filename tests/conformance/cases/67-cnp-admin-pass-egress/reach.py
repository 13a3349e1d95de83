# Admin, subject namespace x, egress:
#   priority 5 x-pass-y:   Pass to namespace y
#   priority 6 x-deny-all: Deny to every namespace
def egress(s, d, proto, port):
    admin = []
    if s.ns == "x":
        admin.append(("Pass", d.ns == "y"))
        admin.append(("Deny", True))
    return walk(admin=admin)
