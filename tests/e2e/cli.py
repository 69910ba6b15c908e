#!/usr/bin/env python3
"""End-to-end tests of the zpoline command line: every refusal with its
exit status and message, and the options doing what they say.

usage: cli.py ZPOLINE HOOKDIR LEGACY_HOOK NOENTRY_HOOK PPID STATIC LATE LATE_LIB JIT PROBE"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

Z, HOOKS, LEGACY, NOENTRY, PPID, STATIC, LATE, LATE_LIB, JIT, PROBE, MANY_LIB = sys.argv[1:12]
RUNTIME = os.path.realpath(os.path.join(os.path.dirname(Z), "..", "runtime", "libzpoline.so"))
passed = failed = 0


def env(**kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
    e.update(kw)
    return e


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=kw.pop("env", env()), timeout=60, **kw)


def check(name, args, status, err=(), out=(), **kw):
    global passed, failed
    p = run(args, **kw)
    problems = []
    if p.returncode != status:
        problems.append("exit status %d, expected %d" % (p.returncode, status))
    for s in err if isinstance(err, (list, tuple)) else [err]:
        if s not in p.stderr:
            problems.append("stderr lacks %r" % s)
    for s in out if isinstance(out, (list, tuple)) else [out]:
        if s not in p.stdout:
            problems.append("stdout lacks %r" % s)
    if status in (2, 125, 126, 127) and len(p.stderr.strip().splitlines()) > 2:
        problems.append("error is more than one line plus a hint")
    if problems:
        failed += 1
        print("FAIL %s: %s\n  stderr: %s" % (name, "; ".join(problems), p.stderr.strip()[-600:]))
    else:
        passed += 1
        print("ok   %s" % name)
    return p


with tempfile.TemporaryDirectory() as d:
    text = os.path.join(d, "hook.txt")
    with open(text, "w") as f:
        f.write("not a library\n")
    noexec = os.path.join(d, "noexec")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    os.chmod(noexec, 0o644)
    trace = os.path.join(d, "trace")

    check("--help", [Z, "--help"], 0, out=["run", "Exit status"])
    check("run --help", [Z, "run", "--help"], 0, out=["--hook", "--exclude", "--output"])
    check("--version", [Z, "--version"], 0, out="zpoline ")
    check("no command", [Z], 2, err=["no command", "--help"])
    check("unknown command", [Z, "frob"], 2, err=["unknown command 'frob'", "--help"])
    check("unknown option", [Z, "run", "--frob", "--", "true"], 2, err=["--frob", "--help"])
    check("no program", [Z, "run"], 2, err=["no program", "--help"])
    check("unknown bundled hook", [Z, "run", "--hook", "nosuch", "--", "true"], 125,
          err=["nosuch", "bundled: ", "tracer"])
    check("missing hook file", [Z, "run", "--hook", "/nonexistent/h.so", "--", "true"], 125,
          err=["/nonexistent/h.so", "No such file"])
    check("hook not ELF", [Z, "run", "--hook", text, "--", "true"], 125, err=["not an ELF file"])
    check("hook not a shared object", [Z, "run", "--hook", STATIC, "--", "true"], 125,
          err="not a shared object")
    check("hook is a program", [Z, "run", "--hook", "/bin/true", "--", "true"], 125,
          err="exports no hook entry point")
    check("hook without entry point", [Z, "run", "--hook", NOENTRY, "--", "true"], 125,
          err="exports no hook entry point")
    arm = os.path.join(d, "arm64.so")
    with open(NOENTRY, "rb") as f:
        image = bytearray(f.read())
    image[18:20] = (183).to_bytes(2, "little")      # e_machine = EM_AARCH64
    with open(arm, "wb") as f:
        f.write(image)
    check("hook for another architecture", [Z, "run", "--hook", arm, "--", "true"], 125,
          err="not built for x86-64")
    check("chained hooks run in order", [Z, "run", "--hook", "tracer", "--hook", LEGACY, "--", PPID],
          0, out="ppid 4242", err="getppid() = 4242")
    if os.geteuid() == 0:
        suid = os.path.join(d, "suid-true")
        with open("/bin/true", "rb") as f, open(suid, "wb") as g:
            g.write(f.read())
        os.chown(suid, 65534, 65534)
        os.chmod(suid, 0o4755)
        os.chmod(d, 0o755)
        check("set-user-ID program", [Z, "run", "--hook", "null", "--", suid], 125,
              err="set-user-ID")
    check("program not found", [Z, "run", "--hook", "null", "--", "/nonexistent/prog"], 127,
          err="No such file")
    check("command not found", [Z, "run", "--hook", "null", "--", "no-such-command-zp"], 127,
          err="command not found")
    check("program not executable", [Z, "run", "--hook", "null", "--", noexec], 126,
          err="Permission denied")
    check("program is a directory", [Z, "run", "--hook", "null", "--", d], 126, err="directory")
    check("static program", [Z, "run", "--hook", "null", "--", STATIC], 125,
          err="statically linked")
    p = check("page 0 unavailable: Syscall User Dispatch", [Z, "run", "-v", "--hook", "deny", "--hook-opt",
                                                            "getppid=EPERM", "--", PPID], 0,
              out="ppid -1", err=["65536", "hooking through Syscall User Dispatch", "a signal (microseconds)",
                                  "sysctl -w vm.mmap_min_addr=0", "Syscall User Dispatch (nothing rewritten)"],
              env=env(ZPOLINE_TEST_MMAP_MIN_ADDR="65536"))
    if len([l for l in p.stderr.splitlines() if l.startswith("zpoline:")]) != 1:
        failed += 1
        print("FAIL page 0 unavailable: expected one warning line: %r" % p.stderr[-300:])
    check("--mode rejects a bad value", [Z, "run", "--mode", "slow", "--", "true"], 2,
          err="expected fast, trap, sud or auto")
    check("exit status passes through", [Z, "run", "--hook", "null", "--", "sh", "-c", "exit 3"], 3)
    check("default hook is the tracer", [Z, "run", "--", "true"], 0, err="exit_group(0) = ?")
    p = check("-o FILE", [Z, "run", "-o", trace, "--", "sh", "-c", "echo hi; exec true"], 0,
              out="hi")
    with open(trace) as f:
        t = f.read()
    for want in ['execve("/usr/bin/true"', 'write(1, "hi\\n", 3) = 3', "exit_group(0) = ?"]:
        if want not in t.replace('execve("/bin/true"', 'execve("/usr/bin/true"'):
            failed += 1
            print("FAIL -o FILE: trace lacks %r" % want)
    if "exit_group" in p.stderr:
        failed += 1
        print("FAIL -o FILE: the trace also went to stderr")
    p = check("--exclude", [Z, "stats", "--json", "--no-run", "--exclude", "libc.so*", "--", "true"],
              0)
    libc = [o for o in json.loads(p.stderr)["objects"] if o["path"].endswith("/libc.so.6")]
    if not libc or libc[0]["call"] != 0 or libc[0]["left"]["excluded"] != libc[0]["syscall"] \
            or libc[0]["syscall"] == 0:
        failed += 1
        print("FAIL --exclude: libc should be counted and left alone: %s" % libc)

    # zpoline check
    check("check", [Z, "check"], 0, out=["ok    page 0", "zpoline run will work"])
    check("check without page 0", [Z, "check"], 0,
          out=["warn  page 0", "vm.mmap_min_addr = 65536", "falls back to Syscall User Dispatch",
               "sysctl -w vm.mmap_min_addr=0"],
          env=env(ZPOLINE_TEST_MMAP_MIN_ADDR="65536"))
    p = check("check --json --hook", [Z, "check", "--json", "--hook", NOENTRY], 1)
    j = json.loads(p.stdout)
    if j["ok"] or [i["status"] for i in j["items"] if i["name"] == "hook"] != ["FAIL"]:
        failed += 1
        print("FAIL check --json: %s" % p.stdout[:300])
    check("check --hook tracer", [Z, "check", "--hook", "tracer"], 0,
          out="zpoline_hook, ABI 4, vector state saved")
    check("check with an argument", [Z, "check", "bogus"], 2, err="--help")

    # zpoline stats: live and static counts agree
    live = json.loads(check("stats (live)", [Z, "stats", "--json", "--no-run", "--", PPID], 0).stderr)
    stat = json.loads(check("stats --static", [Z, "stats", "--static", "--json", PPID], 0).stdout)
    def by_name(report):
        return {os.path.basename(o["path"]): (o["syscall"], o["sysenter"], o["call"], o["trap"])
                for o in report["objects"]}
    lv, sv = by_name(live), by_name(stat)
    for lib in ("libc.so.6", "ld-linux-x86-64.so.2"):
        if lib not in lv or lv.get(lib) != sv.get(lib):
            failed += 1
            print("FAIL stats: %s live %s, static %s" % (lib, lv.get(lib), sv.get(lib)))
        else:
            passed += 1
            print("ok   stats: %s live and static agree %s" % (lib, lv[lib]))
    check("stats --no-run does not run the program", [Z, "stats", "--no-run", "--", PPID], 0,
          err="live counts")
    p = run([Z, "stats", "--no-run", "--", PPID])
    if "ppid" in p.stdout:
        failed += 1
        print("FAIL stats --no-run: the program ran")
    check("stats --static of a missing file", [Z, "stats", "--static", "/nonexistent"], 125,
          err="/nonexistent")

    # libraries loaded later are rewritten before their code runs
    check("dlopen'd library, natively", [LATE, LATE_LIB], 0, out="own syscall: made")
    check("dlopen'd library, hooked", [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--",
                                       LATE, LATE_LIB], 0, out="own syscall: failed")
    check("dlopen'd library, trap mode", [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--",
                                          LATE, LATE_LIB], 0, out="own syscall: failed",
          env=env(ZPOLINE_MODE="trap"))
    # 4096 sites: more than a small program's call-site set holds, which
    # grows; every one is hooked (a failure only if every call failed)
    check("dlopen'd library with 4096 sites, natively", [LATE, MANY_LIB], 0, out="own syscall: made")
    check("dlopen'd library with 4096 sites, hooked", [Z, "run", "--hook", "deny", "--hook-opt",
                                                       "getppid=EPERM", "--", LATE, MANY_LIB], 0,
          out="own syscall: failed")
    check("dlopen'd library, excluded", [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM",
                                         "--exclude", "late-lib*", "--", LATE, LATE_LIB], 0,
          out="own syscall: made")
    # the safety net (and sud mode) leave an excluded object's calls alone too
    for extra in (["--catch-late"], ["--mode", "sud"]):
        check("dlopen'd library, excluded, %s" % " ".join(extra),
              [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--exclude", "late-lib*"] + extra +
              ["--", LATE, LATE_LIB], 0, out="own syscall: made")

    # children: an execve with a scrubbed environment stays hooked;
    # --no-follow leaves forked children alone but follows the process's
    # own execve, like strace without -f
    check("execve with a scrubbed environment", [Z, "run", "--hook", "deny", "--hook-opt",
                                                  "getppid=EPERM", "--", "env", "-i", PPID], 0,
          out="ppid -1")
    p = check("--no-follow", [Z, "run", "--no-follow", "--hook", "deny", "--hook-opt", "getppid=EPERM",
                              "--", "sh", "-c", "%s | head -1; exec %s" % (PPID, PPID)], 0)
    lines = [l for l in p.stdout.splitlines() if l.startswith("ppid")]
    if len(lines) != 2 or lines[0] == "ppid -1" or lines[1] != "ppid -1":
        failed += 1
        print("FAIL --no-follow: %r" % lines)
    p = check("following children", [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM",
                                      "--", "sh", "-c", "%s | head -1; exec %s" % (PPID, PPID)], 0)
    if [l for l in p.stdout.splitlines() if l.startswith("ppid")] != ["ppid -1", "ppid -1"]:
        failed += 1
        print("FAIL following children: %r" % p.stdout)

    # the safety net: calls from a page written at run time; deny enforces
    # a policy, so the runtime arms the net for it unasked
    check("code written at run time, deny (the net armed unasked)", [Z, "run", "--hook", "deny",
                                                                      "--hook-opt", "getppid=EPERM", "--",
                                                                      JIT], 0,
          out=["main thread: failed", "new thread: failed", "site: 0f 05\n"])
    # with the net in fast mode the caught site is rewritten (the lazypoline
    # step) and still hooked; a site whose code keeps a value in the red
    # zone across the call is left caught, and the value survives
    for mode, site in (("fast", "ff d0"), ("trap", "0f 05"), ("sud", "0f 05")):
        check("code written at run time, --catch-late --mode %s" % mode,
              [Z, "run", "--catch-late", "--mode", mode, "--hook", "deny", "--hook-opt", "getppid=EPERM",
               "--", JIT], 0,
              out=["main thread: failed", "new thread: failed", "again: failed", "forked child: failed",
                   "site: %s\n" % site, "red zone: 126, site: 0f 05"])
    p = check("stats: sites rewritten after a catch", [Z, "run", "--catch-late", "-v", "--hook", "deny",
                                                       "--hook-opt", "getppid=EPERM", "--", JIT], 0,
              err="calls caught by Syscall User Dispatch, 1 of their sites rewritten")

    # the probe: one marked call from each kind of site; every site must be
    # caught in the mode that claims it (the JIT page only with the net,
    # which deny arms in every mode)
    kinds = ["libc wrapper", "inline", "thread", "signal handler", "vDSO fallback",
             "dlopen'd library", "JIT page", "forked child", "exec'd child"]
    for label, extra, modeenv, jit_caught in (("fast", [], "fast", True),
                                              ("trap", [], "trap", True),
                                              ("fast --catch-late", ["--catch-late"], "fast", True),
                                              ("trap --catch-late", ["--catch-late"], "trap", True),
                                              ("sud", [], "sud", True)):
        p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid,clock_gettime=EPERM"] + extra +
                ["--", PROBE, LATE_LIB], env=env(ZPOLINE_MODE=modeenv))
        got = {l[:18].strip(): l[18:].strip() for l in p.stdout.splitlines()}
        want = {k: "caught" if k != "JIT page" or jit_caught else "missed" for k in kinds}
        if got != want or p.returncode != 0:
            failed += 1
            print("FAIL probe (%s): %s\n  %s" % (label, {k: v for k, v in got.items() if want.get(k) != v},
                                                p.stderr.strip()[-300:]))
        else:
            passed += 1
            print("ok   probe (%s): every kind of site caught%s" % (label, "" if jit_caught else
                                                                    ", the JIT page (rightly) not"))
    native = run([PROBE, LATE_LIB]).stdout
    if "caught" in native:
        failed += 1
        print("FAIL probe natively: %r" % native)

    # the site cache: a second run reads what the first scanned, with the
    # same counts; a damaged entry is scanned again; ZPOLINE_CACHE=0 is off
    cache = os.path.join(d, "cache")
    def cached_run(**kw):
        p = run([Z, "stats", "--json", "--no-run", "--", PPID], env=env(ZPOLINE_CACHE_DIR=cache, **kw))
        return {os.path.basename(o["path"]): (o["syscall"], o["call"], o["trap"], o["cached"])
                for o in json.loads(p.stderr)["objects"]}
    first = cached_run()
    second = cached_run()
    # each object's entry in its key, the program's in its magic
    for name in [n for n in os.listdir(os.path.join(cache, "v2")) if n.endswith((".sites", ".prog"))]:
        with open(os.path.join(cache, "v2", name), "r+b") as f:
            f.seek(40 if name.endswith(".sites") else 0)
            f.write(b"\xff" * 8)
    third = cached_run()
    off = cached_run(ZPOLINE_CACHE="0")
    libc = "libc.so.6"
    if (first[libc][3] or not second[libc][3] or third[libc][3] or off[libc][3]
            or not first[libc][:3] == second[libc][:3] == third[libc][:3] == off[libc][:3]):
        failed += 1
        print("FAIL site cache: %s %s %s %s" % (first[libc], second[libc], third[libc], off[libc]))
    else:
        passed += 1
        print("ok   site cache: miss, hit, damaged entry rescanned, off; counts %s" % (first[libc][:3],))

    # the scanner runs in a process of its own on a cache miss, at start-up
    # and for a library loaded later: the program's SIGCHLD handler and
    # wait() never see it
    fresh = os.path.join(d, "fresh-cache")
    p = check("cache miss: the scanner is not the program's child",
              [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", "python3", "-c",
               "import signal,os,ctypes; got=[]; signal.signal(signal.SIGCHLD, lambda *a: got.append(1)); "
               "ctypes.CDLL(%r).lib_getppid(); print('sigchld', len(got))" % LATE_LIB], 0, out="sigchld 0",
              env=env(ZPOLINE_CACHE_DIR=fresh))
    if not os.listdir(fresh):
        failed += 1
        print("FAIL cache miss: nothing was stored in %s" % fresh)
    lone = os.path.join(d, "lone")
    os.mkdir(lone)
    shutil.copy(RUNTIME, lone)
    lone_env = dict(LD_PRELOAD=os.path.join(lone, "libzpoline.so"), ZPOLINE_HOOK=os.path.join(HOOKS, "null.so"),
                    ZPOLINE_CACHE_DIR=os.path.join(d, "lone-cache"))
    check("scanner missing: refused in one line (fail closed)", ["sh", "-c", "echo ran"], 125,
          err="zpoline-scan (No such file", env=env(**lone_env))
    check("scanner missing, best effort: one line, the program runs", ["sh", "-c", "echo ran"], 0, out="ran",
          err="are not hooked (best effort)", env=env(ZPOLINE_BEST_EFFORT="1", **lone_env))

    # the program takes the trace descriptor's number (it cannot see it:
    # it takes every number up to 1024): the runtime's moves, and an
    # exec'd child still traces to it
    trace = os.path.join(d, "trace-fd")
    check("trace descriptor taken by the program", [Z, "run", "-o", trace, "--", "python3", "-c",
          "import os; n = os.open('/dev/null', os.O_WRONLY); "
          "[os.dup2(n, fd) for fd in range(3, 1024) if fd != n]; os.execv('/bin/echo', ['echo', 'child'])"],
          0, out="child")
    with open(trace) as f:
        if 'write(1, "child\\n", 6) = 6' in f.read():
            print("ok   trace descriptor taken by the program: the child traced")
        else:
            failed += 1
            print("FAIL trace descriptor taken by the program: the child's write is not in the trace")

    # patched images: libc's patched pages are mapped from the cache
    # (nothing copied on write); ZPOLINE_IMAGES=0 rewrites in place
    # instead; an image that was truncated, or that others could have
    # written, is made again; the program runs the same
    def libc_text(**kw):
        p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", "sh", "-c",
                 "grep ' r-xp .*/libc.so.6$' /proc/$$/maps; %s" % PPID],
                env=env(**dict({"ZPOLINE_CACHE_DIR": cache}, **kw)))
        # (a hook's own libc, in its namespace, is the file itself)
        lines = p.stdout.splitlines()
        return (" ".join(l.split()[-1] for l in lines if "r-xp" in l),
                " ".join(l for l in lines if l.startswith("ppid")))
    image, out = libc_text()
    inplace, out2 = libc_text(ZPOLINE_IMAGES="0")
    images = [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(cache, "v2", "images")) for f in fs
              if f == "libc.so.6"]
    sizes = [os.path.getsize(i) for i in images]
    for i in images:
        os.truncate(i, 100)
    damaged, out3 = libc_text()
    if [os.path.getsize(i) for i in images] != sizes:
        failed += 1
        print("FAIL patched images: a truncated image was not made again")
    # an image others could have written is not used either
    shared = os.path.join(d, "shared-cache")
    before, _ = libc_text(ZPOLINE_CACHE_DIR=shared)
    shared_files = [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(shared, "v2", "images"))
                    for f in fs]
    for f in shared_files:
        os.chmod(f, 0o666)
    writable, _ = libc_text(ZPOLINE_CACHE_DIR=shared)
    if "/images/" not in before or any(os.stat(f).st_mode & 0o022 for f in shared_files if os.path.exists(f)):
        failed += 1
        print("FAIL patched images: a group/world-writable image was kept: %r" % writable)
    if ("/images/" not in image or "/libc.so.6 " not in image + " " or "/images/" in inplace
            or "/images/" not in damaged or {out, out2, out3} != {"ppid -1"}):
        failed += 1
        print("FAIL patched images: %r %r %r %r" % (image, inplace, damaged, (out, out2, out3)))
    else:
        passed += 1
        print("ok   patched images: mapped from the cache, off, a damaged one made again")

    # deny
    check("deny", [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", PPID], 0,
          out="ppid -1")
    hostname = os.path.join(d, "word")
    with open(hostname, "w") as f:
        f.write("word\n")
    p = check("deny every=2", [Z, "run", "--hook", "deny", "--hook-opt", "openat=ENOENT:every=2",
                               "--", "sh", "-c", "for i in 1 2 3 4; do read w < %s && echo $w; done; true"
                               % hostname], 0, out="word\nword\n")
    if p.stdout.count("word") != 2 or p.stderr.count("No such file") != 2:
        failed += 1
        print("FAIL deny every=2: %r %r" % (p.stdout, p.stderr))
    check("deny: unknown system call", [Z, "run", "--hook", "deny", "--hook-opt", "frob=EPERM",
                                        "--", "true"], 125, err="unknown system call 'frob'")
    check("deny: unknown error", [Z, "run", "--hook", "deny", "--hook-opt", "read=EFROB", "--", "true"],
          125, err="unknown error")
    check("deny: no rules", [Z, "run", "--hook", "deny", "--", "true"], 125, err="no rules given")
    check("null refuses options", [Z, "run", "--hook", "null", "--hook-opt", "x", "--", "true"], 125,
          err="takes no options")
    check("more hooks than link namespaces", [Z, "run"] + ["--hook", "null"] * 16 + ["--", "true"], 2,
          err="at most 15 hooks")
    check("--hook-opt before --hook", [Z, "run", "--hook-opt", "x", "--", "true"], 2,
          err="--hook before it")

    # counter, against strace -c -f for calls made after start-up
    script = ("for i in 1 2 3; do /bin/true; done; ls / >/dev/null 2>&1; ls /nonexistent 2>/dev/null; "
              "x=$(echo sub); echo $x | cat >/dev/null; true")
    def counted(extra):
        p = check("counter %s" % " ".join(extra), [Z, "run", "--hook", "counter"] + extra +
                  ["--", "sh", "-c", script], 0, err=["% time", "calls", "errors", "total"])
        got = {}
        for line in p.stderr.splitlines():
            f = line.split()
            if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
                got[f[-1]] = (int(f[3]), int(f[4]) if len(f) == 6 else 0)
        return got
    # the same calls in every mode
    modes = {"fast": counted([]), "sud": counted(["--mode", "sud"]), "fast --catch-late": counted(["--catch-late"])}
    if shutil.which("strace"):
        st = os.path.join(d, "strace")
        subprocess.run(["strace", "-f", "-c", "-o", st, "sh", "-c", script], env=env(), check=True)
        theirs = {}
        with open(st) as f:
            for line in f:
                x = line.split()
                if len(x) >= 5 and x[0][0].isdigit() and x[-1] != "total":
                    theirs[x[-1]] = (int(x[3]), int(x[4]) if len(x) == 6 else 0)
        # calls the loader makes before any constructor runs are not seen,
        # and strace -c does not list exit_group (it never returns)
        # a clone interrupted by a signal is restarted inside the kernel:
        # strace counts it twice, with an error, the hooks once
        if "clone" in theirs:
            theirs["clone"] = (theirs["clone"][0] - theirs["clone"][1], 0)
        # the first execve (sh itself) is made before any runtime exists;
        # the others come from vfork children, which the hooks must see
        if "execve" in theirs:
            theirs["execve"] = (theirs["execve"][0] - 1, theirs["execve"][1])
        for mode, ours in modes.items():
            for name in ("wait4", "vfork", "clone", "execve", "getdents64", "statx", "dup2", "write", "pipe2"):
                if ours.get(name) is None or ours.get(name) != theirs.get(name):
                    failed += 1
                    print("FAIL counter (%s) %s: %s, strace -c -f %s" % (mode, name, ours.get(name),
                                                                        theirs.get(name)))
                else:
                    passed += 1
                    print("ok   counter (%s) %s agrees with strace -c -f: %s" % (mode, name, ours.get(name)))
    p = check("counter sort=name", [Z, "run", "--hook", "counter", "--hook-opt", "sort=name", "--", "sh", "-c",
                                     "cat /dev/null; echo x > /dev/null"], 0, err="wait4")
    names = [l.split()[-1] for l in p.stderr.splitlines()
             if l[:6].strip().replace(".", "").isdigit() and l.split()[-1] != "total"]
    if names != sorted(names) or len(names) < 5:
        failed += 1
        print("FAIL counter sort=name: rows not in name order: %r" % names)
    check("counter: unknown option", [Z, "run", "--hook", "counter", "--hook-opt", "sort=size", "--",
                                      "true"], 125, err="unknown option 'sort=size'")
    check("original zpoline hook", [Z, "run", "--hook", LEGACY, "--", PPID], 0, out="ppid 4242")
    # the program sees its LD_PRELOAD without the runtime in it (another
    # entry runs unhooked before the runtime: only with --best-effort)
    check("LD_PRELOAD is kept, without the runtime",
          [Z, "run", "--best-effort", "--hook", "null", "--", PPID], 0,
          out="LD_PRELOAD=/lib/x86_64-linux-gnu/libz.so.1\n",
          env=env(LD_PRELOAD="/lib/x86_64-linux-gnu/libz.so.1"))
    check("runtime by hand", [PPID], 0, out="LD_PRELOAD=\n",
          env=env(LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=os.path.join(HOOKS, "null.so")))
    check("bad ZPOLINE_MODE", [PPID], 125, err="ZPOLINE_MODE=bogus",
          env=env(LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=os.path.join(HOOKS, "null.so"),
                  ZPOLINE_MODE="bogus"))

# the loader asked to list a program's libraries (ldd sets this variable):
# the runtime, added to the child's LD_PRELOAD, was listed among them
def libs(text):
    return sorted(l.split("(0x")[0].strip() for l in text.splitlines() if "(0x" in l)


native = run(["env", "LD_TRACE_LOADED_OBJECTS=1", "/bin/true"])
hooked = run([Z, "run", "--hook", "null", "--", "env", "LD_TRACE_LOADED_OBJECTS=1", "/bin/true"])
if hooked.returncode == 0 and libs(hooked.stdout) == libs(native.stdout) and libs(native.stdout):
    passed += 1
    print("ok   the libraries the loader lists for ldd are the native ones")
else:
    failed += 1
    print("FAIL the libraries the loader lists for ldd: %r, natively %r\n%s" % (
        libs(hooked.stdout), libs(native.stdout), hooked.stderr))

# ldd asks each loader it knows, a 32-bit one too where installed, for its
# version and then whether it handles the file: that loader runs its own
# code alone, yet it was refused, with a line on ldd's terminal (the
# runtime's copy of stderr) and status 125 for its answers; under a hook
# that enforces a policy it still is
LOADER32 = next((l for l in ("/lib/ld-linux.so.2", "/libx32/ld-linux-x32.so.2") if os.access(l, os.X_OK)), None)
if LOADER32 is None:
    print("skip a 32-bit loader asked a question: none is installed")
else:
    ask = ["sh", "-c", '"$0" --version >/dev/null; echo $?; "$0" --verify /bin/true; echo $?', LOADER32]
    native = run(ask)
    for name, args in [("a 32-bit loader asked its version and about a file", ask),
                       ("ldd", ["ldd", "/bin/true"])]:
        nat = native if args is ask else run(args)
        hooked = run([Z, "run", "--hook", "null", "--"] + args)
        if (hooked.returncode, hooked.stdout if args is ask else libs(hooked.stdout), hooked.stderr) == \
                (nat.returncode, nat.stdout if args is ask else libs(nat.stdout), ""):
            passed += 1
            print("ok   %s under the null hook: as natively, nothing on stderr" % name)
        else:
            failed += 1
            print("FAIL %s under the null hook: %d %r %r, natively %d %r" % (
                name, hooked.returncode, hooked.stdout, hooked.stderr, nat.returncode, nat.stdout))
    check("a 32-bit loader asked a question under a policy: refused", [Z, "run", "--hook", "deny",
          "--hook-opt", "getppid=EACCES", "--"] + ask, 0, out="125\n125\n",
          err="is not an x86-64 program")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
