# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The library's files stack in stages and no file calls back up.

Reads the symbol tables of the compiled objects (nm): an object that leaves
a symbol undefined which another object defines calls that object. Every
call must go to the same stage or one below (the stage order is the table
below, DESIGN.md section 2), and the calls between the files of a program
(the library, the netpol tool) must have no cycle. A file new to libnetpol/
must be placed in the table: an unplaced file fails the test.

usage: check_layers.py NM LIBRARY_ARCHIVE TOOL_OBJECT_DIR
"""
import os
import subprocess
import sys

# Lower first. A file may call files of its own stage and of the stages
# before it.
STAGES = [
    ('shared', ['util', 'hashmap', 'diag', 'enums', 'opts', 'escape']),
    ('parse', ['node', 'parse', 'emit']),
    ('objects', ['fields', 'names', 'cidr', 'ports', 'selector', 'kind_meta',
                 'kind_pod', 'kind_service', 'kind_netpol', 'kind_pe',
                 'kind_cnp', 'kind_cpe', 'kind_node',
                 'objects', 'to_doc']),
    ('cluster', ['cluster']),
    ('resolve', ['resolve_ctx', 'resolve_idx', 'resolve', 'endpoints']),
    ('ruleset', ['closure', 'ruleset', 'ruleset_core', 'ruleset_cache',
                 'tier', 'tier_check', 'tier_cpe', 'tier_ivs', 'tier_ents',
                 'tier_fold', 'tier_cache', 'tier_walk', 'endpoints_cpe',
                 'query', 'attrib', 'attrib_rules', 'attrib_format']),
    ('mapset', ['mapset', 'mapset_plh', 'event', 'changes', 'changes_ep',
                'changes_track']),
    ('datapath', ['dp_maps', 'dp_tc', 'dp_load', 'dp_cache', 'dp_events',
                  'dp_inspect', 'dp_verify', 'datapath', 'dp_apply',
                  'datapath_stub']),
]
RANK = {f: i for i, (_, fs) in enumerate(STAGES) for f in fs}


def symbols(paths, nm):
    """{object: (defined, undefined)} for every object in paths."""
    out = subprocess.run([nm, '-A', '--defined-only', '-g'] + paths,
                         capture_output=True, text=True, check=True).stdout
    und = subprocess.run([nm, '-A', '-u'] + paths, capture_output=True,
                         text=True, check=True).stdout
    objs = {}
    for text, kind in ((out, 0), (und, 1)):
        for line in text.splitlines():
            where, _, rest = line.rpartition(':')
            name = rest.split()[-1]
            obj = os.path.basename(where).split('.c.o')[0]
            objs.setdefault(obj, (set(), set()))[kind].add(name)
    return objs


def calls(objs):
    owner = {}
    for obj, (defined, _) in objs.items():
        for s in defined:
            owner[s] = obj
    edges = {o: {} for o in objs}
    for obj, (_, undefined) in objs.items():
        for s in undefined:
            if s in owner and owner[s] != obj:
                edges[obj].setdefault(owner[s], []).append(s)
    return edges


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return comps


def main():
    nm, archive, tooldir = sys.argv[1:4]
    problems = []
    lib = calls(symbols([archive], nm))
    for obj in sorted(lib):
        if obj not in RANK:
            problems.append(f'libnetpol/{obj}.c: not placed in a stage '
                            f'(tests/abi/check_layers.py)')
    for obj, to in sorted(lib.items()):
        for callee, syms in sorted(to.items()):
            if RANK.get(callee, -1) > RANK.get(obj, len(STAGES)):
                problems.append(
                    f'libnetpol/{obj}.c ({STAGES[RANK[obj]][0]}) calls up '
                    f'into {callee}.c ({STAGES[RANK[callee]][0]}): '
                    f'{", ".join(sorted(syms))}')
    tool_objs = sorted(os.path.join(tooldir, f) for f in os.listdir(tooldir)
                       if f.endswith('.c.o'))
    tool = calls(symbols(tool_objs, nm))
    for name, edges in (('libnetpol', lib), ('tools', tool)):
        for comp in cycles(edges):
            detail = '; '.join(f'{a}.c -> {b}.c ({", ".join(sorted(s))})'
                               for a in comp for b, s in edges[a].items()
                               if b in comp)
            problems.append(f'{name}: files call each other in a cycle: '
                            f'{detail}')
    if 'main' in tool:
        for obj, to in sorted(tool.items()):
            for callee in to:
                if callee not in ('common',) and obj != 'main':
                    problems.append(f'tools/{obj}.c calls tools/{callee}.c: '
                                    f'only common.c is shared')
    for p in problems:
        print(p)
    print(f'{len(lib)} library files, {len(tool)} tool files: '
          f'{len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
