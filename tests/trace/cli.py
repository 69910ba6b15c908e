#!/usr/bin/env python3
"""zpoline trace end to end: strace's options, the lines that must not be
lost, injection, JSON, and the refusals.

Usage: cli.py ZPOLINE DECODERS-PROGRAM SPIN-PROGRAM"""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from checks import check, finish

zpoline, decoders = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
spin = os.path.abspath(sys.argv[3])
work = tempfile.mkdtemp(prefix="zp-trace-cli-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)


def trace(*args, stdin=None):
    out = os.path.join(work, "out.txt")
    p = subprocess.run([zpoline, "trace", "-o", out] + list(args), cwd=work, capture_output=True,
                       text=True, input=stdin, timeout=60)
    with open(out, errors="replace") as f:
        return p, f.read()


# refusals: one line, exit status 2
p = subprocess.run([zpoline, "trace", "-p", "1"], capture_output=True, text=True)
check("-p is refused", p.returncode == 2 and "cannot attach" in p.stderr, p.stderr)
p = subprocess.run([zpoline, "trace", "-e", "trace=nosuchcall", "--", "true"], capture_output=True, text=True)
check("unknown call refused", p.returncode == 2 and "unknown system call 'nosuchcall'" in p.stderr, p.stderr)
p = subprocess.run([zpoline, "trace", "-e", "inject=read:error=EBOGUS", "--", "true"], capture_output=True, text=True)
check("unknown errno refused", p.returncode == 2 and "EBOGUS" in p.stderr, p.stderr)
p = subprocess.run([zpoline, "trace", "-ff", "--", "true"], capture_output=True, text=True)
check("-ff needs -o", p.returncode == 2 and "-o FILE" in p.stderr, p.stderr)

# the exit status and +++ lines
p, t = trace("--", "sh", "-c", "exit 3")
check("exit status kept", p.returncode == 3, str(p.returncode))
check("+++ exited with 3 +++", t.rstrip().endswith("+++ exited with 3 +++"), t[-200:])
p, t = trace("-e", "trace=none", "--", "sh", "-c", "kill -TERM $$")
check("killed: status kept", p.returncode == -15 or p.returncode == 143, str(p.returncode))
check("+++ killed by SIGTERM +++", "--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER" in t and
      t.rstrip().endswith("+++ killed by SIGTERM +++"), t[-300:])

# SIGKILL: no code runs in the process; the watcher the launcher left
# behind writes its +++ line (a moment after the end: wait for it)
def trace_settled(*args):
    p, t = trace(*args)
    for _ in range(40):
        time.sleep(0.05)
        t2 = open(os.path.join(work, "out.txt"), errors="replace").read()
        if t2 == t and "SIGKILL +++" in t2:
            break
        t = t2
    return p, t
p, t = trace_settled("-e", "trace=clock_nanosleep,nanosleep", "--", "sh", "-c", "sleep 10 & sleep 0.3; kill -9 $!; wait; echo done")
m = re.search(r"^\[pid +(\d+)\] clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=10, tv_nsec=0\},  <unfinished \.\.\.>$", t, re.M)
check("a child killed by SIGKILL: its blocked call and +++ killed by SIGKILL +++", p.returncode == 0 and m and
      re.search(r"^\[pid +%s\] <\.\.\. clock_nanosleep resumed> <unfinished \.\.\.>\) += \?\n\[pid +%s\] \+\+\+ killed by SIGKILL \+\+\+$"
                % (m.group(1), m.group(1)), t, re.M), t[-600:])
p, t = trace_settled("-e", "trace=none", "--", "sh", "-c", "kill -KILL $$")
check("the program killed by SIGKILL: status kept, its +++ line", p.returncode == -9 and
      t.rstrip().endswith("+++ killed by SIGKILL +++"), "%d %s" % (p.returncode, t[-300:]))
# ... and the lines it had formatted but not written (its buffer is in
# memory the watcher maps too)
out = os.path.join(work, "out.txt")
proc = subprocess.Popen([zpoline, "trace", "-e", "trace=getppid", "-o", out, "--", sys.executable, "-c",
                         "import os\nfor i in range(20):\n    os.getppid()\nprint('looping', flush=True)\n"
                         "while True:\n    pass\n"], stdout=subprocess.PIPE, text=True, cwd=work)
proc.stdout.readline()
time.sleep(0.3)
proc.kill()
proc.wait()
for _ in range(40):
    time.sleep(0.05)
    t = open(out).read()
    if "SIGKILL" in t:
        break
check("SIGKILL: the lines still in the buffer are written", t.count("getppid()") == 20 and
      t.rstrip().endswith("+++ killed by SIGKILL +++"), t[-300:])

# every thread's call when SIGKILL comes, as strace -f ends them:
#   [pid T] getppid()   = ?                     (its entering half not out)
#   [pid T] read(3,  <unfinished ...>) = ?      (... one whose result fills arguments)
#   [pid T] <... read resumed> <unfinished ...>) = ?   (its entering half out)
# then each thread's +++ killed by SIGKILL +++, the leader's last
def kill_spin(tracer, threads, call, *opts):
    out = os.path.join(work, "spin.txt")
    if tracer == "strace":
        argv = ["strace", "-f", "-o", out] + list(opts) + ["--", spin, str(threads), call]
    else:
        argv = [zpoline, "trace", "-o", out] + list(opts) + ["--", spin, str(threads), call]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=work)
    proc.stdout.readline()
    time.sleep(0.3)
    # the program: the launcher (zpoline) exec'd it; strace's is its child
    pid = proc.pid
    if tracer == "strace":
        pid = int(open("/proc/%d/task/%d/children" % (pid, pid)).read().split()[0])
    os.kill(pid, 9)
    proc.wait()
    t = ""
    for _ in range(60):
        time.sleep(0.05)
        t2 = open(out, errors="replace").read()
        if t2 == t and ("+++ killed by SIGKILL +++" in t2 or '"killed"' in t2):
            break
        t = t2
    return t, pid


