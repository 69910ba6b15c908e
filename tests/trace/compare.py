#!/usr/bin/env python3
"""Trace a corpus of commands with both `strace -f` and `zpoline trace`,
mask what differs from run to run (pids, addresses, times, random bytes),
and report the share of zpoline's lines that strace printed identically.

Usage: compare.py ZPOLINE FLOOR PROG... [-- CMD-FILE]
Each corpus entry is one shell-free command line (see corpus.txt). The
test fails when the share over the whole corpus is below FLOOR (percent),
and prints the lines that differ, most frequent first."""
import collections
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ADDR = re.compile(r"0x[0-9a-f]{5,}")
PID = re.compile(r"^\[pid +\d+\] ")
NUMPID = re.compile(r"\b(getpid|gettid|getppid|set_tid_address|clone|clone3|fork|vfork|wait4|getpgrp|getsid)\((.*)\)(\s+)= \d+")


def mask(line, pids):
    line = PID.sub("", line)
    for p in pids:
        line = re.sub(r"\b%s\b" % p, "PID", line)
    line = ADDR.sub("ADDR", line)
    line = re.sub(r"getrandom\(\"[^\"]*\"", 'getrandom("RANDOM"', line)
    line = re.sub(r"(tv_sec|tv_nsec|tv_usec|st_atime|st_mtime|st_ctime|si_utime|si_stime)(_nsec)?=\d+", r"\1\2=N", line)
    line = re.sub(r"htons\(\d{4,5}\)", "htons(PORT)", line)
    # the column " = " is aligned to depends on the masked length
    line = re.sub(r"\)\s+= ", ") = ", line)
    return line.rstrip()


def join_unfinished(lines):
    """strace and zpoline split a line when another task prints in between:
    put each back together (per task) so that both compare whole"""
    out, open_ = [], {}
    for raw in lines:
        m = re.match(r"^(\[pid +(\d+)\] )?(.*)$", raw)
        pid, body = m.group(2) or "0", m.group(3)
        r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", body)
        if r and pid not in open_ and "0" in open_:
            pid = "0"       # begun before a second task existed: no [pid N] yet
        if r and pid in open_:
            idx, head = open_.pop(pid)
            out[idx] = head + r.group(2)
            continue
        if body.endswith(" <unfinished ...>"):
            open_[pid] = (len(out), raw[: len(raw) - len(" <unfinished ...>")])
            out.append(None)
            continue
        out.append(raw)
    return [l for l in out if l is not None]


def pids_of(lines):
    pids = set()
    for l in lines:
        m = PID.match(l)
        if m:
            pids.add(re.search(r"\d+", m.group(0)).group(0))
        m = NUMPID.search(l)
        if m:
            pids.add(l.rsplit("= ", 1)[1].split()[0])
        for m in re.finditer(r"si_pid=(\d+)|WEXITSTATUS|tgkill\((\d+), (\d+)", l):
            for g in m.groups():
                if g and g.isdigit():
                    pids.add(g)
    return {p for p in pids if len(p) >= 3}


def read_lines(path):
    with open(path, errors="replace") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def main():
    zpoline, floor, corpus = os.path.abspath(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    progs = {k: os.path.abspath(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
    strace = shutil.which("strace")
    if strace is None:
        print("SKIP: strace is not installed")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="zp-trace-")
    env = dict(os.environ, LC_ALL="C", HOME=work, PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    total = same = 0
    diffs = collections.Counter()
    with open(corpus) as f:
        cmds = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    for cmd in cmds:
        argv = [progs.get(a[1:], a) if a.startswith("@") else a for a in shlex.split(cmd)]
        if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
            print("skip (not installed): %s" % cmd)
            continue
        s_out, z_out = os.path.join(work, "s.txt"), os.path.join(work, "z.txt")
        for f in (s_out, z_out):
            if os.path.exists(f):
                os.unlink(f)
        run = os.path.join(work, "run")
        shutil.rmtree(run, ignore_errors=True)
        os.mkdir(run)
        err = os.path.join(work, "stderr.txt")
        with open(err, "w") as e:
            subprocess.run([strace, "-f", "-o", s_out, "--"] + argv, cwd=run, env=env,
                           stdout=subprocess.DEVNULL, stderr=e, timeout=60)
        if not os.path.exists(s_out) or os.path.getsize(s_out) == 0:
            msg = open(err, errors="replace").read().strip()[-300:]
            print("strace failed on %s: %s" % (cmd, msg))
            sys.exit(77 if "ptrace" in msg else 1)
        shutil.rmtree(run, ignore_errors=True)
        os.mkdir(run)
        with open(err, "w") as e:
            subprocess.run([zpoline, "trace", "-o", z_out, "--"] + argv, cwd=run, env=env,
                           stdout=subprocess.DEVNULL, stderr=e, timeout=60)
        # strace -f -o FILE starts each line with "PID "
        s_lines = [re.sub(r"^(\d+) +", r"[pid \1] ", l) for l in read_lines(s_out)]
        z_lines = read_lines(z_out)
        if os.environ.get("ZP_DEBUG"):
            print(len(s_lines), s_lines[:2], z_lines[:2])
        pids = pids_of(s_lines) | pids_of(z_lines)
        s_set = collections.Counter(mask(l, pids) for l in join_unfinished(s_lines))
        z_masked = [mask(l, pids) for l in join_unfinished(z_lines)]
        n_same = 0
        for l in z_masked:
            if s_set[l] > 0:
                s_set[l] -= 1
                n_same += 1
            else:
                key = l.split(",")[0]
                near = [k for k in s_set if k.split(",")[0] == key and s_set[k] > 0]
                diffs["%s\n        strace: %s" % (l[:200], near[0][:200] if near else "-")] += 1
        total += len(z_masked)
        same += n_same
        print("%5.1f%% of %4d lines  %s" % (100.0 * n_same / max(1, len(z_masked)), len(z_masked), cmd))
    share = 100.0 * same / max(1, total)
    print("\nlines that differ (most frequent first):")
    for l, n in diffs.most_common(int(os.environ.get("ZP_SHOW_DIFFS", "25"))):
        print("%4d  %s" % (n, l))
    print("\nstrace-identical: %.1f%% of %d lines (floor %.1f%%)" % (share, total, floor))
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if share >= floor and total > 0 else 1)


main()
