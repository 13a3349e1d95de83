#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What a kopf-style NetworkPolicy controller calls, on manifests.

    controller.py MANIFEST...

A controller keeps one netpol.Cluster in sync with the API server (apply()
on every added or modified object, delete() on every deleted one), then
writes the PolicyEndpoints back and hands each node its pods' rule sets.
Here the watch is a list of files, and the results go to stdout. Objects
the library rejects are skipped and reported (netpol.Diagnostic), and its
log lines go to the logging module (logger "netpol"), both on stderr.
"""
import logging
import sys

import netpol


def reconcile(cluster):
    """Print the PolicyEndpoints, then the rule set of every pod."""
    for pe in cluster.endpoints():
        meta, spec = pe['metadata'], pe['spec']
        pods = ', '.join(e['name'] for e in spec.get('podSelectorEndpoints',
                                                     []))
        print(f"PolicyEndpoint {meta['namespace']}/{meta['name']}: "
              f"isolates {'+'.join(spec.get('podIsolation', []))} "
              f"of [{pods}]")
        for direction in ('ingress', 'egress'):
            for rule in spec.get(direction, []):
                ports = ','.join(f"{p.get('protocol', 'TCP')}/"
                                 f"{p.get('port', '*')}"
                                 for p in rule.get('ports', [])) or 'all'
                print(f"  {direction} {rule['cidr']} ports {ports}")
    for pod in cluster.names('Pod'):
        ns, name = pod.split('/', 1)
        rules = cluster.compile(ns, name).to_dict()
        print(f"RuleSet {pod} hash {rules['hash']}")
        for direction in ('ingress', 'egress'):
            side = rules[direction]
            if not side['isolated']:
                print(f'  {direction}: not isolated')
                continue
            for key in side.get('keys', []):
                print(f"  {direction} {key['cidr']} from {key['from']}")


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
        reconcile(cluster)
        if rejected:
            print(f'controller: {len(rejected)} invalid objects skipped: '
                  + ', '.join(d.object for d in rejected), file=sys.stderr)
    except netpol.Error as e:
        print(f'controller: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
