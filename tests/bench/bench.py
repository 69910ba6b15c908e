#!/usr/bin/env python3
"""The zpoline benchmark: everything as a ratio against native, measured in
the same run, native and hooked runs alternating. Asserts nothing.

usage: bench.py ZPOLINE SYSCALL_LOOP NEXT_HOOK ORIG_HOOK PATHCOUNT PATH_PROBE RET_COST QUIET_HOOK [--quick]

Prints, each as median [min..max] of the rounds:
  * what a `ret` right after a kernel entry costs on this machine (the
    calibration rows);
  * ns per call for a spread of numbers, native and hooked: (a) a call no
    hook wants, (b) null, (c) counter, (d) a pass-through hook of the
    syscall/next style, (e) one written for the original zpoline
    (__hook_init), null with the Syscall User Dispatch safety net armed
    (--catch-late), deny wanting another number (it enforces a policy, so
    the net is armed for it too) and null in sud mode (every call by a
    signal), and the differences;
  * ns per stat, access and open+close (a path argument) native, under
    null and under the tracer, which holds descriptors, whole or narrowed;
  * the same paths counted instruction by instruction (single-stepped),
    with the `ret`s into frames older than the kernel entry;
  * the cost of zpoline's own path with no kernel entry in it, and what
    touching a few more pages after a kernel entry costs natively;
  * start-up time added for /bin/true, ls and python3 -c pass, through
    zpoline run and, without the launcher, by the runtime alone (paired
    medians against native, peak RSS added, what else of ours is loaded),
    the same start of /bin/true single-stepped (instructions and system
    calls added, by object), and what scanning costs per MiB of code on a
    cache miss;
  * resident memory added for a small program;
  * redis-server requests per second, when redis is installed.

ZPOLINE_BENCH_ONLY=startup,rss (names of the functions below, comma
separated) runs only those parts."""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

Z, LOOP, NEXT_HOOK, ORIG_HOOK, PATHCOUNT, PATH_PROBE, RET_COST, QUIET_HOOK = sys.argv[1:9]
QUICK = "--quick" in sys.argv
ROUNDS = 3 if QUICK else 7
N = 200000 if QUICK else 2000000
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}


def hooked(hook, *extra):
    return [Z, "run", "--hook", hook, "-o", "/dev/null"] + list(extra) + ["--"]


def med(xs):
    return "%8.2f [%.2f..%.2f]" % (statistics.median(xs), min(xs), max(xs))


# (a): a hook whose interest set is empty (deny would do, wanting another
# number, but it enforces a policy: the runtime arms the safety net for it)
ROWS = [("(a) no hook wants it", ["--hook", QUIET_HOOK]),
        ("(b) null", ["--hook", "null"]),
        ("(c) counter", ["--hook", "counter"]),
        ("(d) syscall/next", ["--hook", NEXT_HOOK]),
        ("(e) __hook_init", ["--hook", ORIG_HOOK])]


