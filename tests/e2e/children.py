#!/usr/bin/env python3
"""Every kind of child is hooked, in every mode: the counter counts the
25 getppid and 5 write calls of children.c's five children, and the
execve of its posix_spawn child, as `strace -f -c` does.

usage: children.py ZPOLINE CHILDREN_PROG"""
import os
import subprocess
import sys
import tempfile

Z, PROG = sys.argv[1:3]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0
for mode in ("fast", "trap", "catch", "sud"):
    extra = ["--catch-late"] if mode == "catch" else ["--mode", mode]
    with tempfile.TemporaryDirectory() as d:
        table = os.path.join(d, "table")
        p = subprocess.run([Z, "run", "--hook", "counter", "-o", table] + extra + ["--", PROG],
                           stdout=subprocess.PIPE, text=True, env=ENV, timeout=60)
        with open(table) as f:
            rows = {l.split()[-1]: int(l.split()[3]) for l in f if l[:6].strip().replace(".", "").isdigit()}
    got = {k: rows.get(k) for k in ("getppid", "write", "execve")}
    want = {"getppid": 25, "write": 5, "execve": 1}
    if p.returncode == 0 and got == want and len(p.stdout.splitlines()) == 5:
        print("ok   every child hooked (%s mode)" % mode)
    else:
        failed += 1
        print("FAIL every child hooked (%s mode): status %d, counted %r, want %r; output %r"
              % (mode, p.returncode, got, want, p.stdout))
sys.exit(1 if failed else 0)
