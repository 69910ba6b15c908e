"""checks -- the trace scripts' ok/FAIL lines and their count (cli.py,
children-fds.py)."""
import sys

failed = 0


def check(name, ok, detail=""):
    """one check: ok, or FAIL with what was seen (detail)"""
    global failed
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))
    if not ok:
        failed += 1


def finish():
    """the count of failed checks, and exit 1 if any"""
    print("%d failed" % failed)
    sys.exit(1 if failed else 0)
