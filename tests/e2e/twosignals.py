#!/usr/bin/env python3
"""Two signals at once around calls the hooks see (twosignals.c): SIGALRM
arrives while SIGUSR1, which interrupted a call, is held back for the
call's exits. Found so: a handler entered in that window returned with
SIGUSR1 blocked in its context after the runtime had let it through, and
SIGUSR1 stayed blocked for good; or two signals held back at once took
the same slot, and one was lost. Every round must see both, in every mode,
under a hook without exits (null), with exits (tracer), and a
syscall/next one.

usage: twosignals.py ZPOLINE TWOSIGNALS NEXT_HOOK"""
import os
import subprocess
import sys

from common import check, finish

Z, PROG, NEXT = (os.path.abspath(a) for a in sys.argv[1:4])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
ROUNDS = "3000"

native = subprocess.run([PROG, ROUNDS], env=ENV, capture_output=True, text=True, timeout=120)
check("natively: every round handles both signals", native.returncode == 0, native.stdout + native.stderr)
for mode in ("fast", "trap", "sud"):
    for name, hook in (("null", "null"), ("tracer", "tracer"), ("syscall/next", NEXT)):
        p = subprocess.run([Z, "run", "--hook", hook, "--mode", mode, "-o", os.devnull, "--", PROG, ROUNDS],
                           env=ENV, capture_output=True, text=True, timeout=120)
        check("%s mode, %s hook: every round handles both signals" % (mode, name),
              p.returncode == 0 and p.stdout == native.stdout, p.stdout + p.stderr[-500:])
finish()
