# Admin x-range (namespace x), ingress: Deny from y, TCP 80-81
def ingress(d, s, proto, port):
    if d.ns != "x":
        return True
    return walk(admin=[("Deny", s.ns == "y" and proto == "TCP" and
                        80 <= port <= 81)])
