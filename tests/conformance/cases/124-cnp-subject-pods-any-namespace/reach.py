# Admin c-no-x (pods pod=c, every namespace), ingress: Deny from x
def ingress(d, s, proto, port):
    if d.name != "c":
        return True
    return walk(admin=[("Deny", s.ns == "x")])
