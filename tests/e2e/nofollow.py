#!/usr/bin/env python3
"""--no-follow as strace without -f: the first thread's calls alone reach
the hooks (not another thread's, not a forked child's), the tracer's lines
carry no [pid N], and a process ended by another thread's exit_group ends
once, with its status.

usage: nofollow.py ZPOLINE NOFOLLOW_PROG THREADEXIT_PROG"""
import os
import subprocess
import sys
import tempfile

Z, PROG, THREADEXIT = sys.argv[1:4]
failed = 0


def report(name, problems, out=""):
    global failed
    if problems:
        failed += 1
        print("FAIL %s: %s\n%s" % (name, "; ".join(problems), out[-3000:]))
    else:
        print("ok   %s" % name)


def run(args):
    with tempfile.NamedTemporaryFile("r") as f:
        p = subprocess.run([Z, "run", "-o", f.name] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=120)
        return p, f.read()


p, out = run(["--no-follow", "--", PROG])
problems = []
if p.returncode != 0:
    problems.append("exit status %d" % p.returncode)
if "[pid" in out:
    problems.append("lines carry [pid N]")
if "getppid(" in out:
    problems.append("a call of the thread or the child is shown")
if "getpid() = " not in out:
    problems.append("the main thread's getpid is not shown")
if out.count("+++ exited with 0 +++") != 1:
    problems.append("%d exit lines, expected 1" % out.count("+++ exited with 0 +++"))
report("--no-follow, tracer: the first thread alone, no [pid N]", problems, out)

p, out = run(["--", PROG])
problems = []
if out.count("getppid(") != 4:
    problems.append("%d getppid lines followed, expected 4" % out.count("getppid("))
if "[pid" not in out:
    problems.append("no [pid N] with three tasks")
report("... while by default the thread and the child are followed", problems, out)

p, out = run(["--no-follow", "--hook", "counter", "--", PROG])
problems = [] if "getppid" not in out and "getpid" in out else ["table: getppid counted or getpid not"]
report("--no-follow, counter: the thread's and the child's calls are not counted", problems, out)

p, out = run(["--no-follow", "--", THREADEXIT])
problems = []
if p.returncode != 4:
    problems.append("exit status %d, expected 4" % p.returncode)
if out.count("+++ exited with 4 +++") != 1 or "killed" in out or "[pid" in out:
    problems.append("the end is not one '+++ exited with 4 +++'")
report("--no-follow, tracer: exit_group from a thread not followed ends the trace once", problems, out)

# a hook that enforces a policy still sees every thread: a thread shares
# the memory the policy guards
p = subprocess.run([Z, "run", "--no-follow", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", sys.executable,
                    "-c", "import os, threading\nr = []\nt = threading.Thread(target=lambda: r.append(os.getppid()))\n"
                    "t.start()\nt.join()\nprint(os.getppid(), r[0])"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True, timeout=120)
report("--no-follow, deny: another thread's calls are denied too",
       [] if p.stdout.split() == ["-1", "-1"] else ["getppid in the first thread and another: %r" % p.stdout],
       p.stderr)

sys.exit(1 if failed else 0)