def ends(t):
    """the unfinished calls, tid -> line without its prefix, and the tids
    of the +++ killed lines, in order; whether those come after these"""
    unf, killed, order = {}, [], True
    # strace 6 with -e status= ends a half it had held back twice:
    # "read(3,  <unfinished ...>\n <unfinished ...>) = ?"
    t = re.sub(r" <unfinished \.\.\.>\n <unfinished \.\.\.>\)", " <unfinished ...>)", t)
    for line in t.splitlines():
        m = re.match(r"^(?:\[pid +(\d+)\] |(\d+) +)?(.*)$", line)
        tid, rest = m.group(1) or m.group(2), m.group(3)
        if rest == "+++ killed by SIGKILL +++":
            killed.append(tid)
        elif re.search(r"\) += \?$", rest):
            unf[tid] = re.sub(r" +", " ", rest)
            order = order and not killed
    return unf, killed, order


t, pid = kill_spin("zpoline", 3, "read", "-e", "status=failed,unfinished")
unf, killed, order = ends(t)
check("SIGKILL: each thread's call whose entering half was not out (-e status=failed,unfinished)",
      len(unf) == 4 and set(unf.values()) == {"read(3, <unfinished ...>) = ?"} and order and
      len(killed) == 4 and set(killed) == set(unf) and killed[-1] == str(pid), t[-900:])
if shutil.which("strace"):
    s_unf, s_killed, _ = ends(kill_spin("strace", 3, "read", "-e", "status=failed,unfinished")[0])
    check("... the same lines as strace -f", sorted(s_unf.values()) == sorted(unf.values()) and
          len(s_killed) == len(killed), "%s %s" % (s_unf, s_killed))
t, pid = kill_spin("zpoline", 3, "read")
unf, killed, order = ends(t)
check("SIGKILL: each thread blocked in a call whose entering half is out",
      len(unf) == 4 and order and set(unf.values()) <= {"read(3, <unfinished ...>) = ?",
                                              "<... read resumed> <unfinished ...>) = ?"} and
      len(killed) == 4 and set(killed) == set(unf), t[-900:])
if shutil.which("strace"):
    s_unf, s_killed, _ = ends(kill_spin("strace", 3, "read")[0])
    check("... the shape of strace -f's", len(s_unf) == 4 and set(s_unf.values()) <= {
        "read(3, <unfinished ...>) = ?", "<... read resumed> <unfinished ...>) = ?"}, str(s_unf))
# killed mid-loop: the threads in a getppid show it as strace does, each
# after its own lines; one between two calls shows none (as with strace)
for attempt in range(3):
    t, pid = kill_spin("zpoline", 7, "getppid", "-e", "trace=getppid")
    unf, killed, order = ends(t)
    lines = t.splitlines()
    def last_line(tid, pat):
        return max((i for i, l in enumerate(lines) if re.match(r"^\[pid +%s\] %s" % (tid, pat), l)), default=-1)
    good = (len(killed) == 8 and set(unf) <= set(killed) and order and
            all(v == "getppid() = ?" for v in unf.values()) and
            all(last_line(tid, r"getppid\(\) += \?$") > last_line(tid, r"getppid\(\) += \d") and
                last_line(tid, r"getppid\(\) += \?$") < last_line(tid, r"\+\+\+") for tid in unf) and
            killed[-1] == str(pid))
    if not good or unf:
        break
check("SIGKILL mid-loop: every thread in a getppid shows it unfinished, before the +++ lines",
      good and len(unf) >= 1, "%s %s" % (unf, t[-900:]))
