# No pod is a subject of either policy: no rule applies anywhere.
def ingress(d, s, proto, port):
    return walk()
def egress(s, d, proto, port):
    return walk()
