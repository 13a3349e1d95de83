def ingress(d, s, proto, port):
    return (d.ns, d.name) != ("x", "a")