def unfinished_records(t):
    """--json's records, and those of the calls left unfinished"""
    try:
        recs = [json.loads(l) for l in t.splitlines()]
    except ValueError:
        recs = []
    return recs, [r for r in recs if r.get("unfinished")]


t, pid = kill_spin("zpoline", 3, "read", "--json")
recs, unf = unfinished_records(t)
check("--json: SIGKILL, a record for each thread's unfinished call, then the killed record",
      len(unf) == 4 and len({r["tid"] for r in unf}) == 4 and
      all(r["type"] == "syscall" and r["name"] == "read" and r["args"] == [3] and r["ret"] is None and r["pid"] == pid
          for r in unf) and
      recs[-1] == {"type": "killed", "pid": pid, "signal": "SIGKILL"} and recs.index(unf[-1]) < len(recs) - 1,
      t[-900:])

# a process killed in vfork, or in a clone whose child shares its memory
# and thread state (posix_spawn's), as strace -f ends it:
#   [pid P] <... vfork resumed>) = ?
#   [pid P] +++ killed by SIGKILL +++
# and the child's lines are the child's own (its pid, not its parent's)
def own_lines(t, pid):
    """pid's lines, without their prefix, the spaces before " = " squeezed"""
    return [re.sub(r" +", " ", m.group(2)) for m in re.finditer(r"^(?:\[pid +(\d+)\] |(?=\d+ )\d+ +)?(.*)$", t, re.M)
            if m.group(1) == str(pid) or re.match(r"^%d " % pid, m.group(0))]
# The parent is in vfork but for the moment between one child's end and
# the next vfork; on a loaded machine the kill can land there (the child
# already gone), so a run whose kill missed the vfork is tried again
for call, name in (("vfork", "vfork"), ("spawn", "clone")):
    for attempt in range(3):
        t, pid = kill_spin("zpoline", 0, call)
        sleeps = re.findall(r"^\[pid +(\d+)\] (?:clock_)?nanosleep\(", t, re.M)
        good = (own_lines(t, pid)[-2:] == ["<... %s resumed>) = ?" % name, "+++ killed by SIGKILL +++"] and
                sleeps and str(pid) not in sleeps)
        if good:
            break
    check("SIGKILL in %s: its line, then the process's end" % call, good, t[-900:])
    if shutil.which("strace"):
        for attempt in range(3):
            t, pid = kill_spin("strace", 0, call)
            good = own_lines(t, pid)[-2:] == ["<... %s resumed>) = ?" % name, "+++ killed by SIGKILL +++"]
            if good:
                break
        check("... the lines strace -f shows", good, t[-600:])

# a process killed in execve (one waiting for a page of its environment
# a userfaultfd never serves), as strace -f ends it; the watcher learns
# the call did not reach a new image (which may not be hooked), also when
# the process is reaped at once
if subprocess.run([spin, "0", "exec", "probe"]).returncode == 0:
    t, pid = kill_spin("zpoline", 0, "exec")
    lines = [re.sub(r" +", " ", l) for l in t.splitlines()]
    check("SIGKILL in execve: its line, then +++ killed by SIGKILL +++",
          re.match(r'^execve\("/bin/true", \["/bin/true"\], 0x[0-9a-f]+ /\* 1 var \*/\) = \?$', lines[-2]) and
          lines[-1] == "+++ killed by SIGKILL +++", t[-600:])
    if shutil.which("strace"):
        t, pid = kill_spin("strace", 0, "exec")
        check("... the lines strace -f shows", [re.sub(r"0x[0-9a-f]+", "ADDR", l) for l in own_lines(t, pid)[-2:]] ==
              ['execve("/bin/true", ["/bin/true"], ADDR /* 1 var */) = ?', "+++ killed by SIGKILL +++"], t[-600:])
else:
    print("skip SIGKILL in execve: no userfaultfd here")

# an execve ends the other threads in their calls: strace -f shows each
# one's call, = ?, and its end, then the execve's = 0
def exec_ends(tracer):
    out = os.path.join(work, "exec.txt")
    pre = ["strace", "-f", "-o", out] if tracer == "strace" else [zpoline, "trace", "-o", out]
    subprocess.run(pre + ["--", spin, "2", "read", "then-exec"], capture_output=True, timeout=30)
    t = open(out, errors="replace").read()
    tids = set(re.findall(r"^(?:\[pid +)?(\d+)\]? +read\(3,  <unfinished", t, re.M))
    resumed = max((i for i, l in enumerate(t.splitlines()) if "<... execve resumed>" in l), default=-1)
    ok = len(tids) == 2 and resumed >= 0
    for tid in tids:
        own = own_lines(t, int(tid))
        ok = ok and len(own) >= 2 and own[-2] in ("<... read resumed> <unfinished ...>) = ?",
                                                  "read(3, <unfinished ...>) = ?") and \
            own[-1] == "+++ exited with 0 +++" and \
            max(i for i, l in enumerate(t.splitlines()) if re.match(r"^(?:\[pid +)?%s\]? " % tid, l)) < resumed
    return ok, t
