# Admin xa-named-out (x/a), egress: Accept to z on serve-81-udp (z/a:
# UDP/81, z/b: none, z/c: UDP/80); Deny to everyone
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "a"):
        return True
    named = {"a": 81, "b": None, "c": 80}.get(d.name) if d.ns == "z" \
        else None
    return walk(admin=[("Accept", named == port), ("Deny", True)])
