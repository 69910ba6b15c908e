"""common -- what several end-to-end scripts share: their ok/FAIL lines
and the count of those that failed (counter-killed.py, fsize.py), and the
counter's table read from the file a watcher may still be writing
(counter-killed.py, counts.py)."""
import os
import sys
import time

failed = 0


def check(what, ok, detail):
    """one check: ok, or FAIL and the end of what was seen (detail)"""
    global failed
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    if not ok:
        failed += 1
        print(detail[-1500:])


def finish(count=False):
    """exit 1 if any check failed (saying how many, with count)"""
    if count:
        print("%d failed" % failed)
    sys.exit(1 if failed else 0)


def table_file(path, tries):
    """the text of path once it ends with the table's total line, or what
    it held after tries looks 50 ms apart (the watcher writes the table of
    a program killed by a signal a moment after it ended)"""
    text = ""
    for _ in range(tries):
        text = open(path).read() if os.path.exists(path) else ""
        if text.rstrip().endswith(" total"):
            break
        time.sleep(0.05)
    return text
