# Ingress of the pods of x.
# NetworkPolicy xa-deny isolates x/a and allows nothing
# Baseline x-base: Accept from x or y; Deny from z
def ingress(d, s, proto, port):
    if d.ns != "x":
        return True
    np = False if d.name == "a" else None
    return walk(np=np, baseline=[("Accept", s.ns in ("x", "y")),
                                 ("Deny", s.ns == "z")])
