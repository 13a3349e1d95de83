#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The netpol tool's datapath commands against the real kernel (issue 16):
the summary lines of attach, apply, detach and destroy and -q; status,
dump and verify -o json; --pod naming a pod that is not attached;
metrics --listen scraped with curl after real packets were dropped. TAP.

The process moves itself into a new network namespace first (the veth
pair and everything attached to it vanish with it) and uses its own pin
root, /sys/fs/bpf/netpol-clitest-<pid>, destroyed at the end; pin roots
of earlier runs that died are removed. It skips (1..0 # SKIP) where
namespaces or bpf() are refused. Run as root, under the lock of the
integration suite.

usage: test_cli_datapath.py NETPOL"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import sys
import tempfile

CLONE_NEWNET = 0x40000000
BPFFS = "/sys/fs/bpf"
PREFIX = "netpol-clitest-"
PIN = os.path.join(BPFFS, f"{PREFIX}{os.getpid()}")
HOST_IF, POD_IF = "npc-host", "npc-pod"
POD4, POD6 = "198.18.0.2", "fd00::2"
netpol = os.path.abspath(sys.argv[1])
results = []

MANIFEST = f"""apiVersion: v1
kind: Namespace
metadata: {{name: x}}
---
apiVersion: v1
kind: Pod
metadata: {{name: b, namespace: x, labels: {{app: b}}}}
spec: {{containers: [{{name: c}}]}}
status: {{phase: Running, podIP: {POD4}, podIPs: [{{ip: {POD4}}}, {{ip: '{POD6}'}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: only-80, namespace: x}}
spec:
  podSelector: {{matchLabels: {{app: b}}}}
  policyTypes: [Ingress]
  ingress:
  - from: [{{ipBlock: {{cidr: 198.18.1.0/24}}}}]
    ports: [{{protocol: TCP, port: 80}}]
"""


def skip(why):
    print(f"1..0 # SKIP {why}")
    sys.exit(0)


def run(*args, timeout=60):
    try:
        return subprocess.run([netpol, *args, "--pin-root", PIN],
                              capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, -1, "", "timed out")


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def ip(*args):
    subprocess.run(["ip", *args], check=True, timeout=10,
                   capture_output=True)


def stale_pins():
    try:
        names = os.listdir(BPFFS)
    except OSError:
        return
    for n in names:
        pid = n[len(PREFIX):]
        if n.startswith(PREFIX) and pid.isdigit() and \
                not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(BPFFS, n), ignore_errors=True)


def setup():
    if os.geteuid() != 0:
        skip("not root")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        skip("unshare(CLONE_NEWNET): " + os.strerror(ctypes.get_errno()))
    try:
        ip("link", "set", "lo", "up")
        ip("link", "add", HOST_IF, "type", "veth", "peer", "name", POD_IF)
        ip("link", "set", HOST_IF, "up")
        ip("link", "set", POD_IF, "up")
        # the routes a CNI sets up: what status shows as the pod's IPs
        ip("route", "add", f"{POD4}/32", "dev", HOST_IF)
        ip("-6", "route", "add", f"{POD6}/128", "dev", HOST_IF)
    except (OSError, subprocess.SubprocessError) as e:
        skip(f"veth pair: {e}")
    stale_pins()


SUMMARY = r", keys \+(\d+) -(\d+), \d+ ms\n"


