#!/usr/bin/env python3
"""The calls of a library's constructor are hooked, though the loader runs
it before main: ctorprog's library makes 7 getppid calls from its
constructor, main 3 more; the counter must count all 10, as strace -f -c
does, in every mode.

usage: ctor.py ZPOLINE CTORPROG"""
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
    got = rows.get("getppid")
    if p.returncode == 0 and got == 10:
        print("ok   the constructor's calls are hooked (%s mode)" % mode)
    else:
        failed += 1
        print("FAIL the constructor's calls are hooked (%s mode): status %d, %r getppid counted, want 10"
              % (mode, p.returncode, got))
sys.exit(1 if failed else 0)
