#!/usr/bin/env python3
"""The runtime preloaded by hand with the null hook (quiet: no copy of
stderr kept for it) and ZPOLINE_STATS=json: the report, written at exit,
reaches the stderr the process started with even after the program made
its own stderr a file of its own, as it does with any other hook (it was
dropped), and nothing of it goes into the program's file.

usage: quiet-stats.py BUILD_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

BUILD = sys.argv[1]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0

with tempfile.TemporaryDirectory() as tmp:
    victim = os.path.join(tmp, "stderr-file")
    prog = ("import os\n"
            "fd = os.open(%r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
            "os.dup2(fd, 2)\n"
            "os.write(2, b'data\\n')\n" % victim)
    for hook in ("null", "counter"):
        env = dict(ENV, LD_PRELOAD=os.path.join(BUILD, "runtime", "libzpoline.so"), ZPOLINE_STATS="json",
                   ZPOLINE_HOOK=os.path.join(BUILD, "hooks", hook + ".so"))
        p = subprocess.run([sys.executable, "-c", prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, timeout=120)
        with open(victim) as f:
            theirs = f.read()
        problems = []
        if p.returncode != 0:
            problems.append("status %d" % p.returncode)
        if theirs != "data\n":
            problems.append("the program's file holds %r" % theirs)
        reports = []
        for line in p.stderr.splitlines():
            try:
                reports.append(json.loads(line))
            except ValueError:
                pass
        if not any(isinstance(r, dict) and "late" in r for r in reports):
            problems.append("no JSON report on the first stderr: %r" % p.stderr[-500:])
        if problems:
            failed += 1
            print("FAIL %s: %s" % (hook, "; ".join(problems)))
        else:
            print("ok   %s: the JSON report on the first stderr, none in the program's file" % hook)
sys.exit(1 if failed else 0)
