# family 6. Admin x-no-v6-udp (namespace x): egress Deny to ::/0, UDP
def egress(s, d, proto, port):
    if s.ns != "x":
        return True
    return walk(admin=[("Deny", proto == "UDP")])
