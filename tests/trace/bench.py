#!/usr/bin/env python3
"""The tracer's cost: 200,000 stat calls from python3, natively, under
`zpoline trace -o FILE` and under `strace -f -o FILE`.

Usage: bench.py ZPOLINE [RUNS]
Prints, for each, the best wall-clock time of RUNS and the CPU time
(user + system) of that run, and the ratios to native. Asserts nothing:
a benchmark reports (meson test --benchmark)."""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

LOOP = "import os\nst = os.stat\nfor i in range(200000):\n    st('/')\n"


def measure(argv, runs):
    best = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


def main():
    zpoline = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    python = os.path.realpath(shutil.which("python3"))
    work = tempfile.mkdtemp(prefix="zp-bench-trace-")
    script = os.path.join(work, "loop.py")
    with open(script, "w") as f:
        f.write(LOOP)
    out = os.path.join(work, "trace.txt")
    rows = [("native", [python, script])]
    rows.append(("zpoline trace -o FILE", [zpoline, "trace", "-o", out, "--", python, script]))
    rows.append(("zpoline trace -o /dev/null", [zpoline, "trace", "-o", "/dev/null", "--", python, script]))
    if shutil.which("strace"):
        rows.append(("strace -f -o FILE", ["strace", "-f", "-o", out, "--", python, script]))
    results = []
    for name, argv in rows:
        wall, cpu = measure(argv, runs if name != "strace -f -o FILE" else 1)
        results.append((name, wall, cpu))
    base_wall, base_cpu = results[0][1], results[0][2]
    print("200,000 stat() calls from python3 (best of %d runs)" % runs)
    print("%-28s %8s %8s %9s %9s" % ("", "wall s", "cpu s", "wall/nat", "cpu/nat"))
    for name, wall, cpu in results:
        print("%-28s %8.2f %8.2f %8.2fx %8.2fx" % (name, wall, cpu, wall / base_wall, cpu / base_cpu))
    shutil.rmtree(work, ignore_errors=True)


main()
