#!/usr/bin/env python3
"""callgraph.py -- the calls between the runtime's files read downward.

Reads the symbols and relocations of libzpoline.so's object files (what
meson built in LIB.p/ for each LIB given) and draws an edge from a file to
another when the first calls (or jumps to) a function the second defines:
a direct call is a PLT32 relocation in code. Taking a function's address
is not a call (loader.c ends the hooks' chain with policy.c's zp_next, and
main.c hands stub.S's entries to trampoline.c). Every cycle
of that graph must lie among the files of the signal path (dispatch.c,
signal.c, policy.c, and children.c, which sets up the runtime, its
signal handlers included, in the children clone and vfork make, and
answers signal.c whether this is a vfork child), and no file may call
into main.c.

stub.S counts function by function: its zp_raw_syscall is a leaf every
file uses, while its entry points call the dispatcher, so as one node it
would put every file in one cycle with the hot path.
"""
import glob
import os
import re
import subprocess
import sys

INHERENT = {'dispatch.c', 'signal.c', 'policy.c', 'children.c'}
SPLIT = {'stub.S', 'nostack.S'}


def readelf(flag, obj):
    return subprocess.run(['readelf', flag, '-W', obj], check=True, capture_output=True,
                          text=True).stdout


def symbols(obj):
    """functions defined (name -> (section, value, size)), names undefined"""
    defined, undefined = {}, set()
    for line in readelf('-s', obj).splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(':') or not f[0][:-1].isdigit():
            continue
        value, size, typ, bind, ndx, name = int(f[1], 16), int(f[2]), f[3], f[4], f[6], f[7]
        if ndx == 'UND':
            undefined.add(name)
        elif typ == 'FUNC' and bind in ('GLOBAL', 'WEAK'):
            defined[name] = (ndx, value, size)
    return defined, undefined


def references(obj):
    """(section, offset, symbol) for every direct call or jump"""
    out, sec = [], None
    for line in readelf('-r', obj).splitlines():
        m = re.match(r"Relocation section '\.rela(\S*)'", line)
        if m:
            sec = m.group(1)
            continue
        f = line.split()
        if sec is None or len(f) < 5 or not re.fullmatch(r'[0-9a-f]+', f[0]):
            continue
        if f[2] == 'R_X86_64_PLT32':
            out.append((sec, int(f[0], 16), f[4].split('@')[0]))
    return out


def main(libs):
    objs = []
    for lib in libs:
        objs += sorted(glob.glob(os.path.join(lib + '.p', '*.o')))
    if not objs:
        sys.exit('callgraph.py: no object files beside ' + ' '.join(libs))
    owner, info = {}, {}
    for obj in objs:
        src = os.path.basename(obj)[:-2]
        info[src] = (symbols(obj), references(obj))
        for name, (ndx, value, size) in info[src][0][0].items():
            owner[name] = src + ':' + name if src in SPLIT else src
    edges = {}
    for src, ((defined, undefined), refs) in info.items():
        spans = sorted((v, v + s, src + ':' + n) for n, (_, v, s) in defined.items())
        for sec, off, name in refs:
            if name not in owner or name in defined:
                continue
            node = src
            if src in SPLIT:
                node = next((n for lo, hi, n in spans if sec == '.text' and lo <= off < hi), None)
                if node is None:
                    continue
            if owner[name] != node:
                edges.setdefault(node, set()).add(owner[name])
    nodes = set(edges) | {t for ts in edges.values() for t in ts}

    # Tarjan's strongly connected components
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = set()
            while True:
                w = stack.pop()
                on.discard(w)
                scc.add(w)
                if w == v:
                    break
            sccs.append(scc)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    bad = 0
    for scc in sccs:
        if len(scc) < 2:
            continue
        files = {n.split(':')[0] for n in scc}
        outside = sorted(n for n in scc if n.split(':')[0] not in INHERENT)
        if outside and files - INHERENT - SPLIT:
            print('cycle outside the signal path:', ' '.join(sorted(scc)))
            bad += 1
        elif outside:
            print('the signal path calls through', ' '.join(outside), '(stub.S, nostack.S: inherent)')
    callers = sorted(v for v, ts in edges.items() if 'main.c' in ts)
    if callers:
        print('main.c is called by', ' '.join(callers))
        bad += 1
    for v in sorted(edges):
        print(v, '->', ' '.join(sorted(edges[v])))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main(sys.argv[1:])
