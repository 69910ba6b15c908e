#!/usr/bin/env python3
"""zpoline trace: a fork-like clone child on a stack of its own is shown
under its own pid, a CLONE_VM|CLONE_VFORK child that crashes dies of it
as natively, and the program's descriptors on the numbers the launcher's
own had (which the runtime moves away) all work, and the tracer's socket
for an execve takes no low number the program sees.

Usage: children-fds.py ZPOLINE CLONESTACK DUP2HIGH VFORKCRASH EXECFD"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from checks import check, finish

zpoline, clonestack, dup2high, vforkcrash, execfd = (os.path.abspath(a) for a in sys.argv[1:6])
work = tempfile.mkdtemp(prefix="zp-trace-children-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)


def trace(*args):
    out = os.path.join(work, "out.txt")
    p = subprocess.run([zpoline, "trace", "-o", out] + list(args), cwd=work, capture_output=True,
                       text=True, timeout=120)
    with open(out, errors="replace") as f:
        return p, f.read()


# clone(fn, stack, SIGCHLD): the child's lines carry its pid, its string
# is read from its own memory, and its end is its own
for mode in ("fast", "sud"):
    p, t = trace("--mode", mode, "-e", "trace=faccessat,exit,wait4", "--", clonestack)
    m = re.search(r"parent (\d+) child (\d+) status 3", p.stdout)
    check("%s mode: clone child runs" % mode, p.returncode == 0 and m is not None, p.stdout + p.stderr[-300:])
    if m is None:
        continue
    parent, child = m.group(1), m.group(2)
    check("%s mode: the child's faccessat under its pid, its own string" % mode,
          re.search(r'^\[pid +%s\] faccessat\(AT_FDCWD, "/child-42", F_OK\) = -1 ENOENT' % child, t, re.M)
          is not None, t)
    check("%s mode: the child exits with 3, the parent with 0" % mode,
          re.search(r"^\[pid +%s\] \+\+\+ exited with 3 \+\+\+" % child, t, re.M) is not None and
          re.search(r"^(\[pid +%s\] )?\+\+\+ exited with 3" % parent, t, re.M) is None, t)

# a CLONE_VM|CLONE_VFORK child returning into address 0: killed by
# SIGSEGV as natively, once, and the parent goes on (it looped: the
# tracer's SIG_DFL was the child's own action, which the runtime, sharing
# its parent's memory, did not keep)
native = subprocess.run([vforkcrash], capture_output=True, text=True, timeout=60)
for mode in ("fast", "sud"):
    out = os.path.join(work, "out.txt")
    p = subprocess.Popen([zpoline, "trace", "--mode", mode, "-e", "trace=clone3,wait4", "-o", out, "--",
                          vforkcrash], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        so, se = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        so, se = p.communicate()
        so += "(still running after 20 s)"
    with open(out, errors="replace") as f:
        t = f.read(1 << 20)
    os.unlink(out)
    check("%s mode: a crashing vfork-like child dies as natively" % mode,
          native.stdout == "child killed by signal 11\n" and (p.returncode, so) == (0, native.stdout) and
          t.count("+++ killed by SIGSEGV +++") == 1, "native %r, traced %d %r; trace %r"
          % (native.stdout, p.returncode, so, t[-300:]))

# descriptor 0 closed, an execve that fails after reading its strings:
# closed during the execve and after it, as natively (the tracer's socket
# for the execve's end took it)
empty = os.path.join(work, "empty-exe")
native = subprocess.run([execfd, empty], capture_output=True, text=True, timeout=60)
if native.stdout.startswith("skip"):
    print("skip execve with descriptor 0 closed: %s" % native.stdout.strip())
else:
    p, t = trace("--", execfd, empty)
    check("execve with descriptor 0 closed: the same descriptors as natively",
          native.stdout.startswith("during execve: descriptor 0 closed\n") and p.stdout == native.stdout and
          p.returncode == 0, "native %r, traced %r" % (native.stdout, p.stdout + p.stderr[-300:]))

# dup2 onto 1023 .. 953: every descriptor works, and the trace goes on
for hook in (("--audit",), ("-e", "trace=openat")):
    p, t = trace(*hook, "--", dup2high)
    check("%s: the program's descriptors 953..1023 all work" % hook[0],
          "0 of 71 descriptors unusable" in p.stdout, p.stdout + p.stderr[-300:])
    check("%s: the trace goes on after the moves" % hook[0], "dup2high-out" in t, t[-500:])

finish()
