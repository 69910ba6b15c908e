#!/usr/bin/env python3
"""The counter's table when the program is killed by a signal, as strace -c
prints it: by SIGTERM it sends itself, an uncaught SIGSEGV, abort()'s
SIGABRT, a write's SIGPIPE (of a write io_submit made, too), a SIGTERM
pending until rt_sigprocmask unblocks it (the kill, tgkill, write,
io_submit and rt_sigprocmask counted, as strace -c counts them), SIGKILL,
SIGINT and SIGTERM from outside (the pause it was killed in counted,
failed, as strace -c counts it, but not when SIGKILL ended it), and when
it ends without exit_group, by its only thread's exit; the table counts
the calls made before (KILLME's getppid calls), comes once, to stderr or
-o FILE, with the counter's options, and the status is the program's. A
program that exits prints one table; so does one whose child is killed. A
write a thread is blocked in as the process exits is not counted, as
strace -c does not see it return; a raise() left by siglongjmp is. A
program killed in an image an execve started that is hooked: the table
counts both images; in one that is not (static, with --best-effort): no
table rather than a short one. The table's own writes (to a pipe with no
reader, past the program's file size limit) leave the program's status as
it is.

usage: counter-killed.py ZPOLINE KILLME KILLME_STATIC"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from common import check, finish, table_file

Z, KILLME, STATIC = (os.path.abspath(a) for a in sys.argv[1:4])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
ROW = re.compile(r"^ *\d+\.\d\d +\d+\.\d{6} +\d+ +(\d+) +(\d+)? +([\w()#]+)$")
work = tempfile.mkdtemp(prefix="zp-counter-killed-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)


def tables(text):
    """the tables in text: for each, {name: (calls, errors)} and the names
    in their order"""
    out = []
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if not l.startswith("% time "):
            continue
        rows, order = {}, []
        for r in lines[i + 2:]:
            m = ROW.match(r)
            if m is None:
                break
            rows[m.group(3)] = (int(m.group(1)), int(m.group(2) or 0))
            order.append(m.group(3))
        out.append((rows, order))
    return out


def run(args, opts=(), sig=None):
    """zpoline run --hook counter OPTS -- KILLME ARGS: its status and
    stderr, read to its end (the watcher holds it until it has written);
    with sig, sent to the program once it says it is ready"""
    cmd = [Z, "run", "--hook", "counter"] + list(opts) + ["--", KILLME] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=work)
    if sig is not None:
        p.stdout.readline()
        time.sleep(0.1)
        os.kill(p.pid, sig)
    _, err = p.communicate(timeout=60)
    return p.returncode, err


def one_table(what, status, err, want_status, calls):
    t = tables(err)
    check("%s: status %d, one table, getppid %d calls" % (what, want_status, calls),
          status == want_status and len(t) == 1 and t[0][0].get("getppid") == (calls, 0),
          "status %d\n%s" % (status, err))
    return t


for mode in ("fast", "sud"):
    m = ["--mode", mode]
    status, err = run(["5", "exit"], m)
    one_table("%s mode, exit" % mode, status, err, 0, 5)
    status, err = run(["4", "rawexit"], m)
    one_table("%s mode, the exit system call of its only thread" % mode, status, err, 3, 4)
    # the call that raised the signal counts, as strace -c counts it
    status, err = run(["6", "term"], m)
    t = one_table("%s mode, SIGTERM to itself" % mode, status, err, -signal.SIGTERM, 6)
    check("... the kill counted", t and t[0][0].get("kill") == (1, 0), err)
    status, err = run(["7", "segv"], m)
    one_table("%s mode, uncaught SIGSEGV" % mode, status, err, -signal.SIGSEGV, 7)
    status, err = run(["8", "abort"], m)
    t = one_table("%s mode, abort()" % mode, status, err, -signal.SIGABRT, 8)
    check("... the tgkill counted", t and t[0][0].get("tgkill") == (1, 0), err)
    status, err = run(["5", "pipe"], m)
    t = one_table("%s mode, SIGPIPE" % mode, status, err, -signal.SIGPIPE, 5)
    check("... the write counted, failed", t and t[0][0].get("write") == (1, 1), err)
    # a write io_submit submitted: the call succeeds, the process dies
    status, err = run(["3", "aio"], m)
    if status == 4:
        print("skip %s mode, io_submit: no AIO here" % mode)
    else:
        t = one_table("%s mode, SIGPIPE of a write io_submit made" % mode, status, err, -signal.SIGPIPE, 3)
        check("... the io_submit counted", t and t[0][0].get("io_submit") == (1, 0), err)
    # a thread blocked in a write when the process ends (the main thread
    # returns): the kernel ends it before the write comes back, which
    # strace -c does not count; the status is how many did come back
    status, err = run(["3", "blocked"], m)
    t = tables(err)
    check("%s mode, a thread blocked in a write as the process exits: the writes that came back (%d)" %
          (mode, status), len(t) == 1 and status > 0 and t[0][0].get("write") == (status, 0), err)
    # the same counting the writes alone (trace=write, as zpoline trace -C
    # -e trace=write asks)
    status, err = run(["3", "blocked"], m + ["--hook-opt", "trace=write"])
    t = tables(err)
    check("%s mode, trace=write, a thread blocked in a write as the process exits: the writes that came back"
          % mode, len(t) == 1 and status > 0 and t[0][0].get("write") == (status, 0), err)
    # the same when the main thread execs (killme W exit: W getppid calls)
    status, err = run(["0", "blockexec"], m)
    t = tables(err)
    check("%s mode, a thread blocked in a write as the process execs: the writes that came back" % mode,
          status == 0 and len(t) == 1 and t[0][0].get("getppid", (0, 0))[0] > 0 and
          t[0][0].get("write") == (t[0][0]["getppid"][0], 0), err)
    # raise's tgkill left by the handler's siglongjmp: it came back
    status, err = run(["3", "jump"], m)
    t = one_table("%s mode, raise() left with siglongjmp" % mode, status, err, 0, 3)
    check("... the tgkill counted", t and t[0][0].get("tgkill") == (1, 0), err)
    # a signal pending while blocked: the rt_sigprocmask that unblocks it
    # is the call the process dies on the way back from
    status, err = run(["4", "unblock"], m)
    t = one_table("%s mode, SIGTERM unblocked by sigprocmask" % mode, status, err, -signal.SIGTERM, 4)
    check("... both rt_sigprocmask counted", t and t[0][0].get("rt_sigprocmask") == (2, 0), err)
    # killed in a call that waits (pause): strace -c counts it, failed,
    # unless the signal was SIGKILL (it never sees that call return)
    status, err = run(["9", "wait"], m, signal.SIGKILL)
    t = one_table("%s mode, SIGKILL from outside" % mode, status, err, -signal.SIGKILL, 9)
    check("... the pause it was in not counted", t and "pause" not in t[0][0], err)
    status, err = run(["10", "wait"], m, signal.SIGINT)
    t = one_table("%s mode, SIGINT from outside" % mode, status, err, -signal.SIGINT, 10)
    check("... the pause it was in counted, failed", t and t[0][0].get("pause") == (1, 1), err)
    status, err = run(["3", "wait"], m, signal.SIGTERM)
    t = one_table("%s mode, SIGTERM from outside" % mode, status, err, -signal.SIGTERM, 3)
    check("... the pause it was in counted, failed", t and t[0][0].get("pause") == (1, 1), err)

# -o FILE and the counter's options: the table there, sorted as asked
out = os.path.join(work, "table")
status, err = run(["11", "wait"], ["--hook-opt", "sort=calls", "-o", out], signal.SIGKILL)
# (written by the watcher once the program has ended: wait for it)
text = table_file(out, 200)
t = tables(text)
check("-o FILE, sort=calls, SIGKILL: the table in FILE, most calls first", status == -signal.SIGKILL and
      err == "" and len(t) == 1 and t[0][0].get("getppid") == (11, 0) and t[0][1][0] == "getppid", text)

# the table written as the program ends must not end it otherwise: to a
# pipe whose reader is gone (SIGPIPE), or to -o FILE past a file size
# limit the program set (SIGXFSZ; the watcher then writes it)
r, w = os.pipe()
os.close(r)
p = subprocess.run([Z, "run", "--hook", "counter", "--", KILLME, "3", "exit"], stderr=w, env=ENV, cwd=work,
                   timeout=60)
os.close(w)
check("the table to a pipe with no reader: the program's status, 0", p.returncode == 0,
      "status %d" % p.returncode)
out = os.path.join(work, "limited")
p = subprocess.run([Z, "run", "--hook", "counter", "-o", out, "--", "sh", "-c",
                    "ulimit -f 0; exec %s 3 exit" % KILLME], capture_output=True, text=True, env=ENV, cwd=work,
                   timeout=60)
text = table_file(out, 200)
t = tables(text)
check("-o FILE, the program under ulimit -f 0: its status, 0, and the table in FILE",
      # (sh makes a getppid of its own, or more)
      p.returncode == 0 and len(t) == 1 and t[0][0].get("getppid", (0, 0))[0] >= 3, "status %d\n%s%s" %
      (p.returncode, p.stderr, text))

# execve: the image it starts counts too; a failed one counts as an error
status, err = run(["2", "exec", KILLME, "3", "term"])
t = one_table("SIGTERM in a hooked image the program exec'd", status, err, -signal.SIGTERM, 5)
check("... the execve counted", t and t[0][0].get("execve") == (1, 0), err)
status, err = run(["2", "exec", os.path.join(work, "none")])
t = one_table("SIGTERM after a failed execve", status, err, -signal.SIGTERM, 2)
check("... the execve counted, failed", t and t[0][0].get("execve") == (1, 1), err)
# an image not hooked: its calls are not counted, no table rather than a
# short one (it exits 0 or is killed alike)
for how, want in (("term", -signal.SIGTERM), ("exit", 0)):
    status, err = run(["2", "exec", STATIC, "3", how], ["--best-effort"])
    check("an exec'd image not hooked (%s): status %d, no table" % (how, want),
          status == want and tables(err) == [], "status %d\n%s" % (status, err))

# a child killed: the program's own exit prints the one table
p = subprocess.run([Z, "run", "--hook", "counter", "--", "sh", "-c", "%s 4 term; %s 3 exit" % (KILLME, KILLME)],
                   capture_output=True, text=True, env=ENV, cwd=work, timeout=60)
t = tables(p.stderr)
# (sh makes a getppid of its own, or more)
check("a child killed, the program exits: one table, both children's calls", p.returncode == 0 and
      len(t) == 1 and t[0][0].get("getppid", (0, 0))[0] >= 7, p.stderr)

# zpoline trace -C: the trace's +++ line of the end, then the table
p = subprocess.Popen([Z, "trace", "-C", "-e", "trace=getppid", "--", KILLME, "3", "wait"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=work)
p.stdout.readline()
time.sleep(0.1)
p.kill()
_, err = p.communicate(timeout=60)
t = tables(err)
check("zpoline trace -C, SIGKILL: +++ killed by SIGKILL +++, then the table",
      p.returncode == -signal.SIGKILL and len(t) == 1 and t[0][0].get("getppid") == (3, 0) and
      err.count("getppid()") == 3 and "+++ killed by SIGKILL +++\n% time " in err, err)

finish(count=True)
