#!/usr/bin/env python3
"""Hooks of the enter/exit style, alone and chained, on every path: enters
run in the order given and exits in reverse; an enter that answers skips
the kernel and the enters after it, while the exits before it see its
answer; an enter may change the call; a slot carries data from enter to
exit; a number no hook wants is not handed to any.

Also: every number past the kernel's table reaches the hooks (the counter
counts each once), in every mode.

usage: styles.py ZPOLINE ORDER_HOOK NEXT_HOOK PPID_PROG NUMBERS_PROG"""
import os
import subprocess
import sys
import tempfile

Z, ORDER, NEXT, PPID, NUMBERS = sys.argv[1:6]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0


def run(hooks, mode):
    args = [Z, "run"]
    for h in hooks:
        if isinstance(h, tuple):
            args += ["--hook", h[0], "--hook-opt", h[1]]
        else:
            args += ["--hook", h]
    extra = ["--catch-late"] if mode == "catch" else ["--mode", mode]
    with tempfile.TemporaryDirectory() as d:
        trace = os.path.join(d, "trace")
        p = subprocess.run(args + ["-o", trace] + extra + ["--", PPID], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=ENV, timeout=60)
        with open(trace) as f:
            lines = [l[len("order: "):] for l in f.read().splitlines() if l.startswith("order: ")]
    return p, lines


def check(what, hooks, mode, want_lines, want_out):
    global failed
    p, lines = run(hooks, mode)
    out = p.stdout.splitlines()[0] if p.stdout else ""
    if p.returncode != 0 or lines != want_lines or out != want_out:
        failed += 1
        print("FAIL %s (%s mode): status %d, stdout %r (want %r)\n  lines %r\n  want  %r\n  stderr %s"
              % (what, mode, p.returncode, out, want_out, lines, want_lines, p.stderr[-500:]))
    else:
        print("ok   %s (%s mode)" % (what, mode))


ppid = "ppid %d" % os.getpid()
pid_line = None
for mode in ("fast", "trap", "catch", "sud"):
    A, B, C = (ORDER, "a"), (ORDER, "b"), (ORDER, "c")
    # nr 110 is getppid, 39 getpid
    check("three hooks nest", [A, B, C], mode,
          ["a enter nr=110 ret=0", "b enter nr=110 ret=0", "c enter nr=110 ret=0",
           "c exit nr=110 ret=%d" % os.getpid(), "b exit nr=110 ret=%d" % os.getpid(),
           "a exit nr=110 ret=%d" % os.getpid()], ppid)
    check("an answer skips the kernel and later enters", [A, (ORDER, "b:done"), C], mode,
          ["a enter nr=110 ret=0", "b enter nr=110 ret=0", "a exit nr=110 ret=777"], "ppid 777")
    check("a slot lasts from enter to exit", [(ORDER, "s:slot")], mode,
          ["s enter nr=110 ret=0", "s exit nr=110 ret=%d slot kept" % os.getpid()], ppid)
    # the chain's path: a hook of the other style in the chain
    check("beside a syscall/next hook", [A, NEXT, (ORDER, "b:done")], mode,
          ["a enter nr=110 ret=0", "b enter nr=110 ret=0", "a exit nr=110 ret=777"], "ppid 777")

    # a changed call: the kernel makes getpid; the program sees its result
    p, lines = run([(ORDER, "x:arg")], mode)
    pid = p.stdout.split()[1] if p.stdout else "?"
    want = ["x enter nr=110 ret=0", "x exit nr=39 ret=%s" % pid]
    if lines == want and pid != str(os.getpid()) and pid.isdigit():
        print("ok   an enter changes the call (%s mode)" % mode)
    else:
        failed += 1
        print("FAIL an enter changes the call (%s mode): %r, %r" % (mode, p.stdout, lines))

    # numbers: each of first..1022 in a row of its own, the rest in (other)
    with tempfile.TemporaryDirectory() as d:
        table = os.path.join(d, "table")
        extra = ["--catch-late"] if mode == "catch" else ["--mode", mode]
        p = subprocess.run([Z, "run", "--hook", "counter", "-o", table] + extra + ["--", NUMBERS],
                           stdout=subprocess.PIPE, text=True, env=ENV, timeout=120)
        with open(table) as f:
            rows = {l.split()[-1]: int(l.split()[3]) for l in f if l[:6].strip().replace(".", "").isdigit()}
    first = int(p.stdout.split(" from ")[1].split(",")[0], 16)
    missing = [hex(nr) for nr in range(first, 1023) if rows.get("syscall_%#x" % nr) != 1]
    other = rows.get("(other)")
    if p.returncode == 0 and not missing and other == (4200 - 1023 + 1) + 15:
        print("ok   the hooks see every number past the table (%s mode)" % mode)
    else:
        failed += 1
        print("FAIL the hooks see every number past the table (%s mode): status %d, missing %s, (other) %r"
              % (mode, p.returncode, missing[:10], other))

sys.exit(1 if failed else 0)
