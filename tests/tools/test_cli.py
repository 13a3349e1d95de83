#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The netpol tool's compiler commands: exit codes and output, TAP.

usage: test_cli.py NETPOL SRCDIR"""
import json
import os
import subprocess
import sys
import tempfile

netpol, src = sys.argv[1:3]
stars = sorted(os.path.join(src, "examples", "stars", f)
               for f in os.listdir(os.path.join(src, "examples", "stars"))
               if f.endswith(".yaml"))
results = []


def run(*args, stdin=None, timeout=60):
    try:
        return subprocess.run([netpol] + list(args), capture_output=True,
                              text=True, input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, -1, "", "timed out")


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


r = run("--version")
check("version", r.returncode == 0 and r.stdout.startswith("netpol 0."))
r = run("--help")
check("help lists every command", r.returncode == 0 and all(
    c in r.stdout for c in ("validate", "endpoints", "compile", "maps",
                            "verdict", "matrix", "attach", "apply", "flows",
                            "metrics", "verify", "explain")), r.stdout)
r = run("no-such-command")
check("unknown command exits 2", r.returncode == 2)
r = run("detach", "--ifname", "npt-none-\x1b")
check("detach of an interface that is not there says so (escaped), exit 2",
      r.returncode == 2 and "no interface npt-none-\\x1b" in r.stderr and
      "usage" not in r.stderr, r.stderr)
r = run("attach", "--ifname", "npt-none", "--revoke", "maybe")
check("--revoke: a bad value is named with the accepted ones, exit 2",
      r.returncode == 2 and r.stderr == "netpol: attach: --revoke: invalid "
      "value 'maybe' (expected on or off)\n", r.stderr)
r = run("status", "--source-check", "off", "--pin-root",
        "/sys/fs/bpf/netpol-none-%d" % os.getpid())
check("status refuses the options that change the node, exit 2",
      r.returncode == 2 and "--source-check" in r.stderr, r.stderr)
r = run("attach", "--ifname", "npt-none", "--hook", "xdp")
check("attach --hook: a bad value is named with the accepted ones, exit 2",
      r.returncode == 2 and r.stderr == "netpol: attach: --hook: invalid "
      "value 'xdp' (expected auto, tcx or tc)\n", r.stderr)

# issue 16: help for every command, bad values and unknown options named
r = run("--help")
commands = [line.split()[0] for line in
            r.stdout.split("commands:\n", 1)[-1].split("\n\n", 1)[0]
            .splitlines() if line.strip()]
check("--help lists the 17 commands", len(commands) == 17, commands)
check("help alone is --help", run("help").stdout == r.stdout and
      run("help").returncode == 0)
META_VALUE = {"NS/NAME": "a/b", "N": "1", "N,...": "80", "P,...": "TCP",
              "P": "TCP", "SEC": "1", "IP": "198.18.0.1", "IF": "lo"}
for c in commands:
    h = run(c, "--help")
    h2 = run("help", c)
    h3 = run(c, "-h")
    lines = h.stdout.splitlines()
    check(f"{c} --help: usage, a paragraph, exit 0, nothing on stderr",
          h.returncode == 0 and not h.stderr and
          lines[0].startswith(f"usage: netpol {c}") and
          len(lines) > 3 and "See netpol(8)." in h.stdout, h.stdout + h.stderr)
    check(f"help {c} and {c} -h print the same as {c} --help",
          h2.stdout == h.stdout and h3.stdout == h.stdout and
          h2.returncode == 0 and h3.returncode == 0)
    # --help wins over anything else, even a bad value
    h4 = run(c, "--pin-root", "/nonexistent", "-o", "xml", "--help")
    check(f"{c} ... --help: only the help, exit 0",
          h4.returncode == 0 and h4.stdout == h.stdout and not h4.stderr,
          h4.stderr)
    u = run(c, "--bogus-option")
    check(f"{c}: an unknown option is named, exit 2",
          u.returncode == 2 and
          f"netpol: {c}: unrecognized option '--bogus-option'" in u.stderr,
          u.stderr)
    # every option the help lists is one the command parses: given with
    # a valid value before an unknown option, only the unknown is named
    opts = [l.split()[:3] for l in lines if l.startswith("  -")]
    for o in opts:
        name = o[1] if o[0].endswith(",") else o[0]
        meta = o[2] if o[0].endswith(",") and len(o) > 2 else \
            (o[1] if not o[0].endswith(",") and len(o) > 1 else None)
        args = [name]
        if meta:
            args.append(meta.split("|")[0] if "|" in meta and
                        meta != "NS/POD|IP" else META_VALUE.get(meta, "x"))
        u = run(c, *args, "--zz-unknown", timeout=10)
        check(f"{c} {' '.join(args)}: the command parses it",
              u.returncode == 2 and "'--zz-unknown'" in u.stderr and
              f"'{name}'" not in u.stderr and "invalid value" not in
              u.stderr, u.stderr)
r = run("help", "nosuch")
check("help NOSUCH: names the command, exit 2",
      r.returncode == 2 and not r.stdout and
      r.stderr == "netpol: help: unknown command 'nosuch'\n", r.stderr)
bad_values = [
    (("compile", "-o", "xml"), "-o", "xml", "text, yaml or json"),
    (("compile", "--output=xml"), "--output", "xml", "text, yaml or json"),
    (("compile", "--pod", "nope"), "--pod", "nope",
     "NS/NAME: a namespace, a slash and a name"),
    (("compile", "--source", "x"), "--source", "x", "policies or endpoints"),
    (("endpoints", "-o", "text"), "-o", "text", "yaml or json"),
    (("maps", "-o", "yaml"), "-o", "yaml", "text or json"),
    (("verdict", "--protocol", "ICMP"), "--protocol", "ICMP",
     "TCP, UDP or SCTP (any case)"),
    (("verdict", "--port", "80x"), "--port", "80x",
     "a whole number from 1 to 65535"),
    (("matrix", "--family", "5"), "--family", "5", "4 or 6"),
    (("matrix", "--ports", "80,0"), "--ports", "80,0",
     "a comma-separated list of at most 64 numbers from 1 to 65535"),
    (("matrix", "-P", "TCP,ICMP"), "-P", "TCP,ICMP",
     "a comma-separated list of at most 3 of TCP, UDP or SCTP (any case)"),
    (("attach", "--mode", "lenient"), "--mode", "lenient",
     "standard or strict"),
    (("attach", "--ct-size", "0"), "--ct-size", "0",
     "a whole number from 1 to 67108864"),
    (("apply", "--source-check", "yes"), "--source-check", "yes",
     "on or off"),
    (("detach", "--ifindex", "abc"), "--ifindex", "abc",
     "a whole number from 1 to 2147483647"),
    (("status", "-o", "yaml"), "-o", "yaml", "text or json"),
    (("status", "--pod", "x"), "--pod", "x",
     "NS/NAME: a namespace, a slash and a name"),
    (("dump", "--direction", "up"), "--direction", "up", "ingress or egress"),
    (("verify", "-o", "xml"), "-o", "xml", "text or json"),
    (("flows", "--verdict", "maybe"), "--verdict", "maybe",
     "allow, deny or accept (any case)"),
    (("flows", "--rate", "0"), "--rate", "0",
     "a number above 0, at most 1000000"),
    (("flows", "-o", "yaml"), "-o", "yaml", "json or text"),
    (("explain", "--port", "70000"), "--port", "70000",
     "a whole number from 0 to 65535"),
    (("explain", "--protocol", "GRE"), "--protocol", "GRE",
     "TCP, UDP, SCTP, ICMP or ICMPv6 (any case), or a protocol number "
     "from 1 to 255"),
    (("repair", "--pin-root"), None, None, None),
]
for args, opt, val, exp in bad_values:
    r = run(*args)
    if opt is None:
        check(f"{' '.join(args)}: a missing value is named, exit 2",
              r.returncode == 2 and "requires an argument" in r.stderr and
              "pin-root" in r.stderr, r.stderr)
        continue
    want = (f"netpol: {args[0]}: {opt}: invalid value '{val}' "
            f"(expected {exp})\n")
    check(f"{' '.join(args)}: the option, the value and what it accepts, "
          "exit 2", r.returncode == 2 and r.stderr == want and not r.stdout,
          r.stderr)
r = run("validate", "--bogus")
check("validate: an option is not taken for a file",
      r.returncode == 2 and "unrecognized option '--bogus'" in r.stderr,
      r.stderr)
r = run("status", "extra", "--pin-root", "/nonexistent")
check("status: an extra argument is named, exit 2",
      r.returncode == 2 and "unexpected argument 'extra'" in r.stderr,
      r.stderr)
r = run("status", "--pod", "x/nope", "--pin-root",
        "/sys/fs/bpf/netpol-none-%d" % os.getpid())
check("status --pod without a datapath: no datapath, exit 2",
      r.returncode == 2 and "no datapath" in r.stderr, r.stderr)

r = run("validate", *stars)
check("validate: valid manifests exit 0", r.returncode == 0 and not r.stderr,
      r.stderr)
bad = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
       "metadata: {name: web}\nspec:\n  podSelector: {}\n  ingress:\n"
       "  - ports:\n    - port: 80\n      endPort: 70\n")
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write(bad)
r = run("validate", f.name)
want = (f"{f.name}:9:16: NetworkPolicy default/web: "
        "spec.ingress[0].ports[0].endPort: Invalid value: 70: must be "
        "greater than or equal to `port`\n")
check("validate: bad endPort, file:line:col, path, reason, exit 1",
      r.returncode == 1 and r.stderr == want, repr(r.stderr))
r = run("validate", "-", stdin=bad)
check("validate: stdin", r.returncode == 1 and r.stderr.startswith("-:9:16:"),
      r.stderr)
os.unlink(f.name)
# issue 15: ClusterNetworkPolicies are validated, every problem reported
cnp = ("apiVersion: policy.networking.k8s.io/v1alpha2\n"
       "kind: ClusterNetworkPolicy\nmetadata: {name: block}\nspec:\n"
       "  tier: Admin\n  priority: 1001\n  subject: {namespaces: {}}\n"
       "  egress:\n  - action: Deny\n    to: [{networks: [10.0.0.0/8]}]\n"
       "    protocols: [{destinationNamedPort: http}]\n")
r = run("validate", "-", stdin=cnp)
want = ("-:6:13: ClusterNetworkPolicy block: spec.priority: Invalid value: "
        "1001: spec.priority in body should be less than or equal to "
        "1000\n"
        "-:9:5: ClusterNetworkPolicy block: spec.egress[0]: Invalid value: "
        "\"object\": networks/nodes/domainNames peer cannot be set with "
        "namedPorts since there are no namedPorts for "
        "networks/nodes/domainNames\n")
check("validate: ClusterNetworkPolicy bounds and CEL rules, exit 1",
      r.returncode == 1 and r.stderr == want, repr(r.stderr))
r = run("validate", "-", stdin=cnp.replace("1001", "1000").replace(
    "destinationNamedPort: http", "tcp: {destinationPort: {number: 53}}"))
check("validate: a valid ClusterNetworkPolicy exits 0",
      r.returncode == 0 and not r.stderr, r.stderr)
# issue 15: the tiers are folded into the rule set compile and verdict use
tiered = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n"
          "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, "
          "labels: {pod: a}}\nspec: {containers: [{name: c}]}\n"
          "status: {phase: Running, podIP: 198.18.1.1}\n---\n"
          "apiVersion: policy.networking.k8s.io/v1alpha2\n"
          "kind: ClusterNetworkPolicy\nmetadata: {name: no-http}\nspec:\n"
          "  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n"
          "  egress:\n  - action: Deny\n    to: [{networks: [0.0.0.0/0]}]\n"
          "    protocols: [{tcp: {destinationPort: {number: 80}}}]\n")
r = run("compile", "-", "--pod", "x/a", stdin=tiered)
check("compile: an Admin port Deny is a default-allow /0 key with spans",
      r.returncode == 0 and "0.0.0.0/0" in r.stdout and
      "TCP 81 - 255 65535" in r.stdout and
      "default (no tier decided)" in r.stdout, r.stdout + r.stderr)
r = run("verdict", "-", "--from", "x/a", "--to", "192.0.2.1", "--port", "80",
        stdin=tiered)
r2 = run("verdict", "-", "--from", "x/a", "--to", "192.0.2.1", "--port", "81",
         stdin=tiered)
check("verdict: the Admin Deny denies TCP 80, TCP 81 is allowed",
      r.returncode != 0 and r2.returncode == 0, r.stdout + r2.stdout)
check("verdict: a denied flow names the cnp rule and the tier",
      r.stdout.split("\n")[0].endswith(
          "by cnp/no-http egress[0] (Admin) tier ADMIN") and
      r2.stdout.split("\n")[0].endswith("tier DEFAULT") and
      "    cnp/no-http egress[0]: cluster-deny: Admin tier, action Deny\n"
      in r.stdout, r.stdout + r2.stdout)
tie = tiered.replace("name: no-http", "name: b-second") + "---\n" + \
    tiered[tiered.index("apiVersion: policy"):].replace(
        "name: no-http", "name: a-first")
r = run("validate", "-", stdin=tie)
warns = [l for l in r.stderr.splitlines() if "warning:" in l]
check("validate: two Admin policies at one priority, one warning, exit 0",
      r.returncode == 0 and len(warns) == 1 and
      "cnp/a-first and cnp/b-second: both Admin priority 1 with egress "
      "rules for x/a" in warns[0] and
      warns[0].endswith("cnp/a-first goes first (name order)"), r.stderr)
r = run("compile", "-", "--pod", "x/a", stdin=tiered.replace(
    "networks: [0.0.0.0/0]", "domainNames: [example.com]"))
check("compile: a Deny with domainNames fails closed, named, exit 2",
      r.returncode == 2 and "cnp/no-http spec.egress[0].to[0]" in r.stderr
      and "domainNames" in r.stderr and "Pod x/a" in r.stderr, r.stderr)
nodes = tiered.replace("networks: [0.0.0.0/0]",
                       "nodes: {matchLabels: {role: db}}")
r = run("compile", "-", "--pod", "x/a", stdin=nodes)
check("compile: a Deny of nodes without any Node fails closed, exit 2",
      r.returncode == 2 and "(nodes)" in r.stderr and "Pod x/a" in r.stderr,
      r.stderr)
node = ("apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: "
        "{role: db}}\nstatus: {addresses: [{type: InternalIP, address: "
        "198.18.0.7}, {type: ExternalIP, address: 198.19.0.300}]}\n---\n")
r = run("validate", "-", stdin=node)
check("validate: a Node's address is checked, with its path",
      r.returncode != 0 and "Node n1: status.addresses[1].address: "
      "Invalid value: \"198.19.0.300\"" in r.stderr, r.stderr)
r = run("verdict", "-", "--from", "x/a", "--to", "198.18.0.7", "--port",
        "80", stdin=node.replace("198.19.0.300", "198.19.0.7") + nodes)
r2 = run("verdict", "-", "--from", "x/a", "--to", "198.18.0.8", "--port",
         "80", stdin=node.replace("198.19.0.300", "198.19.0.7") + nodes)
check("verdict: a Deny of nodes denies the Node's address, not another",
      r.returncode != 0 and r2.returncode == 0, r.stdout + r2.stdout)
r = run("validate", "/nonexistent.yaml")
check("validate: missing file reported", r.returncode != 0 and
      "/nonexistent.yaml" in r.stderr, r.stderr)

# issue 13 item 4: the 24-slot overflow apply hits, validate reports
wide = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, "
        "labels: {pod: a}}\nspec: {containers: [{name: c}]}\n"
        "status: {phase: Running, podIP: 198.18.1.1}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: wide, namespace: x}\nspec:\n"
        "  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - ports:\n" +
        "".join(f"    - port: {1000 + 2 * i}\n" for i in range(25)))
r = run("validate", "-", stdin=wide)
check("validate: 25 port ranges under one prefix: exit 1, names policy, "
      "pod and prefix",
      r.returncode == 1 and "x/wide" in r.stderr and "x/a" in r.stderr and
      "0.0.0.0/0" in r.stderr and "24" in r.stderr, repr(r.stderr))

# issue 13 item 6: two pods with one address, validate warns naming both
dup = ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n"
       "spec: {containers: [{name: c}]}\n"
       "status: {phase: Running, podIP: 198.18.1.1}\n---\n"
       "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: y}\n"
       "spec: {containers: [{name: c}]}\n"
       "status: {phase: Running, podIP: 198.18.1.1}\n")
r = run("validate", "-", stdin=dup)
check("validate: two pods with one IP, a warning naming both",
      "x/a" in r.stderr and "y/b" in r.stderr and "198.18.1.1" in r.stderr,
      repr(r.stderr))

# issue 13 item 9: names from manifests are escaped in diagnostics
hostile = ('apiVersion: v1\nkind: Namespace\n'
           'metadata: {name: "a\\u0085b\\nFAKE\\e[31m\\\\"}\n')
r = subprocess.run([netpol, "validate", "-"], capture_output=True,
                   input=hostile.encode(), timeout=60)
try:
    err = r.stderr.decode("utf-8")
except UnicodeDecodeError:
    err = None
check("validate: a hostile name is escaped: one line, no control, UTF-8",
      r.returncode == 1 and err is not None and
      err.count("\n") == 1 and err.endswith("\n") and
      not any(ord(ch) < 0x20 and ch != "\n" or 0x7f <= ord(ch) <= 0x9f
              for ch in err) and "a\\xc2\\x85b\\x0aFAKE\\x1b[31m\\\\"
      in err, repr(r.stderr))

# issue 13 item 10: flows --output refuses a symlink, creates 0600
with tempfile.TemporaryDirectory() as d:
    target, link = os.path.join(d, "target"), os.path.join(d, "flows.log")
    os.symlink(target, link)
    r = run("flows", "--output", link, "--pin-root",
            os.path.join(d, "no-datapath"))
    check("flows --output: a symlink is refused, nothing created through it",
          r.returncode == 2 and "flows.log" in r.stderr and
          "symbolic link" in r.stderr and not os.path.exists(target),
          repr(r.stderr))
    new = os.path.join(d, "new.log")
    old_umask = os.umask(0)
    try:
        r = run("flows", "--output", new, "--pin-root",
                os.path.join(d, "no-datapath"))
    finally:
        os.umask(old_umask)
    mode = os.stat(new).st_mode & 0o777 if os.path.exists(new) else None
    check("flows --output: a new file is created mode 0600",
          mode == 0o600, f"mode {mode and oct(mode)}")
    os.mkfifo(os.path.join(d, "fifo"))
    r = run("flows", "--output", os.path.join(d, "fifo"), "--pin-root",
            os.path.join(d, "no-datapath"), timeout=5)
    check("flows --output: not a regular file, refused",
          r.returncode == 2 and "regular file" in r.stderr, repr(r.stderr))

r = run("endpoints", "-o", "json", *stars)
pe = json.loads(r.stdout) if r.returncode == 0 else {}
check("endpoints: 6 PolicyEndpoints as a List",
      pe.get("kind") == "List" and len(pe.get("items", [])) == 6 and
      all(i["apiVersion"] == "networking.k8s.aws/v1alpha1"
          for i in pe["items"]), r.stderr)

r = run("compile", *stars, "--pod", "stars/backend-sz87q")
check("compile: backend rule set text",
      r.returncode == 0 and "198.18.0.12/32" in r.stdout and
      "TCP 6379" in r.stdout and "stars/backend-policy ingress[0]" in
      r.stdout, r.stdout)
r = run("compile", *stars, "-o", "json")
check("compile: every pod as JSON", r.returncode == 0 and
      len(json.loads(r.stdout)) == 4, r.stderr)
r = run("compile", *stars, "--pod", "stars/nope")
check("compile: unknown pod exits 2", r.returncode == 2 and
      "Not found" in r.stderr, r.stderr)

r = run("maps", *stars, "--pod", "stars/backend-sz87q")
check("maps: dump-maps style text", r.returncode == 0 and
      "Key : 198.18.0.12/32  Value : TCP/6379-6379" in r.stdout, r.stdout)

# ClusterNetworkPolicy: endpoints append ClusterPolicyEndpoints; maps
# --layout eks shows the agent's cp maps; --diff holds the policies against
# the endpoints
cnp = ("apiVersion: policy.networking.k8s.io/v1alpha2\n"
       "kind: ClusterNetworkPolicy\nmetadata: {name: no-redis}\n"
       "spec:\n  tier: Admin\n  priority: 1\n"
       "  subject: {pods: {podSelector: {}}}\n  ingress:\n"
       "  - {action: Deny, from: [{namespaces: {}}], protocols: "
       "[{tcp: {destinationPort: {range: {start: 6379, end: 6380}}}}]}\n")
agent_cpe = ("apiVersion: networking.k8s.aws/v1alpha1\n"
             "kind: ClusterPolicyEndpoint\nmetadata: {name: by-hand}\n"
             "spec:\n  policyRef: {name: no-redis}\n  tier: Admin\n"
             "  priority: 1\n  podSelectorEndpoints: [{hostIP: 198.19.0.1, "
             "podIP: 198.18.0.11, name: backend-sz87q, namespace: stars}]\n"
             "  ingress: [{action: Deny, cidr: 0.0.0.0/0}]\n")
with tempfile.TemporaryDirectory() as d:
    cnp_file = os.path.join(d, "cnp.yaml")
    with open(cnp_file, "w") as f:
        f.write(cnp)
    cpe_file = os.path.join(d, "cpe.yaml")
    with open(cpe_file, "w") as f:
        f.write(agent_cpe)
    r = run("endpoints", "-o", "json", *stars, cnp_file)
    items = json.loads(r.stdout).get("items", []) if r.returncode == 0 else []
    cpes = [i for i in items if i["kind"] == "ClusterPolicyEndpoint"]
    check("endpoints: PolicyEndpoints, then one ClusterPolicyEndpoint",
          len(items) == 7 and items[-1] is (cpes or [None])[0] and
          cpes[0]["spec"]["policyRef"] == {"name": "no-redis"} and
          cpes[0]["spec"]["tier"] == "Admin" and
          cpes[0]["spec"]["priority"] == 1 and
          len(cpes[0]["spec"]["podSelectorEndpoints"]) == 4 and
          all(e["action"] == "Deny" and e["ports"] == [
              {"protocol": "TCP", "port": 6379, "endPort": 6380}]
              for e in cpes[0]["spec"]["ingress"]), r.stdout + r.stderr)
    r = run("maps", *stars, cnp_file, "--pod", "stars/backend-sz87q",
            "--layout", "eks")
    cp = r.stdout.split("cp_ingress_map\n")[-1].split("cp_egress_map")[0]
    check("maps --layout eks: the cp maps, Deny ranges at rank 0",
          r.returncode == 0 and "ingress_map\n  Key : " in r.stdout and
          "TCP 6379-6380 Deny@0" in cp and "ANY Accept@1" in cp and
          "\ncp_egress_map\n  Key : 0.0.0.0/0  Value : ANY Accept@0"
          in r.stdout, r.stdout + r.stderr)
    r = run("maps", *stars, cnp_file, "--pod", "stars/backend-sz87q",
            "--layout", "eks", "-o", "json")
    m = json.loads(r.stdout) if r.returncode == 0 else {}
    check("maps --layout eks -o json: four maps, cp slots with priority",
          sorted(m) == ["cp_egress_map", "cp_ingress_map", "egress_map",
                        "ingress_map"] and
          {"protocol": 6, "priority": 0, "start_port": 6379,
           "end_port": 6380} in [e for e in m["cp_ingress_map"] if
                                 e["key"] == "198.18.0.10/32"][0]["slots"],
          r.stdout + r.stderr)
    r = run("maps", *stars, "--pod", "stars/backend-sz87q", "--layout", "eks")
    check("maps --layout eks: no tiers, no cp entry",
          r.returncode == 0 and
          r.stdout.endswith("cp_ingress_map\ncp_egress_map\n"), r.stdout)
    r = run("maps", *stars, cnp_file, "--pod", "stars/backend-sz87q",
            "--diff", "--layout", "eks")
    check("maps --diff: the resolved endpoints agree, exit 0",
          r.returncode == 0 and r.stdout == "", r.stdout + r.stderr)
    r = run("maps", *stars, cnp_file, cpe_file, "--pod",
            "stars/backend-sz87q", "--diff", "--layout", "eks")
    check("maps --diff: endpoints given that disagree, exit 1",
          r.returncode == 1 and "cp_ingress_map 198.18.0.10/32" in r.stdout,
          r.stdout + r.stderr)
    r = run("maps", *stars, "--pod", "stars/backend-sz87q", "--layout", "x")
    check("maps --layout: a bad value is named with the accepted ones, "
          "exit 2", r.returncode == 2 and r.stderr ==
          "netpol: maps: --layout: invalid value 'x' (expected netpol or "
          "eks)\n", r.stderr)

r = run("verdict", *stars, "--from", "client/client-xlffc", "--to",
        "stars/frontend-cscnf", "--port", "80")
check("verdict: allowed exits 0", r.returncode == 0 and
      r.stdout.startswith("ALLOW"), r.stdout)
r = run("verdict", *stars, "--from", "client/client-xlffc", "--to",
        "stars/backend-sz87q", "--port", "6379")
check("verdict: denied exits 1", r.returncode == 1 and
      r.stdout.startswith("DENY"), r.stdout)
r = run("verdict", *stars, "--from", "client/client-xlffc", "--to",
        "stars/backend-sz87q", "--port", "6379", "--protocol", "ICMP")
check("verdict: bad protocol exits 2", r.returncode == 2, r.stderr)

# issue 16: attribution. The scenario: db-1 allows pg from app=web, the
# web pod is labelled app=frontend by mistake.
shop = (
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
    "apiVersion: v1\nkind: Pod\n"
    "metadata: {name: db-1, namespace: shop, labels: {app: db}}\n"
    "spec: {containers: [{name: pg, ports: [{name: pg, "
    "containerPort: 5432}]}]}\n"
    "status: {phase: Running, podIP: 198.18.0.2}\n---\n"
    "apiVersion: v1\nkind: Pod\n"
    "metadata: {name: web-1, namespace: shop, labels: {app: frontend}}\n"
    "spec: {containers: [{name: web}]}\n"
    "status: {phase: Running, podIP: 198.18.0.3}\n---\n"
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: db-from-web, namespace: shop}\nspec:\n"
    "  podSelector: {matchLabels: {app: db}}\n"
    "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
    "    ports: [{port: pg}]\n")
why = ("    shop/db-from-web ingress[0] from[0]: pod-selector-none: "
       "podSelector app=web matches no pod in namespace shop\n")
r = run("verdict", "-", "--from", "shop/web-1", "--to", "shop/db-1",
        "--port", "5432", stdin=shop)
check("verdict: a deny names the isolating policy and why its rule missed",
      r.returncode == 1 and r.stdout.startswith(
          "DENY shop/web-1 -> shop/db-1 TCP/5432: no-match (ingress of "
          "shop/db-1) tier NETWORK_POLICY\n") and
      "  ingress of shop/db-1: DENY no-match tier NETWORK_POLICY\n"
      "    isolated by shop/db-from-web\n" + why in r.stdout and
      "  egress of shop/web-1: ALLOW not-isolated tier DEFAULT\n"
      in r.stdout, r.stdout + r.stderr)
r = run("verdict", "-", "--from", "198.18.0.3", "--to", "198.18.0.2",
        "--port", "5432", stdin=shop)
check("verdict: pod addresses are the pods", r.returncode == 1 and
      why in r.stdout, r.stdout + r.stderr)
r = run("verdict", "-", "--from", "203.0.113.9", "--to", "shop/db-1",
        "--port", "5432", stdin=shop)
check("verdict: an outside address is not a pod of the selector",
      r.returncode == 1 and "from[0]: not-a-pod: podSelector app=web "
      "selects pods; 203.0.113.9 is not a pod of the snapshot" in r.stdout
      and "egress of" not in r.stdout, r.stdout + r.stderr)
r = run("verdict", "-", "--from", "shop/web-1", "--to", "shop/db-1",
        "--port", "5432", "-o", "json", stdin=shop)
try:
    doc = json.loads(r.stdout)
    side = doc["sides"][1]
    f = side["findings"][0]
    ok = (doc["allowed"] is False and doc["from"] == {
        "endpoint": "shop/web-1", "pod": "shop/web-1", "ip": "198.18.0.3"}
        and doc["protocol"] == "TCP" and doc["port"] == 5432 and
        doc["sides"][0]["direction"] == "egress" and
        side["direction"] == "ingress" and side["pod"] == "shop/db-1" and
        side["allowed"] is False and side["reason"] == "no-match" and
        side["tier"] == "NETWORK_POLICY" and
        side["isolatedBy"] == ["shop/db-from-web"] and
        f["policy"] == "shop/db-from-web" and f["rule"] == 0 and
        f["peer"] == 0 and f["ruleName"] is None and
        f["reason"] == "pod-selector-none" and f["pods"] == [] and
        f["podCount"] == 0 and "matches no pod" in f["detail"])
except (ValueError, LookupError, TypeError):
    ok = False
check("verdict -o json: the ATTRIBUTION schema of netpol(8), exit 1",
      ok and r.returncode == 1, r.stdout + r.stderr)
r = run("verdict", "-", "--from", "shop/web-1", "--to", "shop/db-1",
        "--port", "5432", "-o", "yaml", stdin=shop)
check("verdict -o yaml", r.returncode == 1 and
      "reason: pod-selector-none" in r.stdout, r.stdout + r.stderr)
fixed = shop.replace("app: frontend", "app: web")
r = run("verdict", "-", "--from", "shop/web-1", "--to", "shop/db-1",
        "--port", "5432", stdin=fixed)
check("verdict: an allow names the policy and rule", r.returncode == 0 and
      "    allowed by shop/db-from-web ingress[0]\n" in r.stdout,
      r.stdout + r.stderr)
for args, msg in ((("--port", "0"), "--port: invalid value '0' (expected a "
                   "whole number from 1 to 65535)"),
                  (("--port", "80x"), "--port: invalid value '80x'"),
                  (("--port", "80", "--protocol", "ICMP"),
                   "--protocol: invalid value 'ICMP' (expected TCP, UDP or "
                   "SCTP"),
                  (("--port", "80", "-o", "xml"),
                   "-o: invalid value 'xml' (expected text, json or yaml)"),
                  (("--port", "80", "--source", "x"),
                   "--source: invalid value 'x' (expected policies or "
                   "endpoints)")):
    r = run("verdict", "-", "--from", "shop/web-1", "--to", "shop/db-1",
            *args, stdin=shop)
    check("verdict: bad %s is named with the accepted values" % args[-2],
          r.returncode == 2 and msg in r.stderr, r.stderr)
r = run("compile", "-", "--pod", "shop/db-1", stdin=shop)
check("compile --pod: a line names the isolating policy per direction",
      r.returncode == 0 and r.stdout.startswith(
          "pod shop/db-1 (198.18.0.2) ruleset ") and
      "ingress: isolated\negress: not isolated (all allowed)\n"
      "ingress isolated by shop/db-from-web\n" in r.stdout and
      "egress isolated by" not in r.stdout, r.stdout + r.stderr)
r = run("compile", "-", "--pod", "x/a", stdin=tiered)
check("compile --pod: cluster policies named with their tier",
      "egress isolated by cnp/no-http (Admin)\n" in r.stdout, r.stdout)
r = run("explain", "--pod", "shop/db-1", "--peer", "shop/web-1", "--port",
        "5432", "--direction", "sideways")
check("explain: a bad --direction is named with the accepted values",
      r.returncode == 2 and "--direction: invalid value 'sideways' "
      "(expected ingress or egress)" in r.stderr, r.stderr)

r = run("matrix", *stars, "--ports", "80", "-o", "json")
cells = json.loads(r.stdout) if r.returncode == 0 else []
check("matrix: 16 cells, client->frontend:80 allowed",
      len(cells) == 16 and any(
          c["from"] == "client/client-xlffc" and
          c["to"] == "stars/frontend-cscnf" and c["allowed"]
          for c in cells), r.stderr)

# issue 13 item 9: a PolicyEndpoint's policyRef is not a validated name,
# so hostile bytes reach every output that names the policy (compile,
# verdict; the same text as explain and flow events): C0, ESC, DEL, C1
# (NEL), U+2028, a backslash and a quote
hostile_pe = (
    "apiVersion: v1\nkind: Pod\n"
    "metadata: {name: a, namespace: x, labels: {app: web}}\n"
    "spec: {containers: [{name: c}]}\n"
    "status: {phase: Running, hostIP: 198.19.255.1, podIP: 198.18.1.1}\n"
    "---\napiVersion: networking.k8s.aws/v1alpha1\nkind: PolicyEndpoint\n"
    "metadata: {name: pe1, namespace: x}\nspec:\n"
    '  policyRef: {name: "p\\u0085ol\\nFAKE\\e[31m\\u2028\\x7f\\\\\\"", '
    "namespace: x}\n"
    "  podSelector: {matchLabels: {app: web}}\n"
    "  podSelectorEndpoints: [{podIP: 198.18.1.1, name: a, namespace: x}]\n"
    "  podIsolation: [Ingress]\n"
    "  ingress: [{cidr: 198.18.1.0/24, ports: [{port: 80, protocol: TCP}]}]"
    "\n")
hostile_name = "p\u0085ol\nFAKE\x1b[31m\u2028\x7f\\\""
hostile_text = ("x/p\\xc2\\x85ol\\x0aFAKE\\x1b[31m\\xe2\\x80\\xa8\\x7f\\\\\" "
                "ingress[0]")


def raw_bytes(*args):
    r = subprocess.run([netpol] + list(args), capture_output=True,
                       input=hostile_pe.encode(), timeout=60)
    try:
        return r.returncode, r.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return r.returncode, None


def clean_text(out, json_too=False):
    """UTF-8, no control but the line ends (JSON: no U+2028/9 either)."""
    return out is not None and not any(
        (ord(ch) < 0x20 and ch != "\n") or 0x7f <= ord(ch) <= 0x9f or
        (json_too and ch in "\u2028\u2029") for ch in out)


rc, out = raw_bytes("compile", "--source", "endpoints", "-")
check("compile text: a hostile policy name is escaped",
      rc == 0 and clean_text(out) and hostile_text in out, repr(out))
rc, out = raw_bytes("compile", "--source", "endpoints", "-o", "json", "-")
try:
    doc = json.loads(out)
    src = doc[0]["ingress"]["keys"][0]["from"]
except (TypeError, ValueError, LookupError):
    src = None
check("compile -o json: a hostile policy name, escaped, valid JSON",
      rc == 0 and clean_text(out, True) and src == hostile_text,
      repr(out))
rc, out = raw_bytes("compile", "--source", "endpoints", "-o", "yaml", "-")
try:
    import yaml
    ydoc = yaml.safe_load(out)
    ysrc = ydoc["ingress"]["keys"][0]["from"]
except ImportError:
    ysrc = hostile_text
except Exception:
    ysrc = None
check("compile -o yaml: a hostile policy name, escaped, valid YAML",
      rc == 0 and clean_text(out) and ysrc == hostile_text, repr(out))
rc, out = raw_bytes("verdict", "--source", "endpoints", "--from",
                    "198.18.1.9", "--to", "x/a", "--port", "80", "-")
check("verdict: a hostile policy name is escaped, one line each",
      rc == 0 and clean_text(out) and
      hostile_text in out.split("\n")[0] and
      "    allowed by " + hostile_text + "\n" in out, repr(out))
check("the hostile manifest loads (the name is really hostile)",
      "\x1b" in hostile_name and "\u0085" in hostile_name)

print(f"1..{len(results)}")
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        for line in str(detail).splitlines()[:6]:
            print(f"# {line}")
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
