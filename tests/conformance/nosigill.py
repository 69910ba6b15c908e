#!/usr/bin/env python3
"""nosigill.py ZPOLINE PROG -- the slot-output sites (PROG's own, and
libc's __longjmp_chk that PROG reaches) run without a SIGILL: under
strace, `zpoline run` in fast mode, with and without --catch-late, shows
none, and PROG prints what it prints natively. Then, with gdb, a
backtrace from the real sigaltstack of __longjmp_chk goes through the
runtime's fixup (zp_slotout_return) to ____longjmp_chk and on to the
program's frames. Skipped (77) without strace."""
import os
import shutil
import subprocess
import sys
import tempfile

zpoline, prog = sys.argv[1:3]
if shutil.which("strace") is None:
    print("skip: no strace")
    sys.exit(77)
failed = False
syms = subprocess.run(["nm", "-D", prog], stdout=subprocess.PIPE, text=True, check=True).stdout
if "__longjmp_chk" not in syms:
    print("FAIL %s does not call __longjmp_chk (built without _FORTIFY_SOURCE?)" % prog)
    failed = True
native = subprocess.run([prog], stdout=subprocess.PIPE, text=True, timeout=60).stdout
with tempfile.TemporaryDirectory() as d:
    log = os.path.join(d, "strace")
    for extra in [[], ["--catch-late"]]:
        p = subprocess.run(["strace", "-f", "-qq", "-o", log, "-e", "trace=none", "-e", "signal=SIGILL",
                            zpoline, "run", "--mode", "fast", "--hook", "null"] + extra + ["--", prog],
                           stdout=subprocess.PIPE, text=True, timeout=120)
        with open(log) as f:
            sigill = [l for l in f if "SIGILL" in l]
        what = "fast mode" + (" --catch-late" if extra else "")
        if sigill:
            print("FAIL %s: %d SIGILL, first: %s" % (what, len(sigill), sigill[0].strip()))
            failed = True
        else:
            print("ok   %s: no SIGILL" % what)
        if p.returncode != 0 or p.stdout != native:
            print("FAIL %s: status %d, output\n%s\nnatively\n%s" % (what, p.returncode, p.stdout, native))
            failed = True

if shutil.which("gdb") is not None:
    script = "\n".join([
        "set startup-with-shell off",
        "set breakpoint pending on",
        "handle SIGUSR1 nostop noprint pass",
        "break jumper",
        "run",
        "catch syscall sigaltstack",
        "commands",
        "bt",
        "continue",
        "end",
        "continue",
    ])
    with tempfile.NamedTemporaryFile("w", suffix=".gdb") as f:
        f.write(script + "\n")
        f.flush()
        out = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", f.name, "--args", zpoline, "run", "--mode",
                              "fast", "--hook", "null", "--", prog], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=120).stdout
    # one backtrace: the stub, the fixup, ____longjmp_chk, ..., jumper
    traces, cur = [], []
    for line in out.splitlines():
        if line.startswith("#0 "):
            cur = []
            traces.append(cur)
        if line.startswith("#"):
            cur.append(line)
    ok = any(len(t) > 3 and "zp_slotout_return" in t[1] and "____longjmp_chk" in t[2] and
             any(" jumper " in l for l in t) for t in traces)
    if ok:
        print("ok   gdb: __longjmp_chk's sigaltstack unwinds through zp_slotout_return to jumper")
    else:
        print("FAIL gdb: no backtrace through zp_slotout_return from ____longjmp_chk:\n%s" % out)
        failed = True
else:
    print("skip gdb: not installed")
sys.exit(1 if failed else 0)
