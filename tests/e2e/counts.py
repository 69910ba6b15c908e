#!/usr/bin/env python3
"""The counter counts what strace -f -c counts, calls and errors, call
by call, for every call a real program makes from its first initialiser
on: the program runs natively under strace -f with MARKER preloaded
(linked -z initfirst, its constructor runs first in every process and
makes one marked call), and only the calls after each process's marker
count; then under `zpoline run --hook counter`. Each run starts in an
empty directory of its own. Programs not installed are skipped.

usage: counts.py ZPOLINE MARKER"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from common import table_file

Z, MARKER = (os.path.abspath(a) for a in sys.argv[1:3])
PROGRAMS = [
    ["sh", "-c", "ls /usr | wc -l; echo done"],
    ["git", "--version"],
    ["gcc", "--version"],
    ["python3", "-c", "import subprocess, json; subprocess.run(['true']); print(json.dumps([1]))"],
    ["tar", "--version"],
    # what a user runs: a pipeline, a compiler driver and its children
    # (cc1, as, collect2, ld), a build, a repository's first commit, perl
    # forking
    ["bash", "-c", "ls / | sort | head -3"],
    # a writer killed by SIGPIPE (its reader gone first): strace -c counts
    # the write it dies in
    ["sh", "-c", "(sleep 0.3; echo hi) | true; echo $?"],
    # the same writer with SIGPIPE ignored: its write fails (EPIPE) and
    # comes back
    ["sh", "-c", "trap '' PIPE; (sleep 0.3; echo hi) | true; echo $?"],
    # a SIGTERM sent while blocked, let through by the rt_sigprocmask that
    # unblocks it: strace -c counts that call, the process killed on its
    # way back
    ["perl", "-e", "use POSIX; my $s = POSIX::SigSet->new(SIGTERM); sigprocmask(SIG_BLOCK, $s); "
                   "kill 'TERM', $$; sigprocmask(SIG_UNBLOCK, $s); exit 3"],
    ["sh", "-c", "printf 'int main(void){return 3;}' > t.c && gcc -O1 -o t t.c; ./t; echo $?"],
    ["sh", "-c", "printf 'int main(void){return 0;}' > t.c && printf 't: t.c\\n\\tgcc -o t t.c\\n' > Makefile && make -s"],
    # f dated in the past: a file as new as the index is "racily clean",
    # and whether git reads it again (and its attributes) depends on the
    # clock, natively too
    ["sh", "-c", "git init -q r && cd r && echo a > f && touch -d 2001-01-01 f && git add f && "
                 "git -c user.email=a@b -c user.name=n commit -qm init && git log --format=%s"],
    ["perl", "-e", "if (my $p = fork) { waitpid($p, 0); print $? >> 8, qq(\\n) } else { exit 3 }"],
    # a handler that interrupts a wait (no SA_RESTART): its rt_sigreturn
    # gives back the wait's -EINTR, which strace -c counts as its error
    ["python3", "-c", "import select, signal, os; signal.signal(signal.SIGALRM, lambda *a: None); "
                      "r, w = os.pipe(); signal.setitimer(signal.ITIMER_REAL, 0.05); "
                      "print(select.select([r], [], [], 0.3))"],
]
# the program each case needs beside the first word
NEEDS = {"printf 'int main(void){return 3;}'": ["gcc"], "Makefile": ["make", "gcc"], "git init": ["git"]}
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
LINE = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:<\.\.\. (\w+) resumed>|(\w+)\()")


def strace_counts(cmd, d):
    out = os.path.join(d, "strace")
    work = os.path.join(d, "strace.d")
    os.mkdir(work)
    subprocess.run(["strace", "-f", "-o", out, "--"] + cmd, env=dict(ENV, LD_PRELOAD=MARKER), cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    counting, counts, errors, forking, images, marking = {}, {}, {}, [], [0], set()

    def result(pid, name, line):
        """a call's end: a new image starts with its loader, a child
        counts as its parent does; a failed call counts as an error"""
        ret = line.rsplit("=", 1)[-1].split()[0] if "=" in line else ""
        if counting.get(pid) and name not in ("exit", "exit_group") and re.search(r"= (-1|\?) E[A-Z]+ ", line):
            errors[name] = errors.get(name, 0) + 1
        if name in ("execve", "execveat") and ret == "0":
            counting[pid] = False
        if name in ("clone", "clone3", "fork", "vfork") and ret.isdigit():
            counting.setdefault(ret, counting.get(pid, False))
            if pid in forking:
                forking.remove(pid)

    with open(out, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if m is None:
                continue        # a signal or an exit
            pid = m.group(1) or m.group(2) or "0"
            if pid not in counting and forking:
                # a child seen before its parent's fork returns (vfork):
                # it counts as the parent that is forking
                counting[pid] = counting.get(forking[-1], False)
            if m.group(3):
                if m.group(3) == "write" and pid in marking:
                    marking.remove(pid)     # the marker's end (EBADF)
                    continue
                result(pid, m.group(3), line)
                continue
            name = m.group(4)
            if name == "write" and '"zpoline-marker"' in line:
                counting[pid] = True
                images[0] += 1
                if "<unfinished ...>" in line:
                    marking.add(pid)
                continue
            if counting.get(pid) and name not in ("exit", "exit_group"):
                counts[name] = counts.get(name, 0) + 1
            if "<unfinished ...>" not in line:
                result(pid, name, line)
            elif name in ("clone", "clone3", "fork", "vfork"):
                forking.append(pid)
    return {k: (v, errors.get(k, 0)) for k, v in counts.items()}, images[0]


def counter_counts(cmd, d):
    table = os.path.join(d, "table")
    work = os.path.join(d, "counter.d")
    os.mkdir(work)
    subprocess.run([Z, "run", "--hook", "counter", "-o", table, "--"] + cmd, env=ENV, cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    # a program killed by a signal: the watcher writes the table a moment
    # after it ended
    text = table_file(table, 400)
    counts = {}
    for l in text.splitlines():
        p = l.split()
        if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
            counts[p[-1]] = (int(p[3]), int(p[4]) if len(p) == 6 else 0)
    return counts


# Calls whose counts may differ, and why:
#   brk, getrandom: the first allocation made for the runtime (the loader
#     allocates the link maps of the counter, loaded with dlmopen, with
#     the program's malloc) sets up the program's heap, so the
#     heap's first brk calls and malloc's tcache key (getrandom) come in
#     the runtime's start, before the program's first call: strace counts
#     them after the marker, the counter not at all; later the heap, laid
#     out differently, may grow once more or once less
#   mmap and munmap, a few fewer: malloc's threshold for mapping large
#     blocks rises when one is freed, and the runtime's own allocations
#     and frees come first (the same cause)
#   sysinfo: glibc's qsort asks it once per process for the memory size,
#     and the runtime sorts first
# (the runtime itself allocates from mappings of its own and sorts
# nothing now; loading a hook with dlmopen still allocates through libc)
# Each image the run executes sets up a heap of its own, so the bound on
# these is per image: 3 calls each, at least 8 (gcc compiling a file runs
# five images and differs by 10 to 14 brk calls).
#   rt_sigreturn: one per signal handled, and whether a SIGCHLD comes
#     while the shell waits or after varies from run to run, natively too
TOLERATED = {"brk": "heap", "getrandom": "heap", "mmap": "heap", "munmap": "heap", "sysinfo": "heap",
             "rt_sigreturn": "timing"}

failed = 0
for cmd in PROGRAMS:
    needs = [cmd[0]] + [p for k, ps in NEEDS.items() if k in " ".join(cmd) for p in ps]
    missing = [p for p in needs if shutil.which(p) is None]
    if missing:
        print("skip %s: %s not installed" % (" ".join(cmd), " ".join(missing)))
        continue
    with tempfile.TemporaryDirectory() as d:
        (s, images), c = strace_counts(cmd, d), counter_counts(cmd, d)
    diff = {k: (s.get(k, (0, 0)), c.get(k, (0, 0))) for k in sorted(set(s) | set(c))
            if s.get(k, (0, 0)) != c.get(k, (0, 0))}
    bound = max(8, 3 * images)
    # (the handler that interrupts select comes once, at a set time)
    exact = {"rt_sigreturn"} if "select.select" in " ".join(cmd) else set()
    tolerated = {k: v for k, v in diff.items() if (TOLERATED.get(k) == "timing" and k not in exact) or
                 (TOLERATED.get(k) == "heap" and abs(v[0][0] - v[1][0]) <= bound and v[0][1] == v[1][1])}
    for k in tolerated:
        del diff[k]
    if tolerated:
        print("     %s: strace -f / counter: %s (see TOLERATED)" % (cmd[0], tolerated))
    if diff:
        failed += 1
        print("FAIL %s: strace -f / counter differ: %s" % (" ".join(cmd), diff))
    else:
        print("ok   %s: %d calls of %d kinds, %d failed, counted alike" %
              (" ".join(cmd), sum(v[0] for v in s.values()), len(s), sum(v[1] for v in s.values())))
sys.exit(1 if failed else 0)
