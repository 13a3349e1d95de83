# Admin xb-in-deny (x/b): ingress Deny from everyone; no egress rule.
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("x", "b"):
        return True
    return walk(admin=[("Deny", True)])
