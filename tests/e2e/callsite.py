#!/usr/bin/env python3
"""A signal that interrupts a system call made on a direct path (a number
no hook wants) shows its handler the program where a native call leaves
it: in read(), on its stack, the call about to be restarted or just
returned; natively and under `zpoline trace -e trace=write` (read passes
no hook) in fast mode, the same lines. Before, %rip was the runtime's
stub and %rsp below the return address it pushed. (On the hooks' paths,
and in trap and sud mode, the context is the runtime's: README.)

usage: callsite.py ZPOLINE CALLSITE"""
import os
import subprocess
import sys

from common import check, finish

Z, PROG = (os.path.abspath(a) for a in sys.argv[1:3])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}

native = subprocess.run([PROG], env=ENV, capture_output=True, text=True, timeout=60)
check("natively: the handler finds the program in read(), on its stack",
      native.returncode == 0 and native.stdout.count("in read, on its stack") == 2, native.stdout + native.stderr)
for extra in ([], ["--catch-late"]):
    hooked = subprocess.run([Z, "trace", "--mode", "fast"] + extra + ["-e", "trace=write", "-o", os.devnull,
                                                                       "--", PROG],
                            env=ENV, capture_output=True, text=True, timeout=60)
    check("fast mode%s, read passing no hook: as natively" % "".join(" " + e for e in extra),
          hooked.returncode == 0 and hooked.stdout == native.stdout,
          "hooked: %r\nnative: %r\n%s" % (hooked.stdout, native.stdout, hooked.stderr[-500:]))
finish()
