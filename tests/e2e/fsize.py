#!/usr/bin/env python3
"""A file size limit the program sets (`ulimit -f 0`) applies to what the
runtime and the hooks write from its processes: the cache's entries (a
cold cache, made as the program's children start) and the tracer's output
to -o FILE. Past the limit the kernel would kill the program with SIGXFSZ;
strace, which writes from a process of its own, leaves it be. The program
must run to its end: a child whose entry cannot be stored is refused
(125, one line) as one nothing could scan; with a warm cache the null
hook leaves the status its own; with the tracer the one line naming the
file and status 125 (zpoline(1), the output not written in full).

usage: fsize.py ZPOLINE"""
import os
import subprocess
import sys
import tempfile

from common import check, finish

Z = os.path.abspath(sys.argv[1])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
PROG = ["sh", "-c", "ulimit -f 0; /bin/true; echo true: $?"]


with tempfile.TemporaryDirectory() as d:
    env = dict(ENV, ZPOLINE_CACHE_DIR=os.path.join(d, "cache"))
    # a cold cache: /bin/true's entry cannot be stored under the limit (nor
    # anywhere else): its start is refused (status 125, one line), as for
    # any object nothing could scan, and the program goes on
    p = subprocess.run([Z, "run", "--hook", "null", "--"] + PROG, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    check("null hook, a cold cache: the child refused (125), the program runs to its end",
          p.returncode == 0 and p.stdout == "true: 125\n" and "a file size limit" in p.stderr,
          "status %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    # the cache warm (made outside the limit): nothing to store
    subprocess.run([Z, "run", "--hook", "null", "--", "/bin/true"], env=env, timeout=120)
    p = subprocess.run([Z, "run", "--hook", "null", "--"] + PROG, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    check("null hook, a warm cache: the program runs to its end, status 0",
          p.returncode == 0 and p.stdout == "true: 0\n" and p.stderr == "",
          "status %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    out = os.path.join(d, "trace")
    p = subprocess.run([Z, "trace", "-o", out, "--"] + PROG, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    check("tracer, -o FILE past the limit: the program runs to its end, one line, status 125",
          p.returncode == 125 and p.stdout == "true: 0\n" and
          p.stderr.count("cannot write to %s" % out) == 1,
          "status %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
finish()
