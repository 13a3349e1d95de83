# Ingress of the pods of y.
# Admin y-accept-z-81: Accept from z, TCP 81
# NetworkPolicy deny-all isolates them and allows nothing
def ingress(d, s, proto, port):
    if d.ns != "y":
        return True
    return walk(admin=[("Accept", s.ns == "z" and port == 81)], np=False)
