#!/usr/bin/env python3
"""A program's signal handler whose signal arrives while a hook runs (its
enter or exit for another call of the same thread, the runtime's own work
around it) has its calls hooked like any other: the runtime holds the
signal back until the hook is done. alarmcalls takes SIGALRM every 50 us
and calls getppid in the handler and in a loop outside it: under a deny of
getppid every one of the handler's calls fails with EACCES, in every mode
(the handler runs 2000 times, or a few more: a signal may come between
the loop's last test and the timer's end, natively too);
under the counter the table's getppid row counts every call the program
made; under the tracer each call has its line, with the result it had (a
signal the runtime lets through as the hooks are done, before the kernel's
turn, must not end the line of the call not yet made).

usage: alarmcalls.py ZPOLINE ALARMCALLS"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

from common import check, finish

Z, PROG = (os.path.abspath(a) for a in sys.argv[1:3])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
OUT = re.compile(r"handled (\d+), denied (\d+), getppid calls (\d+)")
MODES = [("fast", []), ("trap", []), ("sud", []), ("fast", ["--catch-late"])]
work = tempfile.mkdtemp(prefix="zp-alarmcalls-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)


def run(args):
    p = subprocess.run([Z, "run"] + args + ["--", PROG], env=ENV, capture_output=True, text=True,
                       timeout=120)
    return p, OUT.search(p.stdout)


for mode, extra in MODES:
    name = " ".join([mode] + extra)
    p, m = run(["--mode", mode] + extra + ["--hook", "deny", "--hook-opt", "getppid=EACCES"])
    check("deny, %s mode: the handler's calls denied, each" % name,
          p.returncode == 0 and m is not None and m.group(1) == m.group(2) and int(m.group(1)) >= 2000,
          p.stdout + p.stderr)
    table = os.path.join(work, "table-%s-%d" % (mode, len(extra)))
    p, m = run(["--mode", mode] + extra + ["--hook", "counter", "-o", table])
    text = open(table).read() if os.path.exists(table) else ""
    row = re.search(r"^ *\S+ +\S+ +\S+ +(\d+) +(?:\d+ +)?getppid$", text, re.M)
    check("counter, %s mode: every getppid counted" % name,
          p.returncode == 0 and m is not None and row is not None and row.group(1) == m.group(3),
          p.stdout + p.stderr + text)
    trace = os.path.join(work, "trace-%s-%d" % (mode, len(extra)))
    p, m = run(["--mode", mode] + extra + ["--hook", "tracer", "-o", trace])
    lines = [l for l in open(trace).read().splitlines() if l.startswith("getppid(")] \
        if os.path.exists(trace) else []
    # (a signal that lands on the kernel entry itself, the call not yet
    # made, looks as one that restarts it: the line strace would show for
    # a restart may come, once in tens of thousands)
    done = [l for l in lines if "? ERESTART" not in l]
    results = set(l.rsplit("= ", 1)[-1] for l in done)
    check("tracer, %s mode: every getppid traced, with its result" % name,
          p.returncode == 0 and m is not None and len(done) == int(m.group(3)) and len(results) == 1 and
          results != {"0"}, p.stdout + p.stderr + " lines %d, results %s" % (len(done), sorted(results)[:5]))
finish()
