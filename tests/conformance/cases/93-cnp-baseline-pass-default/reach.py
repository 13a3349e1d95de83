# Ingress of y/a.
# Admin ya-pass-all: Pass from everyone
# Baseline 1 ya-base-pass: Pass from x, TCP 80; 2 ya-base-deny: Deny all
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("y", "a"):
        return True
    return walk(admin=[("Pass", True)],
                baseline=[("Pass", s.ns == "x" and port == 80),
                          ("Deny", True)])
