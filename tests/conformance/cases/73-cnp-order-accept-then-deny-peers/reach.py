# Admin xc-order (subject: x/c), ingress, in the order written:
#   Accept from pods pod=a in every namespace
#   Deny from namespace y
def ingress(d, s, proto, port):
    admin = []
    if (d.ns, d.name) == ("x", "c"):
        admin.append(("Accept", s.name == "a"))
        admin.append(("Deny", s.ns == "y"))
    return walk(admin=admin)
