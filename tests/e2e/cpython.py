#!/usr/bin/env python3
"""CPython's own tests of what a hooked program can observe -- test_os,
test_signal and test_subprocess from Debian's libpython3.11-testsuite --
run natively and under `zpoline run` with each hook given, side by side.
Every test case must end the same way hooked as natively: passed, skipped
(for the same reason) or failed. A case that fails once under load is run
again (regrtest -w) before it counts.

With --modules, other modules of the suite; with --report, the
differences are listed and the exit status is 0 (the benchmark's broad
run: tests/meson.build). With --sequential, one run after the other
(test_socket binds fixed vsock ports, which concurrent runs take from
each other).

usage: cpython.py [--modules M,M...] [--report] [--sequential] ZPOLINE HOOK...
(77: the test suite is not installed)"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PYTHON = "/usr/bin/python3"
MODULES = ["test_os", "test_signal", "test_subprocess"]


def start(prefix, workdir, modules):
    xml = os.path.join(workdir, "result.xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
    # a test file that hangs is ended after 10 minutes (regrtest's own
    # timeout, which reports it failed)
    cmd = prefix + [PYTHON, "-m", "test", "-w", "--timeout", "600", "--junit-xml", xml] + modules
    log = open(os.path.join(workdir, "log"), "wb")
    # a session of its own: test_signal signals its process group
    return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True), xml, log


def outcomes(xml):
    """test id -> 'ok', 'skipped: REASON', 'failure' or 'error'; the last
    run of a case wins (the rerun of one that failed)"""
    res = {}
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        return None
    for case in root.iter("testcase"):
        name = case.get("name", "")
        how = "ok"
        for child in case:
            if child.tag == "skipped":
                # a reason may name the run's own temporary file (its pid)
                how = "skipped: " + re.sub(r"\d+", "N", (child.get("message") or child.text or "").strip())
            elif child.tag in ("failure", "error"):
                how = child.tag
        res[name] = how
    return res


def main():
    if not os.path.exists("/usr/lib/python3.11/test/test_subprocess.py") or not os.access(PYTHON, os.X_OK):
        print("libpython3.11-testsuite is not installed: skipped")
        return 77
    args, modules, report, sequential = sys.argv[1:], MODULES, False, False
    while args and args[0].startswith("--"):
        if args[0] == "--modules":
            modules, args = args[1].split(","), args[2:]
        elif args[0] == "--report":
            report, args = True, args[1:]
        elif args[0] == "--sequential":
            sequential, args = True, args[1:]
        else:
            break
    zpoline, hooks = os.path.abspath(args[0]), args[1:]
    dirs = []
    runs = []
    try:
        for label, prefix in [("native", [])] + [(h, [zpoline, "run", "--hook", h]) for h in hooks]:
            d = tempfile.mkdtemp(prefix="zp-cpython-")
            dirs.append(d)
            # the runtime's messages (a fatal one's reason) kept, but for
            # the tracer's lines, which would fill the disk
            if prefix:
                prefix += ["-o", os.devnull if label == "tracer" else os.path.join(d, "zpoline.out"), "--"]
            runs.append((label, d) + start(prefix, d, modules))
            if sequential:
                runs[-1][2].wait()
        results = {}
        for label, d, p, xml, log in runs:
            try:
                p.wait(timeout=1500)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log.close()
            results[label] = (p.returncode, outcomes(xml), d)
        native_rc, native, _ = results["native"]
        if native is None:
            print("the native run wrote no results (exit status %d)" % native_rc)
            return 1
        ok = True
        for label in hooks:
            rc, got, d = results[label]
            if got is None:
                with open(os.path.join(d, "log"), "rb") as f:
                    tail = f.read()[-3000:].decode(errors="replace")
                print("--hook %s: no results (exit status %d); the end of its output:\n%s" % (label, rc, tail))
                out = os.path.join(d, "zpoline.out")
                if os.path.exists(out):
                    with open(out, "rb") as f:
                        print("zpoline's messages:\n" + f.read()[-3000:].decode(errors="replace"))
                ok = False
                continue
            diffs = sorted(t for t in set(native) | set(got) if native.get(t) != got.get(t))
            for t in diffs:
                print("--hook %s: %s: native %s, hooked %s" % (label, t, native.get(t, "not run"),
                                                                got.get(t, "not run")))
            if diffs or rc != native_rc:
                ok = False
                print("--hook %s: exit status %d (native %d), %d cases differ" % (label, rc, native_rc, len(diffs)))
            else:
                print("--hook %s: all %d cases end as natively (%d skipped both ways), exit status %d" % (
                    label, len(got), sum(v.startswith("skipped") for v in got.values()), rc))
        return 0 if ok or report else 1
    finally:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
