# Egress, both at priority 15, disjoint subjects:
#   xa-not-y (x/a): Deny to y, TCP 80
#   za-not-y (z/a): Deny to y, TCP 81
def egress(s, d, proto, port):
    admin = []
    if (s.ns, s.name) == ("x", "a"):
        admin.append(("Deny", d.ns == "y" and port == 80))
    if (s.ns, s.name) == ("z", "a"):
        admin.append(("Deny", d.ns == "y" and port == 81))
    return walk(admin=admin)
