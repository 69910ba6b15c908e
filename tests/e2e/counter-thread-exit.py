#!/usr/bin/env python3
"""The counter's table when exit() is called from a thread other than the
main one (as a JVM's System.exit does): the program's status, and a whole
table, in every mode; and a JVM's System.exit, when javac is installed.

usage: counter-thread-exit.py ZPOLINE THREADEXIT"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

Z, PROG = (os.path.abspath(a) for a in sys.argv[1:3])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
ROW = re.compile(r"^ *\d+\.\d\d +\d+\.\d{6} +\d+ +\d+ +(\d+)? +[\w()#]+$")
work = tempfile.mkdtemp(prefix="zp-counter-thread-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)
failed = 0

for mode in ("fast", "trap", "catch", "sud"):
    table = os.path.join(work, "table." + mode)
    # catch: fast mode with the Syscall User Dispatch safety net
    opts = ["--mode", "fast", "--catch-late"] if mode == "catch" else ["--mode", mode]
    p = subprocess.run([Z, "run"] + opts + ["--hook", "counter", "-o", table, "--", PROG],
                       capture_output=True, text=True, env=ENV, timeout=60)
    lines = open(table).read().splitlines() if os.path.exists(table) else []
    head = [i for i, l in enumerate(lines) if l.startswith("% time")]
    rows = lines[head[0] + 2:] if len(head) == 1 else []
    ok = (p.returncode == 4 and p.stdout == "thread exits\n" and len(rows) >= 4 and
          rows[-2].startswith("------ ") and rows[-1].endswith(" total") and
          all(ROW.match(r) for r in rows[:-2]))
    print("%s %s mode: status %d, table whole" % ("ok  " if ok else "FAIL", mode, p.returncode))
    if not ok:
        failed += 1
        print(p.stderr[-500:] + "\n".join(lines))

if shutil.which("javac") is None or shutil.which("java") is None:
    print("skip java: no javac")
else:
    with open(os.path.join(work, "E.java"), "w") as f:
        f.write("public class E { public static void main(String[] a) { System.exit(4); } }\n")
    subprocess.run(["javac", "E.java"], cwd=work, env=ENV, check=True, timeout=300)
    table = os.path.join(work, "table.java")
    p = subprocess.run([Z, "run", "--hook", "counter", "-o", table, "--", "java", "-cp", ".", "E"],
                       capture_output=True, text=True, cwd=work, env=ENV, timeout=300)
    lines = open(table).read().splitlines() if os.path.exists(table) else []
    ok = p.returncode == 4 and len(lines) > 4 and lines[-1].endswith(" total")
    print("%s java System.exit: status %d, table whole" % ("ok  " if ok else "FAIL", p.returncode))
    if not ok:
        failed += 1
        print(p.stdout[-500:] + p.stderr[-500:] + "\n".join(lines[-5:]))

print("%d failed" % failed)
sys.exit(1 if failed else 0)