ok, t = exec_ends("zpoline")
check("execve ends the other threads: each one's call, = ?, its end, before execve's = 0", ok, t[-900:])
if shutil.which("strace"):
    ok, t = exec_ends("strace")
    check("... as strace -f shows them", ok, t[-900:])

# ... and when a thread other than the first execs, the first one is
# "superseded by execve in pid N" (N: the exec'ing thread)
def superseded_then(own, tid):
    line = "+++ superseded by execve in pid %s +++" % tid
    return line in own and own[own.index(line) + 1:own.index(line) + 2] == ["<... execve resumed>) = 0"]
for tracer in ["zpoline"] + (["strace"] if shutil.which("strace") else []):
    out = os.path.join(work, "exec.txt")
    pre = ["strace", "-f", "-o", out] if tracer == "strace" else [zpoline, "trace", "-o", out]
    p = subprocess.run(pre + ["--", spin, "1", "read", "thread-exec"], capture_output=True, timeout=30)
    t = open(out, errors="replace").read()
    m = re.search(r'^(?:\[pid +)?(\d+)\]? +execve\("/bin/true"', t, re.M)
    leader = re.findall(r"^(?:\[pid +)?(\d+)\]? +\+\+\+ superseded by execve in pid (\d+) \+\+\+$", t, re.M)
    check("%s: the first thread superseded by another's execve" % tracer,
          m and len(leader) == 1 and leader[0][1] == m.group(1) and
          superseded_then(own_lines(t, int(leader[0][0])), leader[0][1]), t[-900:])

# a call made in a signal handler while the call the handler interrupted
# is kept (--json keeps every call's record): the process is in the
# handler's call, and that one shows
t, pid = kill_spin("zpoline", 0, "handler", "--json")
recs, unf = unfinished_records(t)
check("--json: SIGKILL in a signal handler's call, its record unfinished",
      [r["name"] for r in unf] == ["pause"] and recs[-1].get("type") == "killed", t[-900:])

# memory the tracer has read may go away: a path it read directly before
# (a page it knows) is unmapped, made PROT_NONE or mapped over; the call
# fails with EFAULT, and the tracer prints the address (it does not fault)
unmap = os.path.join(work, "unmap.py")
with open(unmap, "w") as f:
    f.write("""import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
buf = ctypes.create_string_buffer(256)
def fstatat(addr):
    return libc.syscall(262, -100, ctypes.c_void_p(addr), buf, 0)
for how in ("munmap", "mprotect", "mmap"):
    addr = libc.mmap(None, 4096, 3, 0x22, -1, 0)
    ctypes.memmove(addr, b"/\\0", 2)
    assert fstatat(addr) == 0 and fstatat(addr) == 0
    if how == "munmap":
        libc.munmap(ctypes.c_void_p(addr), 4096)
    elif how == "mprotect":
        libc.mprotect(ctypes.c_void_p(addr), 4096, 0)
    else:
        libc.mmap(addr, 4096, 0, 0x32, -1, 0)
    assert fstatat(addr) == -1 and ctypes.get_errno() == 14
print("ok")
""")
for narrow in ([], ["-e", "trace=newfstatat"]):
    p, t = trace(*narrow, "--", sys.executable, unmap)
    check("memory gone since the tracer read it: EFAULT, the address shown%s" % (" (-e trace=)" if narrow else ""),
          p.returncode == 0 and p.stdout == "ok\n" and
          len(re.findall(r"newfstatat\(AT_FDCWD, 0x[0-9a-f]+, 0x[0-9a-f]+, 0\) += -1 EFAULT", t)) == 3 and
          len(re.findall(r'newfstatat\(AT_FDCWD, "/", \{st_mode=S_IFDIR', t)) >= 6, p.stderr[-300:] + t[-600:])
p = subprocess.run("%s trace -o %s -- sh -c 'sleep 0.2' | cat" % (zpoline, os.path.join(work, "x.txt")), shell=True,
                   capture_output=True, timeout=5)
check("the watcher holds none of the program's descriptors (a pipe ends)", p.returncode == 0)

# -e trace= narrows; classes
p, t = trace("-e", "trace=%file", "--", decoders)
names = set(re.findall(r"^(?:\[pid +\d+\] )?(\w+)\(", t, re.M))
check("trace=%file shows only file calls", names and names <= {
    "openat", "newfstatat", "stat", "lstat", "access", "faccessat", "faccessat2", "mkdir", "chmod",
    "utimensat", "symlink", "readlink", "rename", "renameat2", "link", "unlink", "unlinkat", "rmdir",
    "truncate", "statx", "execve"}, str(names))
