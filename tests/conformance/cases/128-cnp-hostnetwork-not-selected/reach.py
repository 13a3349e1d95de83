# x/h is not in the matrix (hostNetwork) and is no subject or peer.
# Admin z-no-a (namespace z), ingress: Deny from pods pod=a
def ingress(d, s, proto, port):
    if d.ns != "z":
        return True
    return walk(admin=[("Deny", s.name == "a")])
