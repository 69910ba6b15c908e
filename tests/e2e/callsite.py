#!/usr/bin/env python3
"""A signal that interrupts a system call shows its handler the program
where a native call leaves it: in read(), on its stack, the call about to
be made again or just returned; natively and hooked, the same lines.

  * a direct path (read passes no hook), fast mode: the handler's context
    is moved to the call site;
  * the enter/exit hooks' path (null, counter, tracer) and the chain's (a
    syscall/next hook), in every mode: the signal waits for the exits (the
    chain's end), then the runtime lets it through at the call site; the
    exits see -ERESTARTSYS for the call the kernel makes again, and that
    call is made again, a new call to the hooks;
  * the tracer shows the interrupted call as strace does: "= ? ERESTARTSYS",
    the signal, rt_sigreturn, and the call made again;
  * the counter counts the call made again, as strace -c does;
  * a hook of the original zpoline's interface (built before the runtime
    told hooks of interrupted calls) runs the handler inside the call: the
    results are as natively.

Before, %rip was the runtime's stub and %rsp below the return address it
pushed (and below the hooks' frame).

  * a hook built for hook ABI 3 with an enter only sees each read once,
    the call made again included, as that ABI did.

  * the tracer shows each wait a handler cuts short (intrcalls.c) with the
    code strace shows: ERESTARTSYS, ERESTARTNOHAND, ERESTART_RESTARTBLOCK,
    or EINTR itself for the waits that return it.

usage: callsite.py ZPOLINE CALLSITE NEXT_HOOK ORIG_HOOK ABI3_HOOK INTRCALLS"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from common import check, finish

Z, PROG, NEXT, ORIG, ABI3, INTR = (os.path.abspath(a) for a in sys.argv[1:7])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
MODES = ("fast", "trap", "sud")


def run(args):
    return subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=60)


native = run([PROG])
check("natively: the handler finds the program in read(), on its stack",
      native.returncode == 0 and native.stdout.count("in read, on its stack") == 2, native.stdout + native.stderr)


def same(what, hooked):
    check(what, hooked.returncode == 0 and hooked.stdout == native.stdout,
          "hooked: %r\nnative: %r\n%s" % (hooked.stdout, native.stdout, hooked.stderr[-500:]))


for extra in ([], ["--catch-late"]):
    same("fast mode%s, read passing no hook: as natively" % "".join(" " + e for e in extra),
         run([Z, "trace", "--mode", "fast"] + extra + ["-e", "trace=write", "-o", os.devnull, "--", PROG]))

for mode in MODES:
    for name, hook in (("null", "null"), ("counter", "counter"), ("tracer", "tracer"), ("syscall/next", NEXT)):
        same("%s mode, %s hook: as natively" % (mode, name),
             run([Z, "run", "--hook", hook, "--mode", mode, "-o", os.devnull, "--", PROG]))


def results(out):
    return re.findall(r"read -?\d+(?: \(EINTR\))?", out)


for mode in MODES:
    hooked = run([Z, "run", "--hook", ORIG, "--mode", mode, "--", PROG])
    check("%s mode, a hook of the original zpoline's interface: the results as natively" % mode,
          hooked.returncode == 0 and results(hooked.stdout) == results(native.stdout) != [],
          "hooked: %r\nnative: %r\n%s" % (hooked.stdout, native.stdout, hooked.stderr[-500:]))


for mode in MODES:
    hooked = run([Z, "run", "--hook", ABI3, "--mode", mode, "--", PROG])
    check("%s mode, an enter hook built for ABI 3: two reads entered, as that ABI saw them" % mode,
          hooked.returncode == 0 and results(hooked.stdout) == results(native.stdout) != [] and
          "abi3-enter: 2 read enters" in hooked.stdout + hooked.stderr,
          "hooked: %r\nnative: %r\n%s" % (hooked.stdout, native.stdout, hooked.stderr[-500:]))


def lines(text):
    """the parent's reads of one byte (not the loader's), SIGALRM and
    rt_sigreturn, addresses and the column padding left out"""
    out = []
    for l in text.splitlines():
        l = re.sub(r"0x[0-9a-f]+", "ADDR", l)
        l = re.sub(r"\s+= ", " = ", l)
        if (l.startswith("read(3, ") and ", 1) = " in l) or l.startswith("--- SIGALRM") or \
           l.startswith("rt_sigreturn("):
            out.append(l)
    return out


with tempfile.TemporaryDirectory() as work:
    strace = shutil.which("strace")
    if strace is None:
        print("skip the tracer's lines against strace's: no strace here")
    else:
        ref = os.path.join(work, "strace")
        run([strace, "-o", ref, "-e", "trace=read,rt_sigreturn", "-e", "signal=SIGALRM", PROG])
        want = lines(open(ref).read())
        check("strace shows each read interrupted, then the signal", len(want) == 7, "\n".join(want))
        for mode in MODES:
            out = os.path.join(work, "trace-" + mode)
            p = run([Z, "trace", "--mode", mode, "--no-follow", "-e", "trace=read,rt_sigreturn",
                     "-e", "signal=SIGALRM", "-o", out, "--", PROG])
            got = lines(open(out).read()) if os.path.exists(out) else []
            check("%s mode: the tracer's lines for the interrupted reads are strace's" % mode,
                  p.returncode == 0 and got == want, "tracer:\n%s\nstrace:\n%s\n%s" %
                  ("\n".join(got), "\n".join(want), p.stderr[-500:]))
        waits = "poll,epoll_wait,epoll_pwait,futex,pause,nanosleep,clock_nanosleep,ppoll,rt_sigtimedwait,read"

        def cut_short(text):
            # (an absolute time differs from run to run)
            return [re.sub(r"\s+", " ", re.sub(r"0x[0-9a-f]+", "ADDR", re.sub(r"TIMER_ABSTIME, \{[^}]*\}",
                                                                                "TIMER_ABSTIME, TIME", l)))
                    for l in text.splitlines()
                    if ("= ?" in l or "= -1" in l) and "ELF" not in l]
        ref = os.path.join(work, "strace-waits")
        run([strace, "-o", ref, "-e", "trace=" + waits, INTR])
        want = cut_short(open(ref).read())
        check("strace shows the thirteen waits cut short", len(want) == 13, "\n".join(want))
        for mode in MODES:
            out = os.path.join(work, "waits-" + mode)
            p = run([Z, "trace", "--mode", mode, "--no-follow", "-e", "trace=" + waits, "-o", out, "--", INTR])
            got = cut_short(open(out).read()) if os.path.exists(out) else []
            check("%s mode: the tracer shows each wait cut short with strace's code" % mode,
                  p.returncode == 0 and got == want, "tracer:\n%s\nstrace:\n%s\n%s" %
                  ("\n".join(got), "\n".join(want), p.stderr[-500:]))
        for mode in MODES:
            out = os.path.join(work, "count-" + mode)
            p = run([Z, "run", "--hook", "counter", "--mode", mode, "--no-follow", "-o", out, "--", PROG])
            text = open(out).read() if os.path.exists(out) else ""
            m = re.search(r"^\s*\S+\s+\S+\s+\S+\s+(\d+)\s+(\d+)\s+read$", text, re.M)
            # strace -c: four reads, two failed (ld.so's of libc comes
            # before the first initialiser, and the hooks)
            check("%s mode: the counter counts three reads, two failed (strace -c: 4 and 2, one "
                  "the loader's)" % mode, p.returncode == 0 and m is not None and m.groups() == ("3", "2"),
                  text[-1500:] + p.stderr[-300:])
finish()
