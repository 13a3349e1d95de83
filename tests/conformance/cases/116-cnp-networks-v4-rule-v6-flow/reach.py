# family 6. Admin y-v4-all-v6-z (namespace y), egress: Deny to
# 0.0.0.0/0 TCP 80 (never an IPv6 address); Deny to fd00::3:0/112 (z)
def egress(s, d, proto, port):
    if s.ns != "y":
        return True
    return walk(admin=[("Deny", False), ("Deny", d.ns == "z")])
