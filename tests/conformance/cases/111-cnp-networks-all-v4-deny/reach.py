# Admin z-no-v4 (namespace z): egress Deny to 0.0.0.0/0
def egress(s, d, proto, port):
    if s.ns != "z":
        return True
    return walk(admin=[("Deny", True)])
