# Egress of x/a. Admin xa-to-z: Accept to z. NetworkPolicy xa-no-egress
# isolates x/a and allows nothing.
def egress(s, d, proto, port):
    if (s.ns, s.name) != ("x", "a"):
        return True
    return walk(admin=[("Accept", d.ns == "z")], np=False)