p, t = trace("-e", "trace=!%memory,%signal,%desc", "--", decoders)
check("negated set", "mmap(" not in t and "getuid()" in t, t[:200])

# signals: the line comes before the handler, oldact reads back the program's
p, t = trace("-e", "trace=kill,rt_sigaction,rt_sigreturn", "--", decoders)
t = re.sub(r"(?m)^\[pid +\d+\] ", "", t)
check("signal line", re.search(r"kill\(\d+, SIGUSR1\) += 0\n--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=\d+, si_uid=\d+\} ---\nrt_sigreturn\(\{mask=\[\]\}\) += 0\n", t) is not None, t[-600:])
check("faults name their codes as strace does",
      re.search(r"--- SIGILL \{si_signo=SIGILL, si_code=ILL_ILLOPN, si_addr=0x[0-9a-f]+\} ---", t) is not None and
      re.search(r"--- SIGFPE \{si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x[0-9a-f]+\} ---", t) is not None,
      t[-600:])
check("oldact is the program's handler", re.search(r"rt_sigaction\(SIGUSR1, NULL, \{sa_handler=0x[0-9a-f]+, sa_mask=\[TERM\], sa_flags=SA_RESTORER\|SA_RESTART", t) is not None, t[:600])

# -e signal=SET: names with or without SIG, numbers, !, all, none
def sig_lines(*expr):
    p, t = trace(*expr, "-e", "trace=none", "--", "sh", "-c", "/bin/true; kill -USR1 $$")
    return set(re.findall(r"--- (SIG\w+) ", t)), t
for expr, want in ((("-e", "signal=CHLD"), {"SIGCHLD"}), (("-e", "signal=!SIGCHLD"), {"SIGUSR1"}),
                   (("-e", "signal=17"), {"SIGCHLD"}), (("-e", "signal=usr1,SIGCHLD"), {"SIGCHLD", "SIGUSR1"}),
                   (("-e", "signal=all"), {"SIGCHLD", "SIGUSR1"}), (("-e", "signal=none"), set())):
    got, t = sig_lines(*expr)
    check("-e %s" % expr[1], got == want and t.rstrip().endswith("+++ killed by SIGUSR1 +++"), t[-300:])
p = subprocess.run([zpoline, "trace", "-e", "signal=SIGBOGUS", "--", "true"], capture_output=True, text=True)
check("unknown signal refused", p.returncode == 2 and "SIGBOGUS" in p.stderr, p.stderr)

# -e status=: strace counts exit_group's "= ?" and the calls a dying
# process's threads are in as unfinished; a successful execve shows "= 0"
calls_re = re.compile(r"^(?:\[pid +\d+\] )?(\w+)\(.*= (\S+)", re.M)
p, t = trace("-e", "status=successful", "-e", "trace=execve,exit_group,openat", "--", "sh", "-c", "exec /bin/true")
check("status=successful: execve = 0, no exit_group, the end", re.search(r'execve\("/bin/true", .*\) += 0$', t, re.M) and
      "exit_group" not in t and t.rstrip().endswith("+++ exited with 0 +++") and
      all(r != "?" and not r.startswith("-") for _, r in calls_re.findall(t)), t[-400:])
p, t = trace("-z", "-e", "trace=exit_group", "--", "true")
check("-z keeps the +++ line", t.strip() == "+++ exited with 0 +++", t)
threaded = ("import os, threading, time\nr, w = os.pipe()\n"
            "threading.Thread(target=os.read, args=(r, 1), daemon=True).start()\ntime.sleep(0.2)\nos._exit(0)\n")
p, t = trace("-e", "status=unfinished", "--", sys.executable, "-c", threaded)
got = calls_re.findall(t)
check("status=unfinished: exit_group and the blocked read, = ?", ("exit_group", "?") in got and
      ("read", "?") in got and all(r == "?" for _, r in got) and
      re.search(r"read\(\d+,  <unfinished \.\.\.>\) += \?", t), t[-400:])
p, t = trace("-e", "trace=read,exit_group", "--", sys.executable, "-c", threaded)
check("a blocked read ends as strace's: resumed, = ?", re.search(r"<\.\.\. read resumed> <unfinished \.\.\.>\) += \?\n\[pid +\d+\] \+\+\+ exited with 0 \+\+\+", t), t[-400:])
# the lines another thread formatted but had not written when the process
# ended are written by the thread that ends it
p, t = trace("-e", "trace=getppid,exit_group", "--", sys.executable, "-c",
             "import os, threading\nready = threading.Event()\ndef f():\n    for i in range(5):\n"
             "        os.getppid()\n    ready.set()\n    while True:\n        pass\n"
             "threading.Thread(target=f, daemon=True).start()\nready.wait()\nos._exit(0)\n")
