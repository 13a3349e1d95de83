# Admin y-named-in (namespace y), ingress: Deny from x on serve-80-tcp,
# which is TCP/81 on y/b and TCP/80 on y/a and y/c
def ingress(d, s, proto, port):
    if d.ns != "y":
        return True
    named = 81 if d.name == "b" else 80
    return walk(admin=[("Deny", s.ns == "x" and (proto, port) ==
                        ("TCP", named))])
