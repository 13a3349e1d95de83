# Subject namespace x, egress, priority 3, name "same":
#   upstream: Accept to y, UDP any port
#   AWS:      Deny to y
def egress(s, d, proto, port):
    admin = []
    if s.ns == "x":
        admin.append(("Accept", d.ns == "y" and proto == "UDP"))
        admin.append(("Deny", d.ns == "y"))
    return walk(admin=admin)
