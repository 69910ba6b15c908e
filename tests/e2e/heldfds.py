#!/usr/bin/env python3
"""heldfds.py ZPOLINE -- the descriptors a hooked process holds beyond
the program's own, counted from outside (/proc/PID/fd, which the program's
own listing would hide): under null, which declares it shares no memory,
one (the runtime's messages), not the hooks' shared memory too."""
import os
import subprocess
import sys
import time

Z = sys.argv[1]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}


def held(cmd):
    p = subprocess.Popen(cmd + ["/bin/sleep", "5"], env=ENV, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the launcher execs the program: wait until the process is sleep
        for _ in range(500):
            try:
                if os.readlink("/proc/%d/exe" % p.pid).endswith("/sleep"):
                    time.sleep(0.2)
                    break
            except OSError:
                pass
            time.sleep(0.01)
        links = [os.readlink("/proc/%d/fd/%s" % (p.pid, n)) for n in os.listdir("/proc/%d/fd" % p.pid)]
    finally:
        p.kill()
        p.wait()
    return links


native = held([])
null = held([Z, "run", "--hook", "null", "--"])
extra = len(null) - len(native)
shared = [l for l in null if "zpoline-shared" in l]
if extra == 1 and not shared:
    print("ok   null: one descriptor beyond the program's (%s), no shared memory" %
          [l for l in null if l not in native])
    sys.exit(0)
print("FAIL null: %d descriptors beyond the program's: %s (natively %s)" % (extra, null, native))
sys.exit(1)
