# Admin xa-mixed (x/a), ingress: Deny from z on TCP 80, UDP 81-90 or
# SCTP 1-80
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("x", "a"):
        return True
    hit = ((proto == "TCP" and port == 80) or
           (proto == "UDP" and 81 <= port <= 90) or
           (proto == "SCTP" and 1 <= port <= 80))
    return walk(admin=[("Deny", s.ns == "z" and hit)])
