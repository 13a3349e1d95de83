# Ingress of the pods of y.
# Admin admin-late (1000): Accept from x, TCP 81
# Baseline baseline-early (0): Deny from x
def ingress(d, s, proto, port):
    if d.ns != "y":
        return True
    return walk(admin=[("Accept", s.ns == "x" and port == 81)],
                baseline=[("Deny", s.ns == "x")])
