# Egress. Admin, by priority:
#   1 p1-pass     (z/b):            Pass to x, TCP 80
#   2 p2-deny-x   (namespace z):    Deny to x
#   3 p3-deny-all (pods b, any ns): Deny to everything
def egress(s, d, proto, port):
    admin = []
    if (s.ns, s.name) == ("z", "b"):
        admin.append(("Pass", d.ns == "x" and (proto, port) == ("TCP", 80)))
    if s.ns == "z":
        admin.append(("Deny", d.ns == "x"))
    if s.name == "b":
        admin.append(("Deny", True))
    return walk(admin=admin)
