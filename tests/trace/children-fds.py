#!/usr/bin/env python3
"""zpoline trace: the program's descriptors on the numbers the launcher's
own had (which the runtime moves away) all work.

Usage: children-fds.py ZPOLINE DUP2HIGH"""
import os
import subprocess
import sys
import tempfile

zpoline, dup2high = (os.path.abspath(a) for a in sys.argv[1:3])
work = tempfile.mkdtemp(prefix="zp-trace-children-")
failed = 0


def check(name, ok, detail=""):
    global failed
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))
    if not ok:
        failed += 1


def trace(*args):
    out = os.path.join(work, "out.txt")
    p = subprocess.run([zpoline, "trace", "-o", out] + list(args), cwd=work, capture_output=True,
                       text=True, timeout=120)
    with open(out, errors="replace") as f:
        return p, f.read()


# dup2 onto 1023 .. 953: every descriptor works, and the trace goes on
for hook in (("--audit",), ("-e", "trace=openat")):
    p, t = trace(*hook, "--", dup2high)
    check("%s: the program's descriptors 953..1023 all work" % hook[0],
          "0 of 71 descriptors unusable" in p.stdout, p.stdout + p.stderr[-300:])
    check("%s: the trace goes on after the moves" % hook[0], "dup2high-out" in t, t[-500:])

print("%d failed" % failed)
sys.exit(1 if failed else 0)
