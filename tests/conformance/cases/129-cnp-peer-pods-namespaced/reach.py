# Admin xa-peers (x/a), ingress: Deny from y/b or any pod c
def ingress(d, s, proto, port):
    if (d.ns, d.name) != ("x", "a"):
        return True
    return walk(admin=[("Deny", (s.ns, s.name) == ("y", "b") or
                        s.name == "c")])
