# Ingress.
# Admin xa-pass (x/a): Pass from everyone; Deny from y
# NetworkPolicy xa-from-y isolates x/a: allows y on TCP 80
# Baseline base-accept (everyone): Accept from everyone
def ingress(d, s, proto, port):
    admin, np, base = [], None, [("Accept", True)]
    if (d.ns, d.name) == ("x", "a"):
        admin = [("Pass", True), ("Deny", s.ns == "y")]
        np = s.ns == "y" and port == 80
    return walk(admin=admin, np=np, baseline=base)
