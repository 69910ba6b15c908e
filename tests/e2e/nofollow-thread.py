#!/usr/bin/env python3
"""--no-follow and a thread not followed, in each mode: after the thread
vforks, its calls are still not the hooks' (the parent's side of the
vfork took the followed state back), and its close_range of every
descriptor above 2 leaves the runtime's (in sud mode the thread's calls
went to the kernel unseen: the tracer's output was closed). And when the
first thread ends with pthread_exit and another thread ends the process
(MAINEXIT), one +++ line, after the first thread's exit (the tracer
printed one for each). And a signal's default action in a task not
followed (SIGNAL): a forked child's death is not the traced process's
(the tracer printed its --- SIGTERM --- and +++ killed +++ lines, and
sent the signal again to the parent, which died of it), another thread's
kills the process, which ends with one +++ killed line without [pid N],
as does a SIGKILL after another thread handled a signal (the watcher's
line had [pid N]).

usage: nofollow-thread.py ZPOLINE PROG MAINEXIT SIGNAL"""
import os
import subprocess
import sys
import tempfile
import time

Z, PROG, MAINEXIT, SIGNAL = sys.argv[1:5]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0

for mode in ("fast", "trap", "sud", "catch"):
    opts = ["--mode", "fast", "--catch-late"] if mode == "catch" else ["--mode", mode]
    with tempfile.NamedTemporaryFile("r") as f:
        p = subprocess.run([Z, "run"] + opts + ["--no-follow", "-o", f.name, "--", PROG], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
        out = f.read()
    problems = []
    if p.returncode != 0 or p.stderr != "":
        problems.append("status %d, stderr %r" % (p.returncode, p.stderr))
    if "getppid(" in out or "wait4(" in out:
        problems.append("the thread's calls after its vfork are shown")
    if "getpid() = " not in out or out.count("+++ exited with 0 +++") != 1:
        problems.append("not the main thread's getpid and one end")
    if problems:
        failed += 1
        print("FAIL %s: %s\n%s" % (mode, "; ".join(problems), out[-3000:]))
    else:
        print("ok   %s" % mode)

for mode in ("fast", "sud"):
    with tempfile.NamedTemporaryFile("r") as f:
        p = subprocess.run([Z, "run", "--mode", mode, "--no-follow", "-o", f.name, "--", MAINEXIT],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
        out = f.read()
    lines = out.splitlines()
    if p.returncode == 0 and out.count("+++ exited") == 1 and lines[-2:] == ["exit(0) = ?", "+++ exited with 0 +++"]:
        print("ok   %s: the first thread's pthread_exit, then another thread's end: one +++ line" % mode)
    else:
        failed += 1
        print("FAIL %s: the first thread's pthread_exit: status %d, %d +++ lines\n%s" %
              (mode, p.returncode, out.count("+++ exited"), out[-2000:]))

for mode in ("fast", "sud"):
    for who, status, end in (("child", 0, "+++ exited with 0 +++"), ("thread", -15, "+++ killed by SIGTERM +++"),
                             ("sigkill", -9, "+++ killed by SIGKILL +++")):
        with tempfile.NamedTemporaryFile("r") as f:
            p = subprocess.run([Z, "run", "--mode", mode, "--no-follow", "-o", f.name, "--", SIGNAL, who],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
            out = f.read()
            # a SIGKILL's +++ line is the watcher's, written once it saw
            # the program end: it may come after the program's parent
            # (this script) has seen it end
            for _ in range(100 if who == "sigkill" else 0):
                if out.splitlines()[-1:] == [end]:
                    break
                time.sleep(0.1)
                f.seek(0)
                out = f.read()
        lines = out.splitlines()
        if (p.returncode == status and "SIGTERM {" not in out and "SIGUSR1 {" not in out and "[pid" not in out and lines[-1:] == [end] and
                out.count("+++") == 2):
            print("ok   %s: a signal's default action (%s), shown as strace without -f shows it" % (mode, who))
        else:
            failed += 1
            print("FAIL %s: a signal's default action (%s): status %d, expected %d\n%s" %
                  (mode, who, p.returncode, status, out[-2000:]))
sys.exit(1 if failed else 0)
