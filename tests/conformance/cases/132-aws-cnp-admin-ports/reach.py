# Admin zc-aws (z/c), ingress: Accept from x on TCP 80; Deny from x or y
# on UDP 80-81; Deny from x
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("z", "c"):
        return True
    return walk(admin=[("Accept", s.ns == "x" and (proto, port) ==
                        ("TCP", 80)),
                       ("Deny", s.ns in ("x", "y") and proto == "UDP"),
                       ("Deny", s.ns == "x")])
