#!/usr/bin/env python3
"""check-options.py ZPOLINE PAGE -- every long option of each command's
--help is documented in the man page, and every option the page documents
exists in some command's --help."""
import re
import subprocess
import sys

zpoline, page = sys.argv[1:3]
shown = set()
for command in ("run", "stats", "check", "cache", "trace"):
    helptext = subprocess.run([zpoline, command, "--help"], stdout=subprocess.PIPE, text=True,
                              check=True).stdout
    shown |= set(re.findall(r"--([a-z][a-z-]+)", helptext))
with open(page) as f:
    roff = f.read().replace("\\-", "-")
documented = set()
for line in roff.splitlines():
    if re.match(r"\.(B|BR|RB|BI|IB) ", line):
        documented.update(re.findall(r"--([a-z][a-z-]+)", line))
missing = shown - documented
extra = documented - shown - {"help", "usage", "version"}
for o in sorted(missing):
    print("--%s is in --help but not in %s" % (o, page))
for o in sorted(extra):
    print("--%s is in %s but not in --help" % (o, page))
print("%d options checked" % len(shown))
sys.exit(1 if missing or extra else 0)
