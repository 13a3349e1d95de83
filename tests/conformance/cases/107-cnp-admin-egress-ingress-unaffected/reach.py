# Admin yc-out-deny (y/c): egress Deny to every pod; no ingress rule.
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("y", "c"):
        return True
    return walk(admin=[("Deny", True)])
