#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Write cases/*/expect.txt (and stars/*.txt) from hand-written reachability.

This is NOT a NetworkPolicy engine. Each case's reach.py states, in two
predicates written by hand from the semantics (reference/netpol-semantics.md),
what the case's policies mean, the way the upstream e2e tests build a
Reachability with ExpectPeer/ExpectAllIngress/ExpectAllEgress:

    def egress(src, dst, proto, port):   may src send to dst?   (default: yes)
    def ingress(dst, src, proto, port):  may dst receive from src? (default: yes)

src and dst have .ns and .name ("x", "a"); proto is "TCP", "UDP" or "SCTP".
Cases with ClusterNetworkPolicies state the tier walk of the API text
(the comments of clusternetworkpolicy_types.go upstream) with walk(), which
this script hands to every reach.py: the case lists, for one pod, one
direction and one flow, the Admin rules that apply in evaluation order
(priority, then the order written) and whether each matches, whether a
NetworkPolicy isolates the pod and allows the flow, and the Baseline rules.
A cell is "." iff egress(src, dst) and ingress(dst, src); a pod to itself is
always ".". The tables cover the protocols and ports of the case's args, in
the text format of np_cluster_matrix().

    /usr/bin/python3 gen_expect.py            # every case
    /usr/bin/python3 gen_expect.py 07-foo ... # some cases
"""
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
Pod = collections.namedtuple("Pod", "ns name")
MODEL = [Pod(ns, p) for ns in "xyz" for p in "abc"]


def parse_args(path):
    ports, protos, family = [80], ["TCP"], 4
    toks = open(path).read().split()
    for opt, val in zip(toks[::2], toks[1::2]):
        if opt == "--ports":
            ports = [int(v) for v in val.split(",")]
        elif opt == "--protocols":
            protos = [v.upper() for v in val.split(",")]
        elif opt == "--family":
            family = int(val)
        else:
            raise SystemExit("%s: unknown option %s" % (path, opt))
    return ports, protos, family


def tables(pods, ports, protos, egress, ingress):
    out = []
    for proto in protos:
        for port in ports:
            out.append("%s/%d" % (proto, port))
            out.append("\t".join(["-"] + ["%s/%s" % p for p in pods]))
            for s in pods:
                row = ["%s/%s" % s]
                for d in pods:
                    ok = s == d or (egress(s, d, proto, port) and
                                    ingress(d, s, proto, port))
                    row.append("." if ok else "X")
                out.append("\t".join(row))
            out.append("")
    return "\n".join(out)


def first_match(rules):
    """The action of the first matching rule, None when none matches."""
    for action, hit in rules:
        assert action in ("Accept", "Deny", "Pass"), action
        if hit:
            return action
    return None


def walk(admin=(), np=None, baseline=()):
    """One pod, one direction, one flow, as the ClusterNetworkPolicy API
    says: the Admin rules (action, matches) in order, the first match
    decides (Accept: allowed, Deny: denied, Pass: leave the Admin tier);
    then, when a NetworkPolicy isolates the pod in this direction (np is
    not None), its verdict np is final; then the Baseline rules likewise
    (Pass: leave the tier); then allowed."""
    a = first_match(admin)
    if a in ("Accept", "Deny"):
        return a == "Accept"
    if np is not None:
        return np
    b = first_match(baseline)
    if b in ("Accept", "Deny"):
        return b == "Accept"
    return True


def load_reach(path):
    env = {"Pod": Pod, "walk": walk}
    exec(compile(open(path).read(), path, "exec"), env)
    allow = lambda *a: True
    return (env.get("egress", allow), env.get("ingress", allow),
            env.get("PODS", MODEL), env)


def gen_case(cdir):
    if not os.path.exists(os.path.join(cdir, "policy.yaml")):
        return  # an invalid-object case: invalid.yaml, expect-errors.txt
    ports, protos, family = parse_args(os.path.join(cdir, "args"))
    egress, ingress, pods, _ = load_reach(os.path.join(cdir, "reach.py"))
    with open(os.path.join(cdir, "expect.txt"), "w") as f:
        f.write(tables(pods, ports, protos, egress, ingress))


def gen_stars():
    sdir = os.path.join(HERE, "stars")
    ports, protos, _ = parse_args(os.path.join(sdir, "args"))
    _, _, _, env = load_reach(os.path.join(sdir, "reach.py"))
    for step, (egress, ingress) in env["STEPS"].items():
        with open(os.path.join(sdir, step), "w") as f:
            f.write(tables(env["PODS"], ports, protos, egress, ingress))


def main():
    cases = sys.argv[1:] or sorted(os.listdir(os.path.join(HERE, "cases")))
    for c in cases:
        gen_case(os.path.join(HERE, "cases", c))
    if not sys.argv[1:]:
        gen_stars()


if __name__ == "__main__":
    main()