m = re.search(r"^\[pid +(\d+)\] exit_group", t, re.M)
others = [l for l in t.splitlines() if "getppid()" in l and m and not l.startswith("[pid %5s]" % m.group(1))]
check("a thread's buffered lines are out when another ends the process", len(others) == 5, t[-500:])
for st in ("unavailable", "detached"):
    p, t = trace("-e", "status=" + st, "--", "sh", "-c", "cat /nonexistent; exec true")
    check("status=%s matches no call" % st, not calls_re.findall(t) and t.rstrip().endswith("+++ exited with 0 +++"), t[-300:])

# -z / -Z, -s, -T, -tt, -y
p, t = trace("-Z", "--", decoders)
t = re.sub(r"(?m)^\[pid +\d+\] ", "", t)
bad = [l for l in t.splitlines() if not (" = -1 " in l or l.startswith(("+++", "---")) or "resumed" in l or "unfinished" in l)]
check("-Z shows failed calls only", t and not bad, "\n".join(bad[:3]))
p, t = trace("-s", "4", "-e", "trace=write", "--", "echo", "hello")
check("-s 4", 'write(1, "hell"..., 6)' in t, t)
p, t = trace("-T", "-tt", "-e", "trace=close", "--", "true")
check("-T and -tt", re.search(r"^\d\d:\d\d:\d\d\.\d{6} close\(\d+\) += 0 <\d+\.\d{6}>$", t, re.M) is not None or "close" not in t, t[:300])
p, t = trace("-y", "-e", "trace=read", "--", "head", "-c1", "/etc/passwd")
check("-y", 'read(3</etc/passwd>, "r", 1)' in t, t[:300])

# injection
p, t = trace("-e", "inject=access:error=EACCES:when=2", "-e", "trace=access", "--", decoders)
lines = [l for l in t.splitlines() if l.startswith("access(")]
check("inject when=2", len(lines) == 2 and lines[1].endswith("= -1 EACCES (Permission denied) (INJECTED)") and
      "INJECTED" not in lines[0], "\n".join(lines[:3]))
p, t = trace("-e", "fault=getuid:retval=42", "-e", "trace=getuid", "--", decoders)
check("fault with retval", "getuid()                                = 42 (INJECTED)" in t, t)

# an injected success must not make the tracer trust the program's pointers
p, t = trace("-e", "inject=stat:retval=0", "-e", "trace=stat", "--", "python3", "-c",
             "import ctypes; ctypes.CDLL(None).syscall(4, b'/', ctypes.c_void_p(1 << 46)); print('alive')")
check("injected success, bad pointer", p.returncode == 0 and "alive" in p.stdout and
      re.search(r'stat\("/", 0x400000000000\) += 0 \(INJECTED\)', t) is not None, p.stderr[-200:] + t[-300:])

# -ff: one file per process
base = os.path.join(work, "ff")
subprocess.run([zpoline, "trace", "-ff", "-o", base, "--", "sh", "-c", "/bin/true; /bin/true"], cwd=work, timeout=60)
files = [f for f in os.listdir(work) if f.startswith("ff.")]
check("-ff writes FILE.PID", len(files) >= 3, str(files))
check("-ff lines have no [pid]", all("[pid" not in open(os.path.join(work, f)).read() for f in files))

# -c uses the counter
p = subprocess.run([zpoline, "trace", "-c", "--", "ls", "/"], capture_output=True, text=True, cwd=work)
check("-c prints strace -c's table", "% time     seconds  usecs/call     calls    errors syscall" in p.stderr, p.stderr[:300])

# -c and -C count the calls of -e trace= only, as strace -c does
def table_rows(text):
    return set(re.findall(r"^ +[\d.]+ +[\d.]+ +\d+ +\d+ +(?:\d+ +)?(\w+)$", text, re.M)) - {"total"}
file_calls = {"openat", "newfstatat", "statx", "stat", "lstat", "access", "faccessat2", "readlink", "execve", "getxattr", "lgetxattr", "listxattr", "llistxattr", "statfs"}
p = subprocess.run([zpoline, "trace", "-c", "-e", "trace=%file", "--", "ls", "-l", "/"], capture_output=True, text=True, cwd=work)
rows = table_rows(p.stderr)
check("-c -e trace=%file counts file calls only", rows and rows <= file_calls, str(rows))
p = subprocess.run([zpoline, "trace", "-C", "-e", "trace=openat,close", "--", "ls", "/"], capture_output=True, text=True, cwd=work)
rows = table_rows(p.stderr)
check("-C -e trace=openat,close: the table and the lines", rows == {"openat", "close"} and
      re.search(r"^openat\(", p.stderr, re.M) and not re.search(r"^(?:write|mmap)\(", p.stderr, re.M), p.stderr[-600:])
p = subprocess.run([zpoline, "run", "--hook", "counter", "--hook-opt", "trace=nosuchcall", "--", "true"], capture_output=True, text=True)
check("counter: bad trace set refused", p.returncode != 0 and "nosuchcall" in p.stderr, p.stderr)

