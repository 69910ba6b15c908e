#!/usr/bin/env python3
"""A signal's mask around calls the hooks see (heldmask.c), natively and
under null, counter and tracer in every mode, the same lines:

  * a signal only a call's temporary mask lets in (io_pgetevents) is
    blocked again after the call: held back for the call's exits and let
    through at the site, it stayed unblocked for good;
  * after a handler of a sent SIGSEGV (the runtime's own signal) left a
    call by siglongjmp, rt_sigsuspend's temporary mask does not outlive
    it: the record of the call left in the kernel's turn made the
    runtime's own rt_sigsuspend look like the program's call.

usage: heldmask.py ZPOLINE HELDMASK"""
import os
import subprocess
import sys

from common import check, finish

Z, PROG = (os.path.abspath(a) for a in sys.argv[1:3])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}

for case in ("tmpmask", "staleturn"):
    native = subprocess.run([PROG, case], env=ENV, capture_output=True, text=True, timeout=60)
    check("%s natively: the signal blocked again after the call" % case,
          native.returncode == 0 and ": yes" in native.stdout and ": no" not in native.stdout,
          native.stdout + native.stderr)
    for mode in ("fast", "trap", "sud"):
        for hook in ("null", "counter", "tracer"):
            p = subprocess.run([Z, "run", "--hook", hook, "--mode", mode, "-o", os.devnull, "--", PROG, case],
                               env=ENV, capture_output=True, text=True, timeout=60)
            check("%s, %s mode, %s hook: as natively" % (case, mode, hook),
                  p.returncode == 0 and p.stdout == native.stdout,
                  "hooked: %r\nnative: %r\n%s" % (p.stdout, native.stdout, p.stderr[-500:]))
finish()
