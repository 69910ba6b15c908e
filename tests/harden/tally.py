"""tally -- the hardening scripts' ok/FAIL/skip lines and their totals
(harden.py, failclosed.py)."""
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}


def report(name, problems, p=None):
    """one check: ok, or FAIL with its problems and the end of the run's
    output (p, a finished subprocess)"""
    if problems:
        counts["failed"] += 1
        print("FAIL %s: %s" % (name, "; ".join(problems)))
        if p is not None:
            print("  stdout: %s\n  stderr: %s" % (p.stdout.strip()[-400:], p.stderr.strip()[-600:]))
    else:
        counts["passed"] += 1
        print("ok   %s" % name)


def skip(name, why):
    counts["skipped"] += 1
    print("skip %s: %s" % (name, why))


def finish():
    """the totals, and exit 1 if a check failed"""
    print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
    sys.exit(1 if counts["failed"] else 0)
