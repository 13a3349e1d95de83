# Admin y-empty-peers (namespace y), ingress: Accept from nothing; Deny
# from z; Accept from nothing; Deny from everyone on TCP 81
def ingress(d, s, proto, port):
    if d.ns != "y":
        return True
    return walk(admin=[("Accept", False), ("Deny", s.ns == "z"),
                       ("Accept", False), ("Deny", port == 81)])
