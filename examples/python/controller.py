#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What a kopf-style NetworkPolicy controller calls, on manifests.

    controller.py MANIFEST...

A controller keeps one netpol.Cluster in sync with the API server (apply()
on every added or modified object, delete() on every deleted one), then
asks the cluster what the event changed (Cluster.changes()): the
PolicyEndpoints to create, update or delete, and the pods whose rule sets
changed, each with its map diff, for their nodes to program again. Pods
the event cannot reach are neither compiled again nor reported. Here the
watch is a list of files, one event each, and the results go to stdout.
Objects the library rejects are skipped and reported (netpol.Diagnostic),
and its log lines go to the logging module (logger "netpol"), both on
stderr.
"""
import logging
import os
import sys

import netpol


def report(cluster, event):
    """Print what the event changed: the PolicyEndpoints to write back,
    then the pods whose rule set changed, with their map diffs."""
    changes = cluster.changes(endpoints=True)
    print(f'{event}: {len(changes.endpoints)} PolicyEndpoints, '
          f'{len(changes)} rule sets changed')
    for pe in changes.endpoints:
        # a ClusterPolicyEndpoint (of a ClusterNetworkPolicy) has no
        # namespace
        kind = ('ClusterPolicyEndpoint'
                if pe.object_kind == 'clusterpolicyendpoint'
                else 'PolicyEndpoint')
        name = f'{pe.namespace}/{pe.name}' if pe.namespace else pe.name
        if pe.kind == netpol.ChangeKind.REMOVED:
            print(f'{kind} {name} removed')
            continue
        spec = pe.to_dict()['spec']
        pods = ', '.join(e['name'] for e in spec.get('podSelectorEndpoints',
                                                     []))
        print(f"{kind} {name} {pe.kind}: "
              f"isolates {'+'.join(spec.get('podIsolation', []))} "
              f"of [{pods}]")
        for direction in ('ingress', 'egress'):
            for rule in spec.get(direction, []):
                ports = ','.join(f"{p.get('protocol', 'TCP')}/"
                                 f"{p.get('port', '*')}"
                                 for p in rule.get('ports', [])) or 'all'
                # a peer is a CIDR, or a domain name (cluster policies)
                peer = rule.get('cidr') or rule.get('domainName')
                print(f"  {direction} {peer} ports {ports}")
    for change in changes:
        # change.ruleset is what the pod's node programs (None: removed)
        print(f'RuleSet {change.pod} {change.kind} hash '
              f'{change.new_hash:016x}')
        for line in change.diff():
            print(f'  {line}')


def main(paths):
    logging.basicConfig(format='controller: %(levelname)s: %(message)s',
                        level=logging.WARNING)
    cluster = netpol.Cluster()
    rejected = []
    try:
        for path in paths:
            # a watch event per object, in real life; an invalid object is
            # skipped and logged as a warning, not the whole file
            rejected += cluster.load_file(path, skip_invalid=True)
            report(cluster, os.path.basename(path))
        if rejected:
            print(f'controller: {len(rejected)} invalid objects skipped: '
                  + ', '.join(d.object for d in rejected), file=sys.stderr)
    except netpol.Error as e:
        print(f'controller: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