def scenario(manifest, changed):
    ifindex = socket.if_nametoindex(HOST_IF)
    r = run("attach", "--ifname", HOST_IF, "--pod", "x/b")
    if r.returncode and ("Operation not permitted" in r.stderr or
                         "not supported" in r.stderr.lower()):
        skip("attach refused: " + r.stderr.strip())
    m = re.fullmatch(rf"attach: {HOST_IF} \(ifindex (\d+)\) x/b: 1 pod "
                     rf"changed{SUMMARY}", r.stdout)
    check("attach: one summary line naming the veth and the pod, 1 pod "
          "changed, no key", r.returncode == 0 and m and
          m.group(2, 3) == ("0", "0"), r.stdout + r.stderr)
    check("attach: the ifindex is the veth's",
          m and int(m.group(1)) == ifindex, r.stdout)
    r = run("attach", "--ifname", HOST_IF, "--pod", "x/b")
    check("attach again: 0 pods changed",
          r.returncode == 0 and re.fullmatch(
              rf"attach: {HOST_IF} \(ifindex \d+\) x/b: 0 pods changed"
              rf"{SUMMARY}", r.stdout), r.stdout + r.stderr)
    r = run("attach", "-q", "--ifname", HOST_IF, "--pod", "x/b")
    check("attach -q: nothing on stdout", r.returncode == 0 and
          r.stdout == "", r.stdout + r.stderr)

    r = run("apply", manifest)
    m = re.fullmatch(rf"apply: 1 pod applied, 1 pod changed{SUMMARY}",
                     r.stdout)
    check("apply: 1 pod applied and changed, its keys added",
          r.returncode == 0 and m and int(m.group(1)) > 0 and
          m.group(2) == "0", r.stdout + r.stderr)
    keys = int(m.group(1)) if m else -1
    r = run("apply", manifest)
    check("apply again: 0 pods changed, no key added or removed",
          r.returncode == 0 and re.fullmatch(
              rf"apply: 1 pod applied, 0 pods changed, keys \+0 -0, \d+ ms"
              r"\n", r.stdout), r.stdout + r.stderr)
    r = run("apply", "--quiet", manifest)
    check("apply --quiet: nothing on stdout",
          r.returncode == 0 and r.stdout == "", r.stdout + r.stderr)
    r = run("apply", "--pod", "x/nope", manifest)
    check("apply --pod of a pod not attached: named, exit 2",
          r.returncode == 2 and "x/nope is not attached" in r.stderr,
          r.stderr)

    r = run("status", "-o", "json")
    try:
        st = json.loads(r.stdout)
        pod = st["pods"][0]
    except (ValueError, LookupError, TypeError):
        st, pod = {}, {}
    hooks = [pod.get(d, {}).get("hook", {}) for d in ("ingress", "egress")]
    check("status -o json: schema, the pod, its IPs, its state and rule set",
          r.returncode == 0 and st.get("schema") == "netpol.status/v1" and
          st.get("ok") is True and len(st.get("pods", [])) == 1 and
          pod.get("namespace") == "x" and pod.get("name") == "b" and
          pod.get("ifname") == HOST_IF and pod.get("ifindex") == ifindex and
          sorted(pod.get("ips", [])) == sorted([POD4, POD6]) and
          pod["ingress"]["state"] == "enforced" and
          pod["ingress"]["ruleset"]["keys"]["ipv4"] +
          pod["ingress"]["ruleset"]["keys"]["ipv6"] == keys and
          pod["egress"]["state"] == "unisolated" and
          pod["egress"]["ruleset"] is None and
          set(pod["ingress"]["counters"]) == {
              "allowed_packets", "allowed_bytes", "denied_packets",
              "denied_bytes"} and
          isinstance(st["conntrack"]["ipv4"]["capacity"], int) and
          isinstance(st["events"]["on"], bool), r.stdout + r.stderr)
    check("status -o json: both hooks ours and first, with their kind",
          all(h.get("ours") is True and h.get("first") is True and
              h.get("state") == "ok" and h.get("kind") in ("tcx", "tc") and
              h.get("prog_id") == h.get("expected_prog_id") and
              h.get("ahead") is None for h in hooks) and
          [h.get("point") for h in hooks] == ["egress", "ingress"],
          json.dumps(hooks))
    r = run("status")
    check("status: the pod's line shows its IPs",
          r.returncode == 0 and re.search(
              rf"^x/b ifindex \d+ {HOST_IF} ips ({POD4},{POD6}|"
              rf"{POD6},{POD4})$", r.stdout, flags=re.M), r.stdout)
    r = run("status", "--pod", "x/b", "-o", "json")
    check("status --pod x/b -o json: that pod only",
          r.returncode == 0 and len(json.loads(r.stdout)["pods"]) == 1,
          r.stdout + r.stderr)
    for cmd in (("status", "--pod", "x/nope"), ("dump", "--pod", "x/nope"),
                ("status", "--pod", "x/nope", "-o", "json")):
        r = run(*cmd)
        check(f"{' '.join(cmd)}: a pod not attached is an error naming it",
              r.returncode == 2 and not r.stdout and
              f"netpol: {cmd[0]}: x/nope: not attached" in r.stderr,
              r.stdout + r.stderr)

    r = run("dump", "--pod", "x/b", "-o", "json")
    try:
        dj = json.loads(r.stdout)
    except ValueError:
        dj = {}
    rules = dj.get("ingress", {}).get("rules", [])
    check("dump -o json: schema, the pod, the ingress rules as the kernel "
          "holds them, conntrack",
          r.returncode == 0 and dj.get("schema") == "netpol.dump/v1" and
          dj.get("namespace") == "x" and dj.get("name") == "b" and
          dj["ingress"]["state"] == "enforced" and
          dj["ingress"]["ruleset"]["loaded"] is True and
          any(x["cidr"] == "198.18.1.0/24" and x["family"] == 4 and
              {"protocol": "TCP", "first": 80, "last": 80} in x["ports"]
              for x in rules) and
          dj["egress"]["ruleset"] is None and dj["egress"]["rules"] == []
          and dj.get("conntrack") == [], r.stdout + r.stderr)
    r = run("dump", "--ifname", HOST_IF, "--direction", "egress", "-o",
            "json")
    check("dump --direction egress -o json: only egress",
          r.returncode == 0 and "egress" in json.loads(r.stdout) and
          "ingress" not in json.loads(r.stdout), r.stdout + r.stderr)

    r = run("verify", manifest, "-o", "json")
    try:
        vj = json.loads(r.stdout)
    except ValueError:
        vj = {}
    check("verify -o json: no drift",
          r.returncode == 0 and vj.get("schema") == "netpol.verify/v1" and
          vj.get("ok") is True and vj.get("checked") == 1 and
          vj.get("drifts") == 0 and vj["pods"][0]["verified"] is True and
          vj["pods"][0]["drift"] == [] and vj["pods"][0]["name"] == "b",
          r.stdout + r.stderr)
    r = run("verify", changed, "-o", "json")
    try:
        vj = json.loads(r.stdout)
    except ValueError:
        vj = {}
    check("verify -o json: a drift, listed for the pod, exit 1",
          r.returncode == 1 and vj.get("ok") is False and
          vj.get("drifts", 0) >= 1 and
          len(vj["pods"][0]["drift"]) == vj["drifts"] and
          all(d.startswith("ingress") for d in vj["pods"][0]["drift"]),
          r.stdout + r.stderr)
    r = run("verify", changed)
    check("verify text: the same drift lines, with the pod's name",
          r.returncode == 1 and all(
              f"x/b: {d}" in r.stdout for d in vj.get("pods", [{}])[0]
              .get("drift", ["?"])), r.stdout)

    metrics_http(manifest)

    r = run("detach", "--ifname", HOST_IF)
    m = re.fullmatch(rf"detach: {HOST_IF} \(ifindex \d+\) x/b: 1 pod "
                     rf"changed{SUMMARY}", r.stdout)
    check("detach: 1 pod changed, its rule set's keys removed",
          r.returncode == 0 and m and m.group(1, 2) == ("0", str(keys)),
          r.stdout + r.stderr)
    r = run("attach", "-q", "--ifname", HOST_IF, "--pod", "x/b")
    r2 = run("destroy")
    check("destroy: 1 pod changed",
          r.returncode == 0 and r2.returncode == 0 and re.fullmatch(
              rf"destroy: 1 pod changed{SUMMARY}", r2.stdout),
          r.stdout + r.stderr + r2.stdout + r2.stderr)
    r = run("destroy", "-q")
    check("destroy -q on a clean node: nothing on stdout",
          r.returncode == 0 and r.stdout == "", r.stdout + r.stderr)


