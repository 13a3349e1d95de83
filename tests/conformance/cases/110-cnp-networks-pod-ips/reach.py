# Admin x-no-y-cidr (namespace x): egress Deny to 198.18.2.0/24 (y/*)
# and 198.18.3.3/32 (z/c), TCP
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    hit = d.ns == "y" or (d.ns, d.name) == ("z", "c")
    return walk(admin=[("Deny", hit and proto == "TCP")])
