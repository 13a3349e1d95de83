# Admin exprs (pods b, c of x and z), egress: Deny to pods a, b of y, z
def egress(s, d, proto, port):
    if s.ns not in ("x", "z") or s.name == "a":
        return True
    return walk(admin=[("Deny", d.ns != "x" and d.name in ("a", "b"))])