def calibration():
    print("what returning costs right after a kernel entry on this machine (%s)" % ret_mitigation())
    sys.stdout.flush()
    subprocess.run([RET_COST, str(N // 4)], env=ENV, check=True)


def ret_mitigation():
    try:
        with open("/sys/devices/system/cpu/vulnerabilities/spectre_v2") as f:
            v2 = f.read().strip()
        with open("/sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow") as f:
            srso = f.read().strip()
        return "spectre_v2: %s; spec_rstack_overflow: %s" % (v2, srso)
    except OSError:
        return "mitigations unknown"


def syscall_costs():
    print("\nns per system call (inline site in the program), median [min..max] of %d runs of %d calls"
          % (ROUNDS, N))
    kinds = [("native", [])] + [(label, [Z, "run"] + hook + ["-o", "/dev/null", "--"])
                                for label, hook in ROWS]
    kinds += [("null --catch-late", hooked("null", "--catch-late")),
              ("deny (net armed)", hooked("deny", "--hook-opt", "kexec_load=EPERM")),
              ("null, sud mode", hooked("null", "--mode", "sud"))]
    print("%5s " % "nr" + " ".join("%-24s" % k for k, _ in kinds))
    added = []
    for nr in (0, 3, 39, 110, 186, 318, 448):
        res = {k: [] for k, _ in kinds}
        for _ in range(ROUNDS):
            for kind, prefix in kinds:
                n = N // 10 if "sud" in kind else N
                out = subprocess.run(prefix + [LOOP, str(nr), str(n)], stdout=subprocess.PIPE, env=ENV,
                                     check=True, text=True).stdout
                res[kind].append(float(out))
        print("%5d " % nr + " ".join("%-24s" % med(res[k]).strip() for k, _ in kinds))
        n0 = statistics.median(res["native"])
        added.append((nr, [statistics.median(res[k]) - n0 for k, _ in kinds[1:]]))
    print("added to native, ns (median of each minus native's median):")
    print("%5s " % "nr" + " ".join("%-24s" % k for k, _ in kinds[1:]))
    for nr, xs in added:
        print("%5d " % nr + " ".join("%+-24.1f" % x for x in xs))


def path_calls():
    """Calls that take a path while the runtime holds descriptors (the
    tracer's): each path is read for a component naming one of them. With
    the tracer narrowed to write, no hook wants these calls; null holds no
    descriptor."""
    print("\nns per call with a path (/etc/passwd), median [min..max] of %d runs of %d calls" % (ROUNDS, N // 10))
    kinds = [("native", []), ("null", hooked("null")), ("tracer", hooked("tracer")),
             ("tracer trace=write", hooked("tracer", "--hook-opt", "trace=write"))]
    print("%-13s " % "call" + " ".join("%-24s" % k for k, _ in kinds))
    for name, nr in (("stat", 4), ("access", 21), ("open+close", 2)):
        res = {k: [] for k, _ in kinds}
        for _ in range(ROUNDS):
            for kind, prefix in kinds:
                out = subprocess.run(prefix + [LOOP, str(nr), str(N // 10), "0", "/etc/passwd"],
                                     stdout=subprocess.PIPE, env=ENV, check=True, text=True).stdout
                res[kind].append(float(out.split()[-1]))
        n0 = statistics.median(res["native"])
        print("%-13s " % name + " ".join("%-24s" % med(res[k]).strip() for k, _ in kinds)
              + "  ratio " + " ".join("%.2f" % (statistics.median(res[k]) / n0) for k, _ in kinds[1:]))


def path_counts():
    """The same paths, single-stepped: instructions from the site to the
    instruction after it, kernel entries, and `ret`s into frames set up
    before the kernel entry (each one mispredicts under return-stack
    mitigations). Repeatable, whatever the machine's noise."""
    print("\none getppid (nr 110; (a) measures getpid, nr 39), single-stepped under ptrace")
    rows = [("native", [])] + [(label, [Z, "run"] + hook + ["-o", "/dev/null", "--"])
                               for label, hook in ROWS]
    for label, prefix in rows:
        nr = "39" if label.startswith("(a)") else "110"
        out = subprocess.run([PATHCOUNT, nr] + prefix + [PATH_PROBE, nr], stdout=subprocess.PIPE,
                             env=ENV, text=True).stdout.strip()
        print("  %-24s %s" % (label, out))


def path_alone():
    """zpoline's path alone, without the kernel: deny answers getpid itself
    from its enter. Alone it takes the enter/exit path; ahead of a
    syscall/next hook (which it never reaches) the chain's path, and ahead
    of an original-zpoline hook the chain's path with the vector state
    saved. On machines where every kernel entry flushes the TLB or branch
    predictors (page-table isolation without PCID, IBPB on entry), the
    hooked rows above pay that path cold."""
    print("\nzpoline's path alone (deny answers getpid=EPERM, no kernel entry), ns per call")
    deny = ["--hook", "deny", "--hook-opt", "getpid=EPERM"]
    for label, hooks, save in (("enter/exit path", deny, None),
                               ("chain, general registers", deny + ["--hook", NEXT_HOOK], None),
                               ("chain, vector state by xsavec", deny + ["--hook", ORIG_HOOK], "xsavec"),
                               ("chain, vector state by xsave", deny + ["--hook", ORIG_HOOK], "xsave")):
        xs = []
        env = dict(ENV, ZPOLINE_SAVE=save) if save else ENV
        for _ in range(ROUNDS):
            out = subprocess.run([Z, "run"] + hooks + ["-o", "/dev/null", "--", LOOP, "39", str(N)],
                                 stdout=subprocess.PIPE, env=env, check=True, text=True).stdout
            xs.append(float(out))
        print("  %-30s %s" % (label, med(xs)))


def pages_after_entry():
    """What this machine charges for touching pages right after a kernel
    entry, natively: the hooked path touches a few pages the native one does
    not (page 0, the stub, the hook, the site table, TLS)."""
    xs = {k: [] for k in (0, 4, 8)}
    for _ in range(ROUNDS):
        for k in xs:
            out = subprocess.run([LOOP, "39", str(N // 4), str(k)], stdout=subprocess.PIPE, env=ENV,
                                 check=True, text=True).stdout
            xs[k].append(float(out))
    base = statistics.median(xs[0])
    print("\nnative getpid followed by loads from K other pages, ns per call (this machine's cost of")
    print("touching pages after a kernel entry; %s)" % page_table_isolation())
    for k, v in xs.items():
        print("  K=%d  %s  %+8.2f" % (k, med(v), statistics.median(v) - base))


def page_table_isolation():
    try:
        with open("/sys/devices/system/cpu/vulnerabilities/meltdown") as f:
            m = f.read().strip()
        with open("/proc/cpuinfo") as f:
            pcid = " pcid" in f.read()
        return "meltdown: %s, %s" % (m, "PCID" if pcid else "no PCID")
    except OSError:
        return "page-table isolation unknown"


def wall(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=True)
    return (time.perf_counter() - t0) * 1000


def startup():
    print("\nstart-up, ms per run, median [min..max] of %d" % (ROUNDS * 3))
    print("%-22s %-24s %-24s %10s" % ("program", "native", "zpoline --hook null", "added"))
    progs = [["/bin/true"], ["ls", "/"]]
    # the interpreter itself, not a wrapper script (pyenv's shims are)
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
    if python:
        progs.append([python, "-c", "pass"])
    for p in progs:
        nat, hk = [], []
        for _ in range(ROUNDS * 3):
            nat.append(wall(p))
            hk.append(wall(hooked("null") + p))
        print("%-22s %-24s %-24s %+9.2f" % (" ".join(os.path.basename(x) for x in p)[:22], med(nat),
                                            med(hk), statistics.median(hk) - statistics.median(nat)))
    # the tool itself runs checks (a fork for page 0) before exec: the
    # runtime's own share is what ZPOLINE_VERBOSE reports
    # (not with -o /dev/null: the report goes where the hooks' output goes)
    for p in progs:
        shares = []
        for _ in range(ROUNDS * 3):
            out = subprocess.run([Z, "run", "--hook", "null", "-v", "--"] + p, stderr=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, env=ENV, text=True).stderr
            shares += [float(l.split("start-up added ")[1].split()[0]) for l in out.splitlines()
                       if "start-up added" in l]
        if shares:
            print("runtime's own share (its constructor, as it measures it), %-16s %s ms" % (
                " ".join(os.path.basename(x) for x in p)[:16], med(shares)))


def startup_runtime():
    """The runtime's own start-up cost, without the launcher: the program
    run directly with LD_PRELOAD (as /etc/ld.so.preload would) against the
    same program natively, in pairs, on a warm cache; the median of the
    pairs' differences, and the peak resident memory (ru_maxrss) added.
    Also whether anything of ours beyond the runtime (libelf, libz, the
    decoder) is in the program on a warm cache."""
    tool_dir = os.path.dirname(os.path.realpath(Z))
    runtime = os.path.join(tool_dir, "..", "runtime", "libzpoline.so")
    hook = os.path.join(tool_dir, "..", "hooks", "null.so")
    if not os.path.exists(runtime):
        print("\nstart-up without the launcher: no build-tree runtime beside %s" % Z)
        return
    hk_env = dict(ENV, LD_PRELOAD=os.path.realpath(runtime), ZPOLINE_HOOK=os.path.realpath(hook))

    faults = {}

    def one(cmd, env):
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, env)     # (both print nothing)
        ru = os.wait4(pid, 0)[2]
        ms = (time.perf_counter() - t0) * 1000
        # each fresh page costs microseconds: the minor faults say how
        # many pages a start touched (the last run's, per program and side)
        faults[(cmd[0], env is hk_env)] = ru.ru_minflt
        return ms

    def peak(env):
        """VmHWM of python3 -c pass (plus reading its own status)"""
        out = subprocess.run([python, "-c", "print([l for l in open('/proc/self/status') "
                              "if l.startswith('VmHWM')][0].split()[1])"], stdout=subprocess.PIPE,
                             text=True, env=env).stdout
        return int(out)

    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
    python = os.path.realpath(subprocess.run([python, "-c", "import sys; print(sys.executable)"],
                                             stdout=subprocess.PIPE, text=True, env=ENV).stdout.strip())
    rounds = ROUNDS * 30
    print("\nstart-up without the launcher (LD_PRELOAD, warm cache), ms, %d pairs native/hooked" % rounds)
    print("%-22s %-24s %-24s %10s %10s" % ("program", "native", "hooked (null)", "added", "target"))
    progs = (([shutil.which("true") or "/bin/true"], 0.5), ([python, "-c", "pass"], 1.0))
    for p, target in progs:
        one(p, hk_env)              # the cache warm
        nat, hk, diff = [], [], []
        for _ in range(rounds):
            a = one(p, ENV)
            b = one(p, hk_env)
            nat.append(a)
            hk.append(b)
            diff.append(b - a)
        print("%-22s %-24s %-24s %+9.3f %+9.1f" % (
            " ".join(os.path.basename(x) for x in p)[:22], med(nat), med(hk), statistics.median(diff), target))
    print("  minor page faults: %s" % ", ".join(
        "%s %d native, %+d hooked" % (os.path.basename(p[0]), faults[(p[0], False)],
                                      faults[(p[0], True)] - faults[(p[0], False)]) for p, _ in progs))
    # a warm start must not grow with the program's size: the runtime's
    # own measure of its constructor beside the code it covers
    for p, _ in progs:
        own, code, phases = [], 0, {}
        for _ in range(ROUNDS * 3):
            err = subprocess.run(p, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env=dict(hk_env, ZPOLINE_VERBOSE="1")).stderr
            for l in err.splitlines():
                if "start-up added" in l:
                    own.append(float(l.split("start-up added ")[1].split()[0]))
                elif l.startswith("total "):
                    code = int(l.split()[1])
                elif l.startswith("start-up phases, ms: "):
                    for part in l[len("start-up phases, ms: "):].split(", "):
                        name, ms = part.rsplit(" ", 1)
                        phases.setdefault(name, []).append(float(ms))
        if own:
            print("  its constructor, as it measures it, %-16s %s ms for %.1f MiB of code" % (
                " ".join(os.path.basename(x) for x in p)[:16], med(own), code / 1048576))
            print("    phases, median ms: %s" % ", ".join(
                "%s %.3f" % (k, statistics.median(v)) for k, v in phases.items()))
    rss_n, rss_h = [], []
    for _ in range(ROUNDS * 2):
        rss_n.append(peak(ENV))
        rss_h.append(peak(hk_env))
    print("peak RSS of python3 -c pass, KiB: native %s, hooked %s, added %+d (target +512)" % (
        med(rss_n), med(rss_h), statistics.median(rss_h) - statistics.median(rss_n)))
    maps = subprocess.run([python, "-c", "print(open('/proc/self/maps').read())"], stdout=subprocess.PIPE,
                          text=True, env=hk_env).stdout
    native_maps = subprocess.run([python, "-c", "print(open('/proc/self/maps').read())"],
                                 stdout=subprocess.PIPE, text=True, env=ENV).stdout

    def libs(text):
        return {l.split()[-1].rsplit("/", 1)[-1] for l in text.splitlines()
                if any(k in l for k in ("libelf", "libz.so", "libdw", "Zydis", "zpoline-decode"))}
    ours = sorted(libs(maps) - libs(native_maps))
    print("libelf, libz, libdw, Zydis in python3 on a warm cache that it does not load itself: %s" % (
        ", ".join(ours) or "none"))


def startup_counts():
    """The start-up's user-space path, single-stepped from the first
    instruction to the end (tests/bench/stepcount.c): instructions and
    `syscall`s executed by /bin/true natively and with the runtime preloaded
    (warm cache, null hook), and where the instructions added are.
    Repeatable, whatever the machine's noise: the wall clock's figures above
    are these, plus page faults and what each system call costs."""
    stepcount = os.path.join(os.path.dirname(os.path.realpath(PATHCOUNT)), "stepcount")
    tool_dir = os.path.dirname(os.path.realpath(Z))
    runtime = os.path.realpath(os.path.join(tool_dir, "..", "runtime", "libzpoline.so"))
    hook = os.path.realpath(os.path.join(tool_dir, "..", "hooks", "null.so"))
    if not os.path.exists(stepcount) or not os.path.exists(runtime):
        print("\nstart-up, single-stepped: no stepcount or build-tree runtime")
        return
    true = shutil.which("true") or "/bin/true"
    env = ["LD_PRELOAD=" + runtime, "ZPOLINE_HOOK=" + hook]
    subprocess.run([true], env=dict(ENV, LD_PRELOAD=runtime, ZPOLINE_HOOK=hook))    # the cache warm

    def count(assign):
        out = subprocess.run([stepcount] + assign + ["--", true], stdout=subprocess.PIPE, env=ENV,
                             text=True).stdout.splitlines()
        head = dict(kv.split("=") for kv in out[0].split()) if out else {}
        return int(head.get("instructions", 0)), int(head.get("syscalls", 0)), out[1:]

    n_ins, n_sys, _ = count([])
    h_ins, h_sys, objs = count(env)
    print("\nstart-up of %s, single-stepped (user-space instructions; `syscall`s executed)" % true)
    print("  native            %9d instructions %4d syscalls" % (n_ins, n_sys))
    print("  hooked (null)     %9d instructions %4d syscalls   added %+d, %+d" % (
        h_ins, h_sys, h_ins - n_ins, h_sys - n_sys))
    for l in objs[:6]:
        print("    %s" % l.strip())


def scan_cost():
    """What a cache miss costs: the scanner on the program's libraries, per
    MiB of executable code (zpoline stats --static runs the same scanner)."""
    import json
    libs = [p for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
                        "/usr/bin/python3") if os.path.exists(p)]
    per = []
    for _ in range(ROUNDS):
        out = subprocess.run([Z, "stats", "--static", "--json"] + libs, stdout=subprocess.PIPE, env=ENV,
                             check=True, text=True).stdout
        objs = json.loads(out)["objects"]
        mib = sum(o["bytes_scanned"] for o in objs) / 1048576
        per.append(sum(o["ms"] for o in objs) / mib)
    print("\nscanning on a cache miss (%s): %.1f MiB of executable code, ms per MiB %s" % (
        ", ".join(os.path.basename(p) for p in libs), mib, med(per)))


def rss():
    """The program's own resident memory at its end and its peak (VmRSS,
    VmHWM, after the launcher's exec), native and hooked with null."""
    def mem(prefix):
        out = subprocess.run(prefix + [LOOP, "--rss"], stdout=subprocess.PIPE, env=ENV, check=True,
                             text=True).stdout.split()
        return int(out[0]), int(out[1])
    nat, hk = [], []
    for _ in range(ROUNDS * 2):
        nat.append(mem([]))
        hk.append(mem(hooked("null")))
    print("\nresident memory of a small program, KiB, median [min..max] of %d" % (ROUNDS * 2))
    for i, label in ((0, "at its end"), (1, "peak")):
        n, h = [x[i] for x in nat], [x[i] for x in hk]
        print("  %-10s native %s, hooked %s, added %+d" % (label, med(n), med(h),
                                                          statistics.median(h) - statistics.median(n)))


def redis():
    server, client = shutil.which("redis-server"), shutil.which("redis-benchmark")
    if not server or not client:
        print("\nredis: redis-server / redis-benchmark not installed")
        return

    def one(prefix, port):
        p = subprocess.Popen(prefix + [server, "--port", str(port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        out = subprocess.run([client, "-h", "127.0.0.1", "-p", str(port), "-n", "50000" if QUICK else "200000",
                              "-q", "-t", "set,get", "-P", "1"], stdout=subprocess.PIPE, text=True, env=ENV).stdout
        p.terminate()
        p.wait()
        return sum(float(line.split()[1]) for line in out.splitlines() if "requests per second" in line)
    nat, hk = [], []
    for i in range(ROUNDS if QUICK else 5):
        nat.append(one([], 16379))
        hk.append(one(hooked("null"), 16380))
    print("\nredis set+get requests/s: native %s, hooked %s, ratio %.3f" % (
        med(nat), med(hk), statistics.median(hk) / statistics.median(nat)))


ONLY = [x for x in os.environ.get("ZPOLINE_BENCH_ONLY", "").split(",") if x]
for part in (calibration, syscall_costs, path_calls, path_counts, path_alone, pages_after_entry, startup, startup_runtime,
             startup_counts, scan_cost, rss, redis):
    if not ONLY or part.__name__ in ONLY or (part.__name__ in ("startup_runtime", "startup_counts") and
                                             "startup" in ONLY):
        part()
