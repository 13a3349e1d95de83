# Admin xc-order (subject: x/c), ingress, in the order written:
#   Deny from namespace y
#   Accept from pods pod=a (namespaceSelector omitted: every namespace)
#   Deny from every namespace
def ingress(d, s, proto, port):
    admin = []
    if (d.ns, d.name) == ("x", "c"):
        admin.append(("Deny", s.ns == "y"))
        admin.append(("Accept", s.name == "a"))
        admin.append(("Deny", True))
    return walk(admin=admin)