def curl(*args):
    try:
        return subprocess.run(["curl", "-sS", "-m", "5", *args],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess(args, -1, "", str(e))


def metrics_http(manifest):
    """Drop real packets into the pod, then scrape /metrics over HTTP."""
    r = run("apply", "-q", "--rule-counters", "on", manifest)
    check("apply --rule-counters on", r.returncode == 0, r.stderr)
    ip("addr", "add", "198.18.0.1/32", "dev", HOST_IF)
    ip("addr", "add", "198.18.1.5/32", "dev", HOST_IF)
    # sysfs is the first namespace's: ask the link itself
    mac = json.loads(subprocess.run(
        ["ip", "-j", "link", "show", POD_IF], check=True, timeout=10,
        capture_output=True, text=True).stdout)[0]["address"]
    # no ARP from the pod side: the frames leave the host veth at once
    ip("neigh", "replace", POD4, "lladdr", mac, "dev", HOST_IF)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("198.18.0.1", 0))
        for _ in range(3):
            u.sendto(b"denied", (POD4, 9))
    # from the allowed /24: a TCP SYN to 80 (its key allows), UDP to 9
    # (its key, a port it does not list)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("198.18.1.5", 0))
        u.sendto(b"port", (POD4, 9))
    with socket.socket() as t:
        t.bind(("198.18.1.5", 0))
        t.setblocking(False)
        t.connect_ex((POD4, 80))
        time.sleep(0.2)
    with socket.socket() as t:
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    p = subprocess.Popen([netpol, "metrics", "--listen",
                          f"127.0.0.1:{port}", "--pin-root", PIN, manifest],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        r = None
        for _ in range(50):  # up to 5 s for the server to listen
            r = curl(f"{url}/metrics")
            if r.returncode == 0:
                break
            time.sleep(0.1)
        body = r.stdout if r else ""
        m = re.search(r'^network_policy_drop_count_total\{namespace="x",'
                      r'pod="b",direction="ingress"\} (\d+)$', body, re.M)
        check("metrics --listen: curl gets /metrics with the pod's 4 drops "
              "under the EKS agent's name", r and r.returncode == 0 and m and
              int(m.group(1)) == 4, (r.stderr if r else "") + body[:2000])
        check("metrics --listen: the drops under the policy that isolates "
              "the pod", re.search(
                  r'^netpol_policy_drop_packets_total\{namespace="x",'
                  r'pod="b",direction="ingress",policy="x/only-80",'
                  r'tier="NetworkPolicy"\} 4$', body, re.M), body[:2000])
        m = re.search(r'^netpol_policy_packets_total\{namespace="x",'
                      r'pod="b",direction="ingress",policy="x/only-80",'
                      r'tier="NetworkPolicy",verdict="allow"\} (\d+)$', body,
                      re.M)
        check("metrics --listen: per-key counters under the policy: the "
              "SYN allowed", m and int(m.group(1)) >= 1, body[:3000])
        m = re.search(r'^netpol_policy_packets_total\{namespace="x",'
                      r'pod="b",direction="ingress",policy="x/only-80",'
                      r'tier="NetworkPolicy",verdict="deny"\} (\d+)$', body,
                      re.M)
        check("metrics --listen: per-key counters under the policy: the "
              "port it does not list denied", m and int(m.group(1)) == 1,
              body[:3000])
        m = re.search(r'^awsnodeagent_policy_programming_latency_seconds_'
                      r'count (\d+)$', body, re.M)
        check("metrics --listen: the programming latency histogram counts "
              "the applies", m and int(m.group(1)) >= 2 and re.search(
                  r'^awsnodeagent_policy_programming_latency_seconds_bucket'
                  r'\{le="\+Inf"\} ' + m.group(1) + '$', body, re.M),
              body[-3000:])
        check("metrics --listen: conntrack occupancy per family",
              re.search(r'^netpol_conntrack_occupancy_ratio\{family="ipv4"'
                        r'\} [0-9.e+-]+$', body, re.M), body[:2000])
        r = curl("-o", "/dev/null", "-w", "%{http_code} %{content_type}",
                 f"{url}/metrics")
        check("metrics --listen: 200, the Prometheus text content type",
              r.stdout == "200 text/plain; version=0.0.4; charset=utf-8",
              r.stdout + r.stderr)
        r = curl("-o", "/dev/null", "-w", "%{http_code}", f"{url}/nope")
        check("metrics --listen: another path is 404", r.stdout == "404",
              r.stdout + r.stderr)
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                 f"{url}/metrics")
        check("metrics --listen: POST is 405", r.stdout == "405",
              r.stdout + r.stderr)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    check("metrics --listen: SIGTERM stops it, exit 0", p.returncode == 0,
          f"exit {p.returncode}")
    r = run("metrics", "--listen", "127.0.0.1")
    check("metrics --listen without a port: named, exit 2",
          r.returncode == 2 and "--listen: invalid value '127.0.0.1'" in
          r.stderr, r.stderr)


def main():
    setup()
    with tempfile.TemporaryDirectory() as d:
        manifest = os.path.join(d, "cluster.yaml")
        changed = os.path.join(d, "changed.yaml")
        with open(manifest, "w") as f:
            f.write(MANIFEST)
        with open(changed, "w") as f:
            f.write(MANIFEST.replace("port: 80", "port: 8080"))
        try:
            scenario(manifest, changed)
        finally:
            subprocess.run([netpol, "destroy", "-q", "--pin-root", PIN],
                           capture_output=True, timeout=60)
            shutil.rmtree(PIN, ignore_errors=True)
    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            for line in str(detail).splitlines()[:12]:
                print(f"# {line}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
