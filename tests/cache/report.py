#!/usr/bin/env python3
"""zpoline stats tells the truth: one JSON object, the program's objects
under the names the program uses, --static that searches PATH and runs
nothing. Each check prints ok or FAIL; exit 1 if any failed.

usage: report.py ZPOLINE PPID"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

Z, PPID = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
failed = passed = 0


def env(**kw):
    e = dict(os.environ)
    for k in [k for k in e if k.startswith("ZPOLINE_")]:
        del e[k]
    e.update(kw)
    return e


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    kw.setdefault("env", env())
    return subprocess.run(args, **kw)


def result(name, ok, why=""):
    global failed, passed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


d = tempfile.mkdtemp()
try:
    # one JSON object for a program that runs to its end, libraries it
    # loads later included
    p = run([Z, "stats", "--json", "--", "python3", "-c", "import json, decimal"])
    try:
        j = json.loads(p.stderr)
        ok = j["late"]["objects"] > 0 and j["objects"] and p.returncode == 0
    except (ValueError, KeyError, TypeError) as e:
        ok, j = False, e
    result("json: stats --json writes one object, with what was loaded later as \"late\"", ok,
           p.stderr[-400:])

    # start-up's phases: each timed, adding up to the total the table gives
    # (to rounding), in the table and in the JSON object
    p = run([Z, "stats", "--", "true"])
    added = [l for l in p.stderr.splitlines() if "start-up added " in l]
    line = [l for l in p.stderr.splitlines() if l.startswith("start-up phases, ms: ")]
    try:
        total = float(added[0].split("start-up added ")[1].split()[0])
        parts = [(x.rsplit(" ", 1)[0], float(x.rsplit(" ", 1)[1]))
                 for x in line[0][len("start-up phases, ms: "):].split(", ")]
        names = [n for n, _ in parts]
        ok = (names == ["environ", "objects", "hooks", "page 0 and signals", "sites", "images", "rewrite",
                        "init and the rest"] and all(v >= 0 for _, v in parts)
              and abs(sum(v for _, v in parts) - total) <= 0.001 * len(parts))
    except (IndexError, ValueError) as e:
        ok = False
    result("phases: the table's start-up phases, each timed, add up to the start-up it reports", ok,
           p.stderr[-600:])
    try:
        ph = json.loads(run([Z, "stats", "--json", "--", "true"]).stderr)["startup_phases_ms"]
        ok = list(ph) == ["environ", "objects", "hooks", "page 0 and signals", "sites", "images", "rewrite",
                          "init and the rest"] and all(v >= 0 for v in ph.values())
    except (ValueError, KeyError, TypeError) as e:
        ok, ph = False, e
    result("phases: the JSON object has them as startup_phases_ms", ok, repr(ph))

    # the program's objects only, under the names it uses: /bin/ls as
    # /bin/ls; the runtime's own libraries are not the program's
    live = json.loads(run([Z, "stats", "--json", "--no-run", "--", "/bin/ls"]).stderr)
    static = json.loads(run([Z, "stats", "--static", "--json", "/bin/ls"]).stdout)
    lp = [o["path"] for o in live["objects"] if o["path"] != "[vdso]"]
    sp = [o["path"] for o in static["objects"]]
    result("names: the live table lists /bin/ls's objects under the names static gives",
           lp and lp[0] == "/bin/ls" and sorted(lp) == sorted(sp), "live %r, static %r" % (lp, sp))
    true = json.loads(run([Z, "stats", "--json", "--no-run", "--", "true"]).stderr)
    extra = [o["path"] for o in true["objects"] if "libelf" in o["path"] or "libz" in o["path"]]
    result("names: no libelf or libz in the program (nor in its table)", not extra, repr(extra))

    # --static NAME searches PATH, as run does
    p = run([Z, "stats", "--static", "--json", "ls"])
    ls = shutil.which("ls")
    try:
        first = json.loads(p.stdout)["objects"][0]["path"]
    except (ValueError, KeyError, IndexError):
        first = None
    result("static: stats --static ls finds ls on PATH (%s)" % ls, p.returncode == 0 and first == ls,
           "%r %s" % (first, p.stderr))

    # --static runs nothing: a program whose PT_INTERP names a script
    marker = os.path.join(d, "ran")
    script = os.path.join(d, "x")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ntouch %s\n" % marker)
    os.chmod(script, 0o755)
    crafted = os.path.join(d, "crafted")
    data = bytearray(open(PPID, "rb").read())
    interp = b"/lib64/ld-linux-x86-64.so.2"
    at = data.find(interp + b"\0")
    if at < 0 or len(script) > len(interp):
        result("static: crafted PT_INTERP", False, "cannot craft (interp at %d)" % at)
    else:
        data[at:at + len(interp)] = script.encode().ljust(len(interp), b"\0")
        with open(crafted, "wb") as f:
            f.write(data)
        os.chmod(crafted, 0o755)
        p = run([Z, "stats", "--static", crafted])
        result("static: stats --static runs nothing, not even a crafted PT_INTERP",
               not os.path.exists(marker) and p.returncode == 0 and "libc.so.6" in p.stdout,
               "ran=%s rc=%d %s" % (os.path.exists(marker), p.returncode, p.stderr[-300:]))

    # file names reach the scanner as names: a file called --output
    shutil.copy(PPID, os.path.join(d, "--output"))
    victim = os.path.join(d, "victim")
    shutil.copy(PPID, victim)
    before = open(victim, "rb").read()
    p = run([Z, "stats", "--static", "--", "--output", "victim"], cwd=d)
    result("static: a file called --output is scanned, not taken as an option",
           p.returncode == 0 and open(victim, "rb").read() == before and "--output" in p.stdout,
           "rc=%d %s" % (p.returncode, p.stderr[-300:]))

    # a FIFO is refused at once, in one line
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    try:
        p = run([Z, "stats", "--static", fifo], timeout=20)
        ok = p.returncode == 125 and "not a regular file" in p.stderr and len(p.stderr.splitlines()) == 1
        why = p.stderr
    except subprocess.TimeoutExpired:
        ok, why = False, "hung"
    result("static: a FIFO is refused (125, one line), not read", ok, why)
finally:
    shutil.rmtree(d, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