# --json: one object per line, calls, signals and ends
p, t = trace("--json", "--", decoders)
objs = []
try:
    objs = [json.loads(l) for l in t.splitlines()]
    ok = True
except ValueError as e:
    ok = False
check("--json parses line by line", ok and len(objs) > 50)
types = {o.get("type") for o in objs}
check("--json has calls, signals and the end", {"syscall", "signal", "exit"} <= types, str(types))
errs = [o for o in objs if o.get("name") == "access" and o.get("errno") == "ENOENT"]
check("--json errno names", len(errs) == 1, str(errs))
p, t = trace("--json", "-e", "trace=none", "--", "sh", "-c", "/bin/true; kill -USR1 $$")
try:
    recs = [json.loads(l) for l in t.splitlines()]
except ValueError:
    recs = []
check("--json: a killed child of a run, the signal's siginfo as an object",
      any(r["type"] == "killed" and r["signal"] == "SIGUSR1" for r in recs) and
      any(r["type"] == "signal" and r["siginfo"].get("si_code") == "SI_USER" for r in recs), t[-400:])

# the arguments are JSON values from the same decoders, not strings
def first(name):
    return next((o for o in objs if o.get("name") == name and o.get("ret", -1) is not None and
                 o.get("ret", -1) >= 0), None)
o = first("openat")
check("--json: openat's dirfd, path, flags", o and o["args"][0] == "AT_FDCWD" and isinstance(o["args"][1], str) and
      isinstance(o["args"][2], str) and o["args"][2].startswith("O_"), str(o))
o = first("newfstatat")
check("--json: newfstatat's struct is an object", o and isinstance(o["args"][2], dict) and
      isinstance(o["args"][2].get("st_mode"), str) and isinstance(o["args"][2].get("st_size"), int), str(o))
o = first("read")
check("--json: read's descriptor, buffer, count", o and isinstance(o["args"][0], int) and
      isinstance(o["args"][1], str) and isinstance(o["args"][2], int), str(o))
o = first("pipe2")
check("--json: pipe2's descriptors are an array", o and o["args"][0] and
      all(isinstance(x, int) for x in o["args"][0]), str(o))
def leftovers(v):
    """strings that still hold a struct, an array, a quoted string or a plain number
    (octal numbers, modes, stay strings by design)"""
    if isinstance(v, str):
        return [v] if v[:1] in ('{', '[', '"') or re.fullmatch(r"-?(0|[1-9]\d*)|0x[0-9a-f]+", v) else []
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        return [x for e in v for x in leftovers(e)]
    return []
# (not the data calls carry: a buffer's bytes may begin with any of them,
# getrandom's at random)
DATA = {"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "getrandom",
        "recvfrom", "sendto", "recvmsg", "sendmsg"}
bad = [(o["name"], l) for o in objs if o.get("type") == "syscall" and o.get("name") not in DATA
       for l in leftovers(o["args"])]
check("--json: no argument left as text that is a value", not bad, str(bad[:5]))

# the audit log of a script that execs, connects, writes and renames
script = os.path.join(work, "audited.py")
with open(script, "w") as f:
    f.write("import os, socket, subprocess\n"
            "subprocess.run(['/bin/true', 'arg one', 'two'])\n"
            "s = socket.socket()\n"
            "try:\n    s.connect(('127.0.0.1', 9))\nexcept OSError:\n    pass\n"
            "open('a.txt', 'w').write('x')\n"
            "os.rename('a.txt', 'b.txt')\n")
log = os.path.join(work, "audit.log")
subprocess.run([zpoline, "trace", "--audit", "-o", log, "--", os.path.realpath(sys.executable), script],
               cwd=work, timeout=60)
try:
    recs = [json.loads(l) for l in open(log)]
    ok = True
except ValueError:
    recs, ok = [], False
check("audit log parses", ok and len(recs) >= 4, open(log).read()[:300])
check("audit: every record says who", all({"pid", "ppid", "uid", "euid", "time"} <= set(r) for r in recs))
check("audit: exec with argv", any(r["type"] == "exec" and r["argv"] == ["/bin/true", "arg one", "two"] for r in recs))
check("audit: connect with address", any(r["type"] == "net" and r["call"] == "connect" and
                                         r["address"] == {"sa_family": "AF_INET", "sin_port": 9, "sin_addr": "127.0.0.1"}
                                         for r in recs))
check("audit: open for writing", any(r["type"] == "open_write" and r["path"] == "a.txt" for r in recs))
check("audit: rename", any(r["type"] == "rename" and r["from"] == "a.txt" and r["to"] == "b.txt" and r["ret"] == 0
                           for r in recs))
