# Ingress.
# NetworkPolicy y-from-x-80 isolates the pods of y: allows x on TCP 80
# Baseline default-deny (everyone): Deny from everyone
def ingress(d, s, proto, port):
    np = None
    if d.ns == "y":
        np = s.ns == "x" and port == 80
    return walk(np=np, baseline=[("Deny", True)])
