#!/usr/bin/env python3
"""int80-deny.py ZPOLINE PROG -- under the deny hook (which enforces a
policy, so the safety net is armed) PROG's int $0x80 calls, which no hook
can see, make the run fail closed: status 125 and a one-line message
naming int $0x80; with --best-effort PROG prints what it prints
natively."""
import subprocess
import sys

zpoline, prog = sys.argv[1:3]
deny = [zpoline, "run", "--hook", "deny", "--hook-opt", "kexec_load=EPERM"]
failed = False
native = subprocess.run([prog], stdout=subprocess.PIPE, text=True, timeout=60)
p = subprocess.run(deny + ["--", prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
if p.returncode == 125 and "int $0x80" in p.stderr and len(p.stderr.splitlines()) == 1:
    print("ok   refused: %s" % p.stderr.strip())
else:
    print("FAIL not refused: status %d, stderr %r" % (p.returncode, p.stderr))
    failed = True
p = subprocess.run(deny + ["--best-effort", "--", prog], stdout=subprocess.PIPE, text=True, timeout=120)
if p.returncode == 0 and p.stdout == native.stdout:
    print("ok   --best-effort: as natively")
else:
    print("FAIL --best-effort: status %d, output\n%s\nnatively\n%s" % (p.returncode, p.stdout, native.stdout))
    failed = True
sys.exit(1 if failed else 0)
