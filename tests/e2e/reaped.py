#!/usr/bin/env python3
"""The tracer's +++ line of a child that ended in an image its execve
started unhooked (static, with --best-effort): the launcher's watcher
says how it ended, read from the child's pidfd once its parent (here a
shell waiting for it) has reaped it, where /proc no longer shows it. On
a kernel that keeps no such record (before Linux 6.15) the line may be
missing: skipped there.

usage: reaped.py ZPOLINE KILLME_STATIC"""
import os
import subprocess
import sys

Z, STATIC = (os.path.abspath(a) for a in sys.argv[1:3])
major, minor = (int(x) for x in os.uname().release.split(".")[:2])
if (major, minor) < (6, 15):
    print("skip: kernel %s keeps no exit status in a pidfd" % os.uname().release)
    sys.exit(77)
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0
# each run a race: the shell reaps its child at once, the watcher looks a
# moment later
for how, want in (("term", "+++ killed by SIGTERM +++"), ("rawexit", "+++ exited with 3 +++")):
    for i in range(8):
        p = subprocess.run([Z, "run", "--best-effort", "--", "sh", "-c", "%s 1 %s; echo status $?" % (STATIC, how)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, timeout=60)
        lines = [l for l in p.stderr.splitlines() if l.endswith(want)]
        ok = p.returncode == 0 and len(lines) == 1 and lines[0].startswith("[pid ")
        if not ok:
            failed += 1
            print("FAIL %s, run %d: want one '[pid N] %s' line\n%s" % (how, i, want, p.stderr[-1200:]))
    print("%s %s: the child's line, 8 runs of 8" % ("ok  " if not failed else "FAIL", how))
sys.exit(1 if failed else 0)
