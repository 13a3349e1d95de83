# Admin xc-nested (x/c), egress: Deny 198.18.2.0/24 (y); Accept
# 198.18.2.1/32 or 198.18.0.0/16 (every pod); Deny 0.0.0.0/0
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "c"):
        return True
    return walk(admin=[("Deny", d.ns == "y"), ("Accept", True),
                       ("Deny", True)])
