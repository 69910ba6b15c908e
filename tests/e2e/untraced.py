#!/usr/bin/env python3
"""untraced.py ZPOLINE LATE LATE_LIB -- under strace -f (or a debugger
following the program), the runtime's scanner helper for a library the
cache lacks, loaded after start-up, is no process of the program's: the
tracer sees the program's one process, no execve of zpoline-scan, and the
library is scanned and stored all the same. Skipped (77) without strace."""
import os
import shutil
import subprocess
import sys
import tempfile

zpoline, late, late_lib = sys.argv[1:4]
if shutil.which("strace") is None:
    print("skip: no strace")
    sys.exit(77)
failed = 0
with tempfile.TemporaryDirectory() as d:
    env = dict(os.environ, ZPOLINE_CACHE_DIR=d)
    # the start-up objects cached first: the late library is the only miss
    subprocess.run([zpoline, "run", "--hook", "null", "--", late, "/nonexistent.so"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = os.path.join(d, "strace.log")
    out = subprocess.run(["strace", "-f", "-qq", "-o", log, "-e", "trace=execve,clone,clone3,fork,vfork,exit_group",
                          zpoline, "run", "--hook", "null", "--", late, late_lib], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    lines = open(log).read().splitlines()
    pids = {l.split()[0] for l in lines}
    scans = [l for l in lines if "zpoline-scan" in l]
    print(out.stdout, end="")
    if out.returncode != 0 or "made" not in out.stdout:
        print("FAIL the program under strace -f: status %d\n%s" % (out.returncode, out.stderr))
        failed += 1
    # the launcher execs the program (one pid); the program's own thread
    # is a clone strace follows: 2 pids, neither the helper
    if scans or len(pids) > 2:
        print("FAIL strace -f followed the runtime's helper:\n%s" % "\n".join(lines))
        failed += 1
    else:
        print("ok   strace -f sees %d processes/threads, no zpoline-scan" % len(pids))
    listed = subprocess.run([zpoline, "cache"], env=env, stdout=subprocess.PIPE, text=True).stdout
    if os.path.basename(late_lib) not in listed:
        print("FAIL the late library was not stored in the cache:\n%s" % listed)
        failed += 1
    else:
        print("ok   the late library was scanned and stored")
sys.exit(1 if failed else 0)
