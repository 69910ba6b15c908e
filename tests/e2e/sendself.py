#!/usr/bin/env python3
"""Signals queued to the program while a hook runs are held back until the
hook is done, then reach the program's handler in the order the kernel
would have delivered them: this thread's queue first, each queue in the
order it was sent. The sendself hook queues them from its enter; the
program first makes the same queue itself, natively, for the order to
match. Before the fix, a real-time signal held back went behind the
instances queued to its thread after it (2 3 1, not 1 2 3).

Then a flood: a child queues 20000 real-time signals to the program's
thread as fast as it can while the program makes calls, under the null
hook and the tracer: every one must come, in order.

usage: sendself.py ZPOLINE HOOK PROG"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

from common import check, finish

Z, HOOK, PROG = (os.path.abspath(a) for a in sys.argv[1:4])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
MODES = [("fast", []), ("trap", []), ("sud", []), ("fast", ["--catch-late"])]
# (signal offset from SIGRTMIN or -1 for SIGUSR1, to the thread, to the process)
CASES = [(2, 3, 0), (2, 3, 2), (2, 1, 3), (-1, 1, 0)]

for mode, extra in MODES:
    for sig, n, m in CASES:
        name = "%s mode%s, signal %d, %d to the thread, %d to the process" % (
            mode, "".join(" " + e for e in extra), sig, n, m)
        p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG,
                            str(sig), str(n), str(m)], env=ENV, capture_output=True, text=True,
                           timeout=60)
        prog = re.search(r"^program:(.*)$", p.stdout, re.M)
        hook = re.search(r"^hook:(.*)$", p.stdout, re.M)
        check(name, p.returncode == 0 and prog is not None and hook is not None and
              prog.group(1).strip() != "" and hook.group(1) == prog.group(1),
              p.stdout + p.stderr)
# a standard signal sent twice from inside the hook, one after the other:
# the first is held back as it arrives, the second must not merge with it
# (it did: the first was sent again, and pending, the second then merged:
# the handler ran once); a real-time one for comparison
for mode, extra in MODES:
    for sig in (-1, 2):
        name = "%s mode%s, signal %d sent twice from inside the hook: the handler runs twice" % (
            mode, "".join(" " + e for e in extra), sig)
        p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "one-by-one",
                            str(sig), "2"], env=ENV, capture_output=True, text=True, timeout=60)
        prog = re.search(r"^program:(.*)$", p.stdout, re.M)
        hook = re.search(r"^hook:(.*)$", p.stdout, re.M)
        check(name, p.returncode == 0 and prog is not None and hook is not None and
              prog.group(1) == " 1 2" and hook.group(1) == prog.group(1), p.stdout + p.stderr)
# standard signals held at once, the next instance of each pending
# behind it: with two, the second instance of the second one merged
# (1 2 3); past the four slots a thread had, the fifth one's did
for mode, extra in MODES:
    for k in (2, 8):
        name = "%s mode%s, %d standard signals sent twice each from inside the hook: %d handler runs" % (
            mode, "".join(" " + e for e in extra), k, 2 * k)
        p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "several",
                            str(k), "2"], env=ENV, capture_output=True, text=True, timeout=60)
        prog = re.search(r"^program:(.*)$", p.stdout, re.M)
        hook = re.search(r"^hook:(.*)$", p.stdout, re.M)
        want = "".join(" %d" % v for v in range(1, 2 * k + 1))
        check(name, p.returncode == 0 and prog is not None and hook is not None and
              prog.group(1) == want and hook.group(1) == prog.group(1), p.stdout + p.stderr)
# a real-time signal held back, and its handler's first run waits for the
# next instance (sigtimedwait): it must read the second, as natively; it
# read one further on (the held one's slot swaps with each instance the
# kernel delivers), or, with two, the runtime's mark that ends them
for mode, extra in MODES:
    for n in (2, 3, 4):
        name = "%s mode%s, %d real-time instances, the handler waits for the next: it reads the second" % (
            mode, "".join(" " + e for e in extra), n)
        p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "waiter",
                            "2", str(n)], env=ENV, capture_output=True, text=True, timeout=60)
        prog = re.search(r"^program:(.*)$", p.stdout, re.M)
        hook = re.search(r"^hook:(.*)$", p.stdout, re.M)
        want = " 1 w2" + "".join(" %d" % v for v in range(3, n + 1))
        check(name, p.returncode == 0 and prog is not None and hook is not None and
              prog.group(1) == want and hook.group(1) == prog.group(1), p.stdout + p.stderr)
# two standard signals held back at once, the first one's handler sending
# the second again: the second's handler runs for each (natively its first
# instance is no longer pending then); the instance sent from the handler
# merged with the one kept back, which the release read as not pending
# (" 1 9": the kept one's value lost)
for mode, extra in MODES:
    name = "%s mode%s, SIGUSR1's handler sends SIGUSR2 while both are held back: 3 handler runs" % (
        mode, "".join(" " + e for e in extra))
    p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "resend"],
                       env=ENV, capture_output=True, text=True, timeout=60)
    prog = re.search(r"^program:(.*)$", p.stdout, re.M)
    hook = re.search(r"^hook:(.*)$", p.stdout, re.M)
    check(name, p.returncode == 0 and prog is not None and hook is not None and
          sorted(prog.group(1).split()) == ["1", "2", "9"] and
          sorted(hook.group(1).split()) == sorted(prog.group(1).split()), p.stdout + p.stderr)
# a signal sent during the hook's exit is held back until the exits are
# done and let through at the call site: its handler finds the program in
# syscall(), the call's result in %rax, as natively for a signal that
# comes as a call returns (it found the runtime's code). In every mode:
# trap and sud mode make the call in a signal handler of the runtime's,
# which lets it through in the context it returns to the program with
for mode, extra in MODES:
    name = "%s mode%s, a signal held back during the exits: the handler finds the program at the call" % (
        mode, "".join(" " + e for e in extra))
    p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "context"], env=ENV,
                       capture_output=True, text=True, timeout=60)
    check(name, p.returncode == 0 and "program: in syscall, rax the result: yes\n" in p.stdout and
          "hook: in syscall, rax the result: yes\n" in p.stdout and
          "hook, chain path: in syscall, rax the result: yes\n" in p.stdout, p.stdout + p.stderr)
# a signal sent during the hook's enter is held back until the enters are
# done; natively it came before the call: fast mode lets it through at the
# call site, the program on the call with its number in %rax, and makes
# the call after the handler, once (trap and sud mode let it through in
# the runtime's code, before the call: README)
for mode, extra in MODES:
    name = "%s mode%s, a signal held back during the enters: %s" % (
        mode, "".join(" " + e for e in extra),
        "the handler finds the program on the call" if mode == "fast" else "its handler runs once, the call after it")
    p = subprocess.run([Z, "run", "--mode", mode] + extra + ["--hook", HOOK, "--", PROG, "precontext"], env=ENV,
                       capture_output=True, text=True, timeout=60)
    want = "on the call: yes, rax the number: yes, handler runs 1, result right: yes\n"
    check(name, p.returncode == 0 and (want in p.stdout and "in syscall, " in p.stdout if mode == "fast" else
                                       "handler runs 1, result right: yes\n" in p.stdout), p.stdout + p.stderr)
FLOOD = re.compile(r"^flood: got (\d+), out of order (\d+)$", re.M)
trace = os.path.join(tempfile.mkdtemp(prefix="zp-sendself-"), "trace")
atexit.register(shutil.rmtree, os.path.dirname(trace), True)    # (ignore_errors)
for mode, extra in MODES:
    for hook in [["--hook", "null"], ["--hook", "tracer", "-o", trace]]:
        name = "flood, %s mode%s, %s hook" % (mode, "".join(" " + e for e in extra), hook[1])
        p = subprocess.run([Z, "run", "--mode", mode] + extra + hook + ["--", PROG, "flood", "20000"],
                           env=ENV, capture_output=True, text=True, timeout=120)
        m = FLOOD.search(p.stdout)
        check(name, p.returncode == 0 and m is not None and m.group(1) == "20000" and m.group(2) == "0",
              p.stdout + p.stderr[-1000:])
finish()
