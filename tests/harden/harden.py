#!/usr/bin/env python3
"""Hardening tests of the command and the runtime: each refusal fails
closed (the program never runs unhooked while zpoline exits 0), nothing
blocks or crashes on a hostile file, and nothing from the environment of a
less privileged user is trusted.

usage: harden.py ZPOLINE BUILDROOT CALLS PPID MARKER_HOOK INTERP_WRAP LOAD_WRAP HOOK_WRAP SPIN SPIN_LATE
                 LANDLOCK_EXEC

With ZP_TEST_COMMAND_ONLY=1 only the tests that start no hooked program
run: the sanitizer build's runtime could not be preloaded."""
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time

from tally import finish, report, skip

(Z, BUILD, CALLS, PPID, MARKER, INTERP_WRAP, LOAD_WRAP, HOOK_WRAP, SPIN, SPIN_LATE,
 LANDLOCK_EXEC, VFORK_EXEC) = sys.argv[1:13]
RUNTIME = os.path.join(BUILD, "runtime", "libzpoline.so")
SCANNER = os.path.join(BUILD, "runtime", "zpoline-scan")
HOOKS = os.path.join(BUILD, "hooks")
COMMAND_ONLY = os.environ.get("ZP_TEST_COMMAND_ONLY") == "1"


def env(**kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
    e.update(kw)
    return e


def run(args, timeout=60, **kw):
    try:
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              errors="replace", env=kw.pop("env", env()), timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None


def check(name, args, status, err=(), out=(), timeout=60, lines=1, **kw):
    """status: an exit status, or None for 'any, but not killed by a signal';
    err: found in stderr (or stdout, for commands that report there)"""
    p = run(args, timeout=timeout, **kw)
    if p is None:
        report(name, ["hung (no exit within %d s)" % timeout])
        return None
    problems = []
    if status is None and p.returncode < 0:
        problems.append("killed by signal %d" % -p.returncode)
    elif status is not None and p.returncode != status:
        problems.append("exit status %d, expected %d" % (p.returncode, status))
    for s in err if isinstance(err, (list, tuple)) else [err]:
        if s not in p.stderr and (status is not None or s not in p.stdout):
            problems.append("stderr lacks %r" % s)
    for s in out if isinstance(out, (list, tuple)) else [out]:
        if s not in p.stdout:
            problems.append("stdout lacks %r" % s)
    if p.returncode in (2, 125, 126, 127) and len(p.stderr.strip().splitlines()) > lines:
        problems.append("error is more than %d line(s)" % lines)
    report(name, problems, p)
    return p


def tree_at(d):
    """a copy of the build tree's command, runtime and hooks under d"""
    for sub in ("tool", "runtime", "hooks"):
        os.makedirs(os.path.join(d, sub))
    shutil.copy2(Z, os.path.join(d, "tool", "zpoline"))
    for f in ("libzpoline.so", "zpoline-scan", "zpoline-decode.so"):
        if os.path.exists(os.path.join(BUILD, "runtime", f)):
            shutil.copy2(os.path.join(BUILD, "runtime", f), os.path.join(d, "runtime", f))
    for f in os.listdir(HOOKS):
        if f.endswith(".so"):
            shutil.copy2(os.path.join(HOOKS, f), os.path.join(d, "hooks", f))
    return os.path.join(d, "tool", "zpoline")


DENY = ["--hook", os.path.join(HOOKS, "deny.so"), "--hook-opt", "getppid=EPERM"]

with tempfile.TemporaryDirectory() as tmp:
    os.chmod(tmp, 0o755)

    # ---- fail closed: a runtime path the loader cannot preload ----
    for name, sub in (("a space", "a b"), ("a colon", "a:b")):
        z = tree_at(os.path.join(tmp, sub))
        p = run([z, "run"] + DENY + ["--", PPID])
        problems = []
        if p is None:
            problems.append("hung")
        elif p.returncode == 0 and "ppid -1" not in p.stdout:
            problems.append("the program ran unhooked and zpoline exited 0")
        elif p.returncode not in (0, 125):
            problems.append("exit status %d, expected 125 (or a hooked run)" % p.returncode)
        elif p.returncode == 125 and "LD_PRELOAD" not in p.stderr:
            problems.append("stderr does not say why: %r" % p.stderr)
        report("runtime path with %s: refused or hooked, never unhooked" % name, problems, p)

    # ---- descriptor numbers from the actual RLIMIT_NOFILE ----
    for limit in () if COMMAND_ONLY else (101, 64, 20):
        def lower(limit=limit):
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        check("RLIMIT_NOFILE %d: the run works" % limit, [Z, "run"] + DENY + ["--", PPID], 0,
              out="ppid -1", preexec_fn=lower)

    # ---- hooks that are not regular files never block ----
    fifo = os.path.join(tmp, "fifo.so")
    os.mkfifo(fifo)
    check("a FIFO as a hook: refused, no hang", [Z, "run", "--hook", fifo, "--", "true"], 125,
          err="not a regular file", timeout=20)
    check("a FIFO to check --hook: no hang", [Z, "check", "--hook", fifo], None, timeout=20)
    check("a character device as a hook: refused", [Z, "run", "--hook", "/dev/zero", "--", "true"],
          125, err="not a regular file", timeout=20)
    check("a directory as a hook: refused", [Z, "run", "--hook", tmp, "--", "true"], 125,
          err="directory", timeout=20)

    # ---- output that cannot be written ----
    if os.path.exists("/dev/full"):
        check("-o /dev/full: refused before the program runs", [Z, "run", "-o", "/dev/full", "--",
              "true"], 125, err="cannot write to /dev/full")

    # ---- crafted ELF files: no crash anywhere ----
    check("scanner on a PT_LOAD whose offset wraps", [SCANNER, "report", LOAD_WRAP], None)
    check("check --hook on a zpoline_hook at 2^64 - 4", [Z, "check", "--hook", HOOK_WRAP], None,
          err="too small")
    check("run --hook on a zpoline_hook at 2^64 - 4", [Z, "run", "--hook", HOOK_WRAP, "--", "true"],
          125, err="too small")
    p = check("stats --static on a PT_INTERP whose offset wraps", [Z, "stats", "--static",
              INTERP_WRAP], None, timeout=30)
    if p is not None and "\ufffd" in p.stdout + p.stderr:
        report("... and reads no bytes from outside the file", ["its output holds bytes that are not text"], p)

    if COMMAND_ONLY:
        finish()

    # ---- the deny hook: refuse what denies nothing; seeded chance repeats ----
    # one line from the hook, one from the runtime saying which hook refused
    for opt in ("=EACCES", ";", ";;;", ",=EIO", "getppid=EIO:seed=3"):
        check("deny refuses %r" % opt, [Z, "run", "--hook", "deny", "--hook-opt", opt, "--", "true"],
              125, err="deny:", lines=2)
    seeded = ["--hook", "deny", "--hook-opt", "getppid=EPERM:p=0.5:seed=7", "--", CALLS, "200"]
    a, b = run([Z, "run"] + seeded), run([Z, "run"] + seeded)
    problems = []
    if a is None or b is None or a.returncode or b.returncode:
        problems.append("a run failed")
    elif a.stdout != b.stdout:
        problems.append("two runs with seed=7 differ:\n%s%s" % (a.stdout, b.stdout))
    elif not 40 < a.stdout.count("x") < 160:
        problems.append("%d of 200 calls failed with p=0.5" % a.stdout.count("x"))
    report("deny p=0.5:seed=7 fails the same calls every run", problems, a)
    # in each thread too, from the seed: more threads, one after the
    # other, than deny's pool has slots (each gives its slot back)
    p = run([Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM:p=0.5:seed=7", "--", CALLS, "32",
             "300"])
    lines = p.stdout.splitlines() if p is not None else []
    problems = []
    if p is None or p.returncode or len(lines) != 301:
        problems.append("the run failed")
    elif len(set(lines)) != 1:
        problems.append("%d threads of 300 drew otherwise than the main thread" %
                        sum(l != lines[0] for l in lines))
    report("deny p=0.5:seed=7 fails the same calls in every thread", problems, p)

    # ---- fail closed: no scan possible at all ----
    # The cache off (or cold), so every object needs the scanner: the
    # module (zpoline-decode.so) or, where it cannot be loaded, the helper
    # (zpoline-scan). Each way neither can run must refuse before the
    # program's code runs (nothing on its stdout), unless best effort was
    # asked for. The null hook enforces nothing: an enforcing one (deny)
    # has the safety net, which hooks what was not rewritten, so it runs,
    # hooked (below).
    def refused(name, args, err, **kw):
        p = check(name, args, 125, err=err, **kw)
        if p is not None and p.stdout:
            report("... and the program did not run", ["its output: %r" % p.stdout[:200]], p)

    NULL = ["--hook", os.path.join(HOOKS, "null.so")]
    hand = dict(LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=os.path.join(HOOKS, "null.so"), ZPOLINE_CACHE="0")
    lone = os.path.join(tmp, "lone")
    os.mkdir(lone)
    shutil.copy2(RUNTIME, lone)
    refused("no scan: neither the module nor the helper beside the runtime, by hand", [PPID],
            "zpoline-scan (No such file", env=env(**dict(hand, LD_PRELOAD=os.path.join(lone, "libzpoline.so"))))
    check("... ZPOLINE_BEST_EFFORT=1 runs it, saying so", [PPID], 0, out="ppid", err="best effort",
          env=env(**dict(hand, LD_PRELOAD=os.path.join(lone, "libzpoline.so"), ZPOLINE_BEST_EFFORT="1")))
    z = tree_at(os.path.join(tmp, "noexec"))
    os.chmod(os.path.join(tmp, "noexec", "runtime", "zpoline-scan"), 0o644)
    check("the helper not executable: the module scans, hooked", [z, "run"] + DENY + ["--", PPID], 0,
          out="ppid -1", env=env(ZPOLINE_CACHE="0"))
    # every link namespace glibc has taken by hooks: the module cannot be
    # loaded, and the helper scans (the null hook, which the runtime maps
    # itself, takes a namespace by dlmopen only when asked)
    many = ["--hook", "null"] * 14 + DENY
    check("fifteen hooks, no namespace left for the module: the helper scans, hooked",
          [Z, "run"] + many + ["--", PPID], 0, out="ppid -1",
          env=env(ZPOLINE_CACHE="0", ZPOLINE_HOOK_DLMOPEN="1"))
    os.unlink(os.path.join(tmp, "noexec", "runtime", "zpoline-decode.so"))
    refused("no scan: no module, the helper not executable, zpoline run", [z, "run"] + NULL + ["--", PPID],
            "zpoline-scan (Permission denied)", env=env(ZPOLINE_CACHE="0"))
    check("no scan, the deny hook: every call through the safety net", [z, "run"] + DENY + ["--", PPID], 0,
          out="ppid -1", err="Syscall User Dispatch", env=env(ZPOLINE_CACHE="0"))
    refused("no scan: no scan directory (TMPDIR missing, cache off), by hand", [PPID], "TMPDIR",
            env=env(TMPDIR=os.path.join(tmp, "none"), **hand))
    refused("no scan: no scan directory, zpoline run", [Z, "run"] + NULL + ["--", PPID], "TMPDIR",
            env=env(TMPDIR=os.path.join(tmp, "none"), ZPOLINE_CACHE="0"))
    check("... zpoline run --best-effort runs it, saying so", [Z, "run", "--best-effort"] + NULL +
          ["--", PPID], 0, out="ppid", err="best effort", env=env(TMPDIR=os.path.join(tmp, "none"),
                                                                 ZPOLINE_CACHE="0"))
    # A program that restricts itself with Landlock, so that only the
    # system's directories and the test programs' may be executed, not the
    # runtime's (where the helper is), then execs a child, on a cold cache.
    # The child's runtime cannot start the helper: it was refused (125);
    # the scanner module scans in process, and the child runs as natively,
    # its calls hooked.
    allowed = [d for d in ["/usr", "/bin", "/lib", "/lib64", os.path.dirname(os.path.realpath(PPID))]
               if os.path.exists(d)]
    sandboxed = [LANDLOCK_EXEC] + allowed + ["--", PPID]
    native = run(sandboxed)
    if native is None or native.returncode == 77:
        skip("a Landlock sandbox that denies executing the helper: its child is hooked", "no Landlock here")
    else:
        trace = os.path.join(tmp, "landlock.trace")
        p = run([Z, "run", "-o", trace, "--"] + sandboxed, env=env(ZPOLINE_CACHE_DIR=os.path.join(tmp, "ll")))
        problems = []
        if p is None:
            problems.append("hung")
        elif p.returncode != native.returncode:
            problems.append("exit status %d, natively %d" % (p.returncode, native.returncode))
        elif p.stdout != native.stdout:
            problems.append("stdout %r, natively %r" % (p.stdout, native.stdout))
        else:
            with open(trace) as f:
                lines = f.read().splitlines()
            if not any(l.startswith("landlock_restrict_self(") for l in lines):
                problems.append("the sandboxing program's landlock_restrict_self is not in the trace")
            if not any(l.startswith("getppid()") for l in lines):
                problems.append("the child's getppid is not in the trace")
        report("a Landlock sandbox that denies executing the helper: its child is hooked", problems, p)
    # a relative LD_PRELOAD: the helper is still found beside the runtime
    check("runtime by hand through a relative LD_PRELOAD: hooked", [PPID], 0, out="ppid -1",
          cwd=BUILD, env=env(**dict(hand, LD_PRELOAD=os.path.relpath(RUNTIME, BUILD),
                                    ZPOLINE_HOOK=os.path.join(HOOKS, "deny.so"),
                                    ZPOLINE_HOOK_OPTS="getppid=EPERM")))

    # ---- the runtime by hand holds no descriptor for a quiet hook ----
    # null writes only from its init (ZPOLINE_HOOK_QUIET): no copy of
    # stderr is kept; the tracer writes all along and keeps one, whatever
    # the program does with its stderr
    def fds_of(extra):
        child = subprocess.Popen(["/bin/sleep", "30"], env=env(**extra), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                with open("/proc/%d/stat" % child.pid) as f:
                    if f.read().split(") ")[1].split()[0] == "S":       # in its nanosleep
                        break
                time.sleep(0.01)
            return sorted(os.listdir("/proc/%d/fd" % child.pid), key=int)
        finally:
            child.kill()
            child.wait()
    native, hooked = fds_of({}), fds_of(dict(hand, ZPOLINE_CACHE="1"))
    report("runtime by hand, the null hook: the process holds the descriptors it holds natively",
           [] if native == hooked else ["descriptors %s, natively %s" % (hooked, native)])
    traced = fds_of(dict(hand, ZPOLINE_CACHE="1", ZPOLINE_HOOK=os.path.join(HOOKS, "tracer.so")))
    report("... and the tracer keeps one for its output",
           [] if len(traced) > len(native) else ["descriptors %s, natively %s" % (traced, native)])
    check("... which still reaches the first stderr after the program sends its own elsewhere",
          ["/bin/sh", "-c", "exec 2>/dev/null; /bin/true"], 0, err="+++ exited with 0 +++",
          env=env(**dict(hand, ZPOLINE_CACHE="1", ZPOLINE_HOOK=os.path.join(HOOKS, "tracer.so"))))
    # a report after the program made its stderr a file of its own: not
    # written into that file (natively nothing is), and the program dies
    # as natively (a call through a null function pointer)
    victim = os.path.join(tmp, "stderr-file")
    prog = ("import ctypes, os\n"
            "fd = os.open(%r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
            "os.dup2(fd, 2)\n"
            "os.write(2, b'data\\n')\n"
            "ctypes.CFUNCTYPE(None)(0)()\n" % victim)
    p = run([sys.executable, "-c", prog], env=env(**dict(hand, ZPOLINE_CACHE="1")))
    with open(victim, "rb") as f:
        got = f.read()
    problems = [] if got == b"data\n" else ["the program's file holds %r" % got]
    if p is None or p.returncode != -11:
        problems.append("ended %s, natively by SIGSEGV" % (p.returncode if p else "hung"))
    report("runtime by hand, the null hook: a report leaves the program's own stderr file alone", problems, p)
    # a hook that writes, started with no stderr at all: its output is
    # lost, and its message saying so is not written into the file the
    # program then made its descriptor 2
    prog = ("import os\n"
            "fd = os.open(%r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
            "os.dup2(fd, 2)\n"
            "os.write(2, b'prog\\n')\n" % victim)
    p = run(["/bin/sh", "-c", 'exec 2>&-; exec "$0" -c "$1"', sys.executable, prog],
            env=env(**dict(hand, ZPOLINE_CACHE="1", ZPOLINE_HOOK=os.path.join(HOOKS, "audit.so"))))
    with open(victim, "rb") as f:
        got = f.read()
    report("runtime by hand, audit with no stderr: nothing of ours in the program's file",
           [] if got == b"prog\n" else ["the program's file holds %r" % got], p)

    # ---- rewriting in place while another thread runs the code ----
    # spin's DT_NEEDED library starts a thread in its constructor (before
    # the runtime's) that calls into libc and its own site without end;
    # with the cache off every object is rewritten in place. A page made
    # writable and not executable under the thread is a fault it counts
    # (in nearly every run before the live protocol), or its death; so is
    # a site it meets half rewritten, or a trap while a hook starts.
    for what, opts, extra in (("at start-up", [], []), ("in trap mode", ["--mode", "trap"], []),
                              ("and a library dlopened then", [], [SPIN_LATE])):
        name = "threads from a library constructor run while rewriting in place %s, 30 runs" % what
        problems, last = [], None
        for i in range(30):
            last = run([Z, "run", "--hook", "null"] + opts + ["--", SPIN] + extra, timeout=30,
                       env=env(ZPOLINE_CACHE="0"))
            if last is None:
                problems.append("run %d hung" % i)
            elif last.returncode != 0 or last.stdout.strip() != "ok":
                problems.append("run %d: exit status %d, %s" % (i, last.returncode, last.stdout.strip()))
            if len(problems) >= 3:
                break
        report(name, problems, last if problems else None)

    # ---- the runtime by hand: ZPOLINE_HOOK that is not a regular file ----
    for what, path in (("a FIFO", fifo), ("a character device", "/dev/zero"), ("a directory", tmp)):
        check("runtime by hand, %s as ZPOLINE_HOOK: refused, no hang" % what, ["/bin/true"], 125,
              err="not a regular file", timeout=20, env=env(LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=path))

    # ---- a descriptor number from the environment is not trusted ----
    victim = os.path.join(tmp, "victim")
    with open(victim, "wb") as f:
        f.write(b"\xaa" * (1 << 20))
    fd = os.open(victim, os.O_RDWR)
    os.set_inheritable(fd, True)
    e = env(LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=os.path.join(HOOKS, "deny.so"),
            ZPOLINE_HOOK_OPTS="getppid=EPERM", ZPOLINE_SHARED_FD=str(fd))
    p = run([CALLS, "10"], env=e, pass_fds=(fd,))
    os.close(fd)
    with open(victim, "rb") as f:
        intact = f.read() == b"\xaa" * (1 << 20)
    problems = [] if intact else ["the runtime wrote into the file ZPOLINE_SHARED_FD named"]
    if p is None or p.stdout.strip() != "x" * 10:
        problems.append("the calls were not denied")
    report("ZPOLINE_SHARED_FD naming a user's file: not mapped", problems, p)

    # ---- secure execution: a set-user-ID program ignores ZPOLINE_HOOK ----
    # The runtime in /etc/ld.so.preload (in a mount namespace of its own,
    # over a copy of /etc made of symbolic links), a set-user-ID root copy
    # of a program run as nobody, and a hook that would leave a file in a
    # directory only root can write to. A control run (the same, without
    # the set-user-ID bit, as root) must leave the file, or the test
    # proves nothing.
    name = "set-user-ID program under /etc/ld.so.preload ignores ZPOLINE_HOOK"
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        skip(name, "needs root, unshare and setpriv")
    else:
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        os.chown(home, 65534, 65534)
        suid = os.path.join(tmp, "suid-ppid")
        shutil.copy2(PPID, suid)
        os.chown(suid, 0, 0)
        os.chmod(suid, 0o4755)
        hook = os.path.join(tmp, "marker.so")
        shutil.copy2(MARKER, hook)
        os.chmod(hook, 0o755)
        rootonly = os.path.join(tmp, "rootonly")
        os.mkdir(rootonly, 0o755)
        marker = os.path.join(rootonly, "marker")
        with open(os.path.join(tmp, "preload"), "w") as f:
            f.write(RUNTIME + "\n")
        script = r"""set -e
T=$1; shift
mkdir "$T/orig-etc" "$T/new-etc"
mount --bind /etc "$T/orig-etc"
for f in "$T"/orig-etc/* "$T"/orig-etc/.[!.]*; do
	[ -e "$f" ] && ln -s "$f" "$T/new-etc/"
done
rm -f "$T/new-etc/ld.so.preload"
cp "$T/preload" "$T/new-etc/ld.so.preload"
mount --bind "$T/new-etc" /etc
exec "$@"
"""
        # Syscall User Dispatch mode: nothing to scan, so no scanner helper
        # (which /etc/ld.so.preload would hook too); a PID namespace, so
        # that nothing started there outlives the test
        def in_ns(*cmd, mode="sud"):
            p = run(["unshare", "-m", "-p", "-f", "--kill-child", "sh", "-c", script, "sh", tmp] +
                    list(cmd), timeout=30,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                         "ZPOLINE_MODE": mode})
            shutil.rmtree(os.path.join(tmp, "new-etc"), ignore_errors=True)
            shutil.rmtree(os.path.join(tmp, "orig-etc"), ignore_errors=True)
            return p

        p = in_ns("env", "ZPOLINE_HOOK=" + hook, "ZP_TEST_MARKER=" + marker, PPID)
        if p is None or not os.path.exists(marker):
            skip(name, "the control run left no marker: %s" % (p.stderr.strip()[-300:] if p else "hung"))
        else:
            os.unlink(marker)
            p = in_ns("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env",
                      "ZPOLINE_HOOK=" + hook, "ZP_TEST_MARKER=" + marker, suid)
            problems = []
            if p is None or p.returncode != 0:
                problems.append("the program failed")
            if os.path.exists(marker):
                problems.append("the hook an unprivileged user named ran with euid 0")
            report(name, problems, p)

        # The runtime checks /etc/ld.so.preload as a set-user-ID program is
        # about to be executed, maybe by a child sharing its parent's memory
        # on a small stack (posix_spawn's): with raw calls and a few hundred
        # bytes of stack (a 4 KiB buffer there overflowed an 8 KiB stack)
        name = "set-user-ID program under /etc/ld.so.preload, executed by a vfork child on an 8 KiB stack"
        p = in_ns("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", VFORK_EXEC, "8192", suid)
        report(name, [] if p is not None and "status 0, errno 0" in p.stdout else
               ["not run as natively: %r" % (p.stdout.strip()[-200:] if p else "hung")], p)

        # The cache's location: HOME and XDG_CACHE_HOME, as ZPOLINE_CACHE_DIR,
        # are a less privileged user's there. Each names a directory of
        # root's, where root would make the cache (fast mode, so there is a
        # scan to store); a control run as root must make it.
        roothome, rootxdg = os.path.join(tmp, "roothome"), os.path.join(tmp, "rootxdg")
        for var, d, made in (("XDG_CACHE_HOME", rootxdg, "zpoline"), ("HOME", roothome, ".cache")):
            name = "set-user-ID program under /etc/ld.so.preload ignores %s for its cache" % var
            os.mkdir(d, 0o755)
            cmd = ["env", "-u", "HOME", "%s=%s" % (var, d), PPID]
            p = in_ns(*cmd, mode="fast")
            if p is None or not os.path.exists(os.path.join(d, made)):
                skip(name, "the control run made no cache in %s: %s" %
                     (d, p.stderr.strip()[-300:] if p else "hung"))
                continue
            shutil.rmtree(os.path.join(d, made))
            cmd[-1] = suid
            p = in_ns("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd, mode="fast")
            problems = []
            if p is None or p.returncode != 0:
                problems.append("the program failed")
            if os.path.exists(os.path.join(d, made)):
                problems.append("root made its cache in %s, which %s named" % (d, var))
            report(name, problems, p)

finish()
