# The Stars demo, step by step (see steps). No policy ever has Egress, so
# egress is open throughout and only the destination's ingress decides;
# management-ui is never selected, so everyone may reach it.
PODS = [Pod("client", "client-xlffc"),
        Pod("management-ui", "management-ui-qrb2g"),
        Pod("stars", "backend-sz87q"),
        Pod("stars", "frontend-cscnf")]

def ui(s):
    # namespaceSelector role=management-ui: the management-ui namespace
    return s.ns == "management-ui"

def open_all(d, s, proto, port):
    return True

def deny(d, s, proto, port):
    # 01: podSelector {} in stars and in client, no rules: ingress deny-all
    return d.ns not in ("stars", "client")

def allow_ui(d, s, proto, port):
    # 02: plus allow-ui in both: every port from the management-ui namespace
    return deny(d, s, proto, port) or ui(s)

def backend(d, s, proto, port):
    # 03: plus backend admits role=frontend pods of stars on TCP/6379
    return allow_ui(d, s, proto, port) or (
        d.name.startswith("backend-") and
        (s.ns, s.name) == ("stars", "frontend-cscnf") and
        (proto, port) == ("TCP", 6379))

def frontend(d, s, proto, port):
    # 04: plus frontend admits the namespace role=client on TCP/80
    return backend(d, s, proto, port) or (
        d.name.startswith("frontend-") and s.ns == "client" and
        (proto, port) == ("TCP", 80))

def egress(s, d, proto, port):
    return True

STEPS = {
    "step0-resources.txt": (egress, open_all),
    "step1-default-deny.txt": (egress, deny),
    "step2-allow-ui.txt": (egress, allow_ui),
    "step3-backend-policy.txt": (egress, backend),
    "step4-frontend-policy.txt": (egress, frontend),
}
