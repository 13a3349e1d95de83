# Egress:
#   Admin x-no-80 (namespace x): Deny to 0.0.0.0/0 or ::/0 (every pod),
#   TCP 80
# Ingress:
#   Admin y-pass-z (namespace y): Pass from z on UDP 81; Deny from z
#   NetworkPolicy za isolates z/a: allows x
#   Baseline base (every namespace): Deny from pods pod=c
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(admin=[("Deny", (proto, port) == ("TCP", 80))])
def ingress(d, s, proto, port):
    admin, np = [], None
    if d.ns == "y":
        admin = [("Pass", s.ns == "z" and (proto, port) == ("UDP", 81)),
                 ("Deny", s.ns == "z")]
    if (d.ns, d.name) == ("z", "a"):
        np = s.ns == "x"
    return walk(admin=admin, np=np, baseline=[("Deny", s.name == "c")])
