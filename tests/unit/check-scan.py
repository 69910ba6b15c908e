#!/usr/bin/env python3
"""check-scan.py SCANDUMP FILE EXPECTED [NAME=VERDICT...] -- the scanner's
summary for FILE must be exactly EXPECTED ("sites=6 syscall=5 ..."), and
each site in function NAME (a symbol of FILE) must have VERDICT (call,
redzone or nofunc); every function named must hold a site."""
import subprocess
import sys

scandump, path, expected = sys.argv[1:4]
want = dict(a.split("=", 1) for a in sys.argv[4:])
out = subprocess.run([scandump, path], stdout=subprocess.PIPE, text=True, check=True).stdout
print(out, end="")
failed = False
summary = out.splitlines()[-1].split(" ", 1)[1]
if summary != expected:
    print("expected: %s\n     got: %s" % (expected, summary))
    failed = True

if want:
    funcs = []
    nm = subprocess.run(["nm", "-S", "--defined-only", path], stdout=subprocess.PIPE, text=True,
                        check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tT":
            funcs.append((int(f[0], 16), int(f[0], 16) + int(f[1], 16), f[3]))
    seen = set()
    for line in out.splitlines()[:-1]:
        _, addr, _, verdict = line.split()
        a = int(addr, 16)
        names = [n for lo, hi, n in funcs if lo <= a < hi]
        name = names[0] if names else "?"
        if name in want:
            seen.add(name)
            if verdict != want[name]:
                print("%s (%s): expected %s, got %s" % (name, addr, want[name], verdict))
                failed = True
    for name in sorted(set(want) - seen):
        print("%s: no site found" % name)
        failed = True
sys.exit(1 if failed else 0)
