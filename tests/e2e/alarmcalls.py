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

'alarmcalls nested': a signal that arrives as a call returns, between the
hooks' enter and exit for it, whose handler makes more calls of the same
number than the tracer keeps records of at once: under the tracer, in
every mode, each call has its line once, in strace's order (the call the
handler interrupted is shown before the signal, and not again after it).

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
NESTED = re.compile(r"nested: sent (\d+), handled (\d+), (\d+) calls each")
MODES = [("fast", []), ("trap", []), ("sud", []), ("fast", ["--catch-late"])]
work = tempfile.mkdtemp(prefix="zp-alarmcalls-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)


def run(args, prog_args=(), out=OUT):
    p = subprocess.run([Z, "run"] + args + ["--", PROG] + list(prog_args), env=ENV, capture_output=True,
                       text=True, timeout=120)
    return p, out.search(p.stdout)


def nested_lines(path):
    """the tracer's lines of the nested run's signal and calls, pids out"""
    text = open(path).read() if os.path.exists(path) else ""
    keep = re.compile(r"(tgkill\(|<\.\.\. tgkill resumed>|--- SIGUSR1 |rt_sigreturn\()")
    lines = [re.sub(r"^tgkill\(\d+, \d+,", "tgkill(P, P,", l) for l in text.splitlines() if keep.match(l)]
    return [re.sub(r"si_pid=\d+, si_uid=\d+", "si_pid=P, si_uid=U", l) for l in lines]


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
    # (getppid is never made again: a signal that lands on the kernel
    # entry itself, the call not yet made, shows no line of a restart)
    done = lines
    results = set(l.rsplit("= ", 1)[-1] for l in done)
    check("tracer, %s mode: every getppid traced, with its result" % name,
          p.returncode == 0 and m is not None and len(done) == int(m.group(3)) and len(results) == 1 and
          results != {"0"}, p.stdout + p.stderr + " lines %d, results %s" % (len(done), sorted(results)[:5]))
    trace = os.path.join(work, "nested-%s-%d" % (mode, len(extra)))
    p, m = run(["--mode", mode] + extra + ["--hook", "tracer", "-o", trace], ["nested"], NESTED)
    seen = nested_lines(trace)
    want = []
    if m is not None:
        want = (["tgkill(P, P, SIGUSR1) = 0",
                 "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=P, si_uid=U} ---"] +
                ["tgkill(P, P, 0) = 0"] * int(m.group(3)) + ["rt_sigreturn({mask=[]}) = 0"]) * int(m.group(1))
    check("tracer, %s mode: a handler's many calls in the call it interrupted, each line once" % name,
          p.returncode == 0 and m is not None and m.group(1) == m.group(2) and seen == want,
          p.stdout + p.stderr + " lines %d, %d expected; first difference: %s" %
          (len(seen), len(want), next(("%r, not %r" % (a, b) for a, b in zip(seen, want) if a != b),
                                      "none (a list is longer)")))
finish()
