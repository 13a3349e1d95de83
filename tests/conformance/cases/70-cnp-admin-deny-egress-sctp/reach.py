# Admin z-no-sctp-out (subject: namespace z), egress:
#   Deny to namespace x or y, SCTP any port
def egress(s, d, proto, port):
    admin = []
    if s.ns == "z":
        admin.append(("Deny", d.ns in ("x", "y") and proto == "SCTP"))
    return walk(admin=admin)
