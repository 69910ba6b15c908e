#!/usr/bin/env python3
"""Every kind of child is hooked, in every mode: the counter counts the
25 getppid and 5 write calls of children.c's five children, and the
execve of its posix_spawn child, as `strace -f -c` does. Given other
counts (NAME=N...) and the lines PROG prints, the same for another
program (ctorprog: the calls of a library's constructor).

With --no-follow, none of the children's calls is counted, as `strace -c`
without -f counts none: neither the forked ones' nor those of the children
that share the parent's memory (vfork, CLONE_VM|CLONE_VFORK, posix_spawn's).

usage: children.py ZPOLINE CHILDREN_PROG [--no-follow]
       children.py ZPOLINE PROG LINES NAME=N..."""
import os
import subprocess
import sys
import tempfile

Z, PROG = sys.argv[1:3]
WANT, LINES = {"getppid": 25, "write": 5, "execve": 1}, 5
FOLLOW = []
if sys.argv[3:] == ["--no-follow"]:
    FOLLOW, WANT = ["--no-follow"], {"getppid": 0, "write": 0, "execve": 0}
elif len(sys.argv) > 3:
    LINES = int(sys.argv[3])
    WANT = {k: int(v) for k, v in (a.split("=") for a in sys.argv[4:])}
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0
for mode in ("fast", "trap", "catch", "sud"):
    extra = ["--catch-late"] if mode == "catch" else ["--mode", mode]
    with tempfile.TemporaryDirectory() as d:
        table = os.path.join(d, "table")
        p = subprocess.run([Z, "run", "--hook", "counter", "-o", table] + FOLLOW + extra + ["--", PROG],
                           stdout=subprocess.PIPE, text=True, env=ENV, timeout=60)
        with open(table) as f:
            rows = {l.split()[-1]: int(l.split()[3]) for l in f if l[:6].strip().replace(".", "").isdigit()}
    got = {k: rows.get(k, 0 if FOLLOW else None) for k in WANT}
    if p.returncode == 0 and got == WANT and len(p.stdout.splitlines()) == LINES:
        print("ok   every call counted (%s mode%s)" % (mode, ", --no-follow" if FOLLOW else ""))
    else:
        failed += 1
        print("FAIL every call counted (%s mode%s): status %d, counted %r, want %r; output %r"
              % (mode, ", --no-follow" if FOLLOW else "", p.returncode, got, WANT, p.stdout))
sys.exit(1 if failed else 0)