check("audit: nothing read-only", not any(r["type"] == "open_write" and r.get("flags", "").startswith("O_RDONLY")
                                          and "O_CREAT" not in r["flags"] for r in recs))

# the log's descriptor is not the program's: the program cannot see it,
# and writing into any number it did not open, copying it, changing it
# fail with EBADF as for a descriptor never opened (reopening the log
# through /proc/self/fd fails too: EEXIST marks a reopened log; the
# runtime's shared memory can still be reopened there, by a program that
# guesses its number); then the program takes every number up to
# 1024 (the runtime moves the log's away) and the trace goes on
forger = os.path.join(work, "forger.py")
with open(forger, "w") as f:
    f.write("""import errno, fcntl, os, sys
def reopen(n):
    fd = os.open("/proc/self/fd/%d" % n, os.O_WRONLY | os.O_APPEND)
    what = os.readlink("/proc/self/fd/%d" % fd)
    os.close(fd)
    raise OSError(errno.EEXIST if what.endswith(".log") else errno.ENOTSUP, what)
def attack(n):
    res = {}
    for name, f in (("write", lambda: os.write(n, b"FORGED\\n")), ("pwrite", lambda: os.pwrite(n, b"FORGED\\n", 0)),
                    ("writev", lambda: os.writev(n, [b"FORGED\\n"])), ("dup", lambda: os.dup(n)),
                    ("dup2", lambda: os.dup2(n, 50)), ("ftruncate", lambda: os.ftruncate(n, 0)),
                    ("fcntl", lambda: fcntl.fcntl(n, fcntl.F_SETFL, 0)),
                    ("reopen", lambda: reopen(n)),
                    ("close", lambda: os.close(n))):
        try:
            f()
            res[name] = "ok"
        except OSError as e:
            res[name] = errno.errorcode[e.errno]
    return res
own = set(map(int, os.listdir("/proc/self/fd")))
seen = {}
for n in range(3, 1024):
    if n not in own and n != 50:
        for k, v in attack(n).items():
            seen.setdefault(k, set()).add(v)
seen = {k: sorted(v) for k, v in seen.items()}
null = os.open("/dev/null", os.O_WRONLY)
for n in range(3, 1024):
    if n not in own and n != null:
        os.dup2(null, n)
open("x.txt", "w").close()
print(seen)
""")
for args in (("--audit",), ("-e", "trace=openat")):
    log = os.path.join(work, "own.log")
    p = subprocess.run([zpoline, "trace"] + list(args) + ["-o", log, "--", sys.executable, forger],
                       capture_output=True, text=True, cwd=work, timeout=120)
    text = open(log).read()
    try:
        seen = eval(p.stdout)
    except SyntaxError:
        seen = {}
    check("%s: the log's descriptor refuses writes, copies, changes" % args[0],
          seen != {} and all(v == ["EBADF"] for k, v in seen.items() if k != "reopen") and
          "EEXIST" not in seen.get("reopen", []) and
          not re.search(r"^FORGED", text, re.M) and '"x.txt"' in text, p.stdout + p.stderr[-300:])

# a write error in the middle of a run (a full file system: a 64 KiB tmpfs
# in a mount namespace of its own) is said once on stderr, the program goes
# on, and the status says it: 125 in place of 0, a nonzero status kept
full = os.path.join(work, "full")
os.mkdir(full)
looper = ("import os\nfor i in range(3000):\n    os.stat('/')\n    open('w.txt', 'w').close()\n"
          "print('alive')\nraise SystemExit(int(os.environ['ST']))\n")
script = ("mount -t tmpfs -o size=64k tmpfs %s || exit 99\n"
          "ST=$2 \"%s\" trace $1 -o %s/log.txt -- %s -c \"$3\"\n" % (full, zpoline, full, sys.executable))
probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
if probe.returncode != 0:
    print("skip write errors: unshare -m needs root")
else:
    for mode, st, want in (("--audit", "0", 125), ("-e trace=stat,newfstatat", "0", 125), ("-e trace=stat,newfstatat", "3", 3)):
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", mode, st, looper], capture_output=True,
                           text=True, cwd=work, timeout=120)
        said = [l for l in p.stderr.splitlines() if "cannot write to" in l]
        check("%s, disk full, program status %s: status %d, said once" % (mode.split()[0], st, want),
              p.returncode == want and "alive" in p.stdout and len(said) == 1 and
              "log.txt: No space left on device" in said[0], "%d %s" % (p.returncode, p.stderr[-300:]))

# lines are never cut by other processes' lines
p, t = trace("-f", "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do (ls / > /dev/null &) ; done; wait")
bad = [l for l in t.splitlines() if not re.match(r"^(\[pid +\d+\] )?(\w+\(|<\.\.\. |\+\+\+ |--- |\s*$)", l)]
check("no line cut by another's", not bad, "\n".join(bad[:5]))

finish()
