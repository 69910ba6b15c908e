#!/usr/bin/env python3
"""A hook written for the original zpoline that prints with printf and
uses atexit: with the program's output a pipe, its lines still appear
(the runtime runs the hook namespace's exit handlers and flushes its
stdio at exit_group). A hook that crashes in __hook_init is named.

usage: hook-exit.py ZPOLINE PRINTF_HOOK PPID"""
import os
import subprocess
import sys

Z, HOOK, PPID = sys.argv[1:4]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0

p = subprocess.run([Z, "run", "--hook", HOOK, "--", PPID], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True, env=ENV, timeout=60)
want = ["printf-hook: loaded", "printf-hook: atexit ran after some calls"]
if p.returncode == 0 and all(w in p.stdout.splitlines() for w in want) and "ppid " in p.stdout:
    print("ok   printf and atexit in a hook, output a pipe")
else:
    failed += 1
    print("FAIL printf and atexit in a hook: status %d, stdout %r" % (p.returncode, p.stdout))

p = subprocess.run([Z, "run", "--hook", HOOK, "--", PPID], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True, env=dict(ENV, ZPOLINE_TEST_CRASH="1"), timeout=60)
line = "zpoline: hook %s crashed in its __hook_init (Segmentation fault)" % os.path.abspath(HOOK)
if p.returncode == -11 or p.returncode == 139:
    ok = line in p.stderr.splitlines() and "ppid" not in p.stdout
else:
    ok = False
if ok:
    print("ok   a hook that crashes in __hook_init is named")
else:
    failed += 1
    print("FAIL a hook that crashes in __hook_init: status %d, stderr %r" % (p.returncode, p.stderr))
sys.exit(1 if failed else 0)
