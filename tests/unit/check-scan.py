#!/usr/bin/env python3
"""check-scan.py SCANDUMP FILE EXPECTED -- the scanner's summary for FILE
must be exactly EXPECTED ("sites=6 syscall=5 ...")."""
import subprocess
import sys

scandump, path, expected = sys.argv[1:4]
out = subprocess.run([scandump, path], stdout=subprocess.PIPE, text=True, check=True).stdout
print(out, end="")
summary = out.splitlines()[-1].split(" ", 1)[1]
if summary != expected:
    print("expected: %s\n     got: %s" % (expected, summary))
    sys.exit(1)
