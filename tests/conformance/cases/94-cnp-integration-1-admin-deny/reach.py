# Ingress of the pods of z.
# Admin admin-x-z: Deny from x
# NetworkPolicy allow-x isolates them: allows x
# Baseline base-x-z: Deny from x
def ingress(d, s, proto, port):
    if d.ns != "z":
        return True
    return walk(admin=[("Deny", s.ns == "x")], np=s.ns == "x",
                baseline=[("Deny", s.ns == "x")])
