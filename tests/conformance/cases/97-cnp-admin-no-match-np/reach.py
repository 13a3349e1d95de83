# Ingress.
# Admin xb-no-81-from-z (x/b): Deny from z, TCP 81
# NetworkPolicy xb-from-y-z isolates x/b: allows y and z
# Baseline base-all (everyone): Accept from everyone
def ingress(d, s, proto, port):
    admin, np = [], None
    if (d.ns, d.name) == ("x", "b"):
        admin = [("Deny", s.ns == "z" and port == 81)]
        np = s.ns in ("y", "z")
    return walk(admin=admin, np=np, baseline=[("Accept", True)])
