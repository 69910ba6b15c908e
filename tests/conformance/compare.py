#!/usr/bin/env python3
"""Run a program natively and under `zpoline run`; compare stdout and exit status.

usage: compare.py [--mode fast|trap|catch|sud] [--timeout S] [--expect-diff TEXT] [--hook-opt OPT]
                  [--exclude GLOB] [--best-effort]
                  ZPOLINE HOOK -- PROG [ARG...]

--expect-diff inverts the test: the hooked run must differ from the native
one and print TEXT (a check that the comparison can fail).

With the tracer hook, the trace goes to a file that must end with the
process's exit_group line (the output is complete however the program ends)
unless the program was killed by a signal.

The hooked run is made with -v, and must have hooked something: sites
rewritten in the program's objects (fast, trap, catch), or calls caught by
Syscall User Dispatch (sud). A run whose runtime did nothing fails, whatever
the program printed."""
import os
import re
import subprocess
import sys
import tempfile


# the lines -v writes beside the hooks' output
REPORT = re.compile(r"^(OBJECT\s|-{20,}$|total\s|live counts|start-up phases, ms: |after start-up:"
                    r"|\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+\*?\s)")


def hooked_anything(report, mode, status):
    """What -v said: did the runtime hook anything? (and what, to print)"""
    if mode == "sud":
        caught = sum(int(m.group(1)) for l in report
                     for m in [re.search(r"(\d+) calls caught by Syscall User Dispatch", l)] if m)
        if caught == 0 and status < 0 and any("Syscall User Dispatch (nothing rewritten)" in l for l in report):
            # killed before the count at exit: the runtime was armed
            return True, "Syscall User Dispatch armed, the program killed by signal %d" % -status
        return caught > 0, "%d calls caught by Syscall User Dispatch" % caught
    totals = [l.split() for l in report if l.startswith("total")]
    if not totals:
        return False, "no report from the runtime"
    # total SCANNED DECODED SYSCALL SYSENTER CALL TRAP TIME
    sites = int(totals[0][5]) + int(totals[0][6])
    return sites > 0, "%d sites rewritten" % sites


def run(cmd, env, timeout):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def main():
    args = sys.argv[1:]
    mode, timeout, expect_diff, hook_opt, run_opts = "fast", 120, None, [], []
    while args and args[0].startswith("--"):
        if args[0] == "--mode":
            mode, args = args[1], args[2:]
        elif args[0] == "--expect-diff":
            expect_diff, args = args[1], args[2:]
        elif args[0] == "--hook-opt":
            hook_opt, args = ["--hook-opt", args[1]], args[2:]
        elif args[0] == "--exclude":
            run_opts, args = run_opts + ["--exclude", args[1]], args[2:]
        elif args[0] == "--best-effort":
            run_opts, args = run_opts + ["--best-effort"], args[1:]
        elif args[0] == "--timeout":
            timeout, args = float(args[1]), args[2:]
        else:
            break
    zpoline, hook = args[0], args[1]
    prog = args[3:] if args[2] == "--" else args[2:]

    env = dict(os.environ)
    for k in list(env):
        if k.startswith("ZPOLINE_") or k == "LD_PRELOAD":
            del env[k]
    native = run(prog, env, timeout)

    # catch: fast mode with the Syscall User Dispatch safety net
    henv = dict(env, ZPOLINE_MODE="fast" if mode == "catch" else mode)
    extra = ["--catch-late"] if mode == "catch" else []
    with tempfile.TemporaryDirectory() as d:
        trace = os.path.join(d, "trace")
        hooked = run([zpoline, "run", "-v", "--hook", hook] + hook_opt + ["-o", trace] + extra + run_opts + ["--"] + prog,
                     henv, timeout)
        with open(trace, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
    report = [l for l in lines if REPORT.match(l)]
    lines = [l for l in lines if not REPORT.match(l)]

    if expect_diff is not None:
        if native[1] != hooked[1] and expect_diff.encode() in hooked[1]:
            print("the hooked run differs as expected: %s" % expect_diff)
            return 0
        print("expected the hooked run to print %r; it printed:\n%s" % (
            expect_diff, hooked[1].decode(errors="replace")))
        return 1

    ok = True
    did, what = hooked_anything(report, mode, hooked[0])
    if not did:
        print("nothing was hooked (%s): the comparison says nothing" % what)
        ok = False
    if native[0] != hooked[0]:
        print("exit status: native %d, hooked %d" % (native[0], hooked[0]))
        ok = False
    if native[1] != hooked[1]:
        print("stdout differs:\n--- native\n%s\n--- hooked\n%s" % (
            native[1].decode(errors="replace"), hooked[1].decode(errors="replace")))
        ok = False
    if hook == "tracer" and hooked[0] >= 0:
        exits = [l for l in lines if "exit_group(" in l or l.split("] ", 1)[-1].startswith("exit(")]
        if not exits:
            print("trace has no exit_group line; last lines:\n" + "\n".join(lines[-5:]))
            ok = False
    if hook == "null" and any(not l.startswith("zpoline: ") for l in lines):
        print("the null hook wrote to the trace:\n" + "\n".join(lines[:5]))
        ok = False
    if not ok:
        sys.stderr.write(hooked[2].decode(errors="replace")[-2000:])
        return 1
    print("same stdout (%d bytes) and exit status (%d); %d trace lines; %s" % (
        len(native[1]), native[0], len(lines), what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
