#!/usr/bin/env python3
"""Fail closed where a single object would run unhooked: no program may
read a file a `deny` hook forbids while the command exits 0. Each case
puts code that opens a file with instructions of its own where the
runtime could not (or did not) rewrite it; each failed before its fix.

usage: failclosed.py ZPOLINE BUILDROOT LEAK_LIB LEAK_PROG LEAK_SELF DLOPEN_RUN MEMEXEC STATIC_PROG CTOR_LEAK
                     LEAK_STATIC SWAP_LIB SWAP_PROG NOSYS_LIB INT80 CACHE_FORGE VMCLONE
                     LEAK_SWAPNAME LEAK_COLLIDE SWAPNAME_COLLIDE LEAK_NOBUILDID VFORK_EXEC

The code under test opens with SYS_open (leak-lib.c), which libc and the
loader no longer use, so `deny open=EACCES` denies that code alone: status
1 and "open denied" say it was hooked, 0 and the secret on stdout that it
ran unhooked, 125 that zpoline refused."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from tally import finish, report, skip

(Z, BUILD, LEAK_LIB, LEAK_PROG, LEAK_SELF, DLOPEN_RUN, MEMEXEC, STATIC_PROG,
 CTOR_LEAK, LEAK_STATIC, SWAP_LIB, SWAP_PROG, NOSYS_LIB, INT80, CACHE_FORGE, VMCLONE, LEAK_SWAPNAME,
 LEAK_COLLIDE, SWAPNAME_COLLIDE, LEAK_NOBUILDID, VFORK_EXEC) = [os.path.abspath(a) for a in sys.argv[1:22]]
SECRET = "zpoline-failclosed-secret"


def env(**kw):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("ZPOLINE_") and k not in ("LD_PRELOAD", "LD_AUDIT")}
    e.update(kw)
    return e


def check(name, args, status, err=(), lines=None, out=(), secret_ok=False, **kw):
    """status: the exit status expected; err, out: strings stderr, stdout
    must hold; lines: how many lines stderr may have (one, for a refusal);
    secret_ok: the secret may be printed (the user accepted best effort)"""
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", env=kw.pop("env", env()), timeout=60, **kw)
    except subprocess.TimeoutExpired:
        report(name, ["hung"])
        return
    problems = []
    if p.returncode != status:
        problems.append("exit status %d, expected %d" % (p.returncode, status))
    if not secret_ok and SECRET in p.stdout:
        problems.append("the secret was printed")
    for s in out if isinstance(out, (list, tuple)) else [out]:
        if s not in p.stdout:
            problems.append("stdout lacks %r" % s)
    for s in err if isinstance(err, (list, tuple)) else [err]:
        if s not in p.stderr:
            problems.append("stderr lacks %r" % s)
    if lines is None:
        lines = 1 if status == 125 else None
    if lines is not None and len(p.stderr.strip().splitlines()) > lines:
        problems.append("stderr has more than %d line(s)" % lines)
    report(name, problems, p)


def deny(*extra):
    return [Z, "run", "--hook", "deny", "--hook-opt", "open=EACCES"] + list(extra) + ["--"]


def plain(*extra):
    """a hook that enforces nothing: no safety net unless asked, so code
    the runtime could not rewrite is refused (deny's net hooks it)"""
    return [Z, "run", "--hook", "null"] + list(extra) + ["--"]


tmp = tempfile.mkdtemp(prefix="zp-failclosed-")
os.chmod(tmp, 0o755)
secret = os.path.join(tmp, "secret")
with open(secret, "w") as f:
    f.write(SECRET + "\n")
os.chmod(secret, 0o644)
DENIED = "open denied"

# the baseline: code loaded at start-up, and code with no system call of
# its own (leak-prog itself), are hooked and refuse nothing
check("a linked library's calls are hooked", deny() + [LEAK_PROG, secret], 1, DENIED)
# a library dlopen'd on a cold cache where the scanner helper cannot be
# executed (a sandbox, a noexec mount): the scanner module, loaded in
# process, scans it; it was refused with status 125
noexec = os.path.join(tmp, "noexec")
for sub in ("tool", "runtime", "hooks"):
    os.makedirs(os.path.join(noexec, sub))
shutil.copy2(Z, os.path.join(noexec, "tool"))
for f in ("libzpoline.so", "zpoline-decode.so", "zpoline-scan"):
    shutil.copy2(os.path.join(BUILD, "runtime", f), os.path.join(noexec, "runtime"))
for f in os.listdir(os.path.join(BUILD, "hooks")):
    if f.endswith(".so"):
        shutil.copy2(os.path.join(BUILD, "hooks", f), os.path.join(noexec, "hooks"))
os.chmod(os.path.join(noexec, "runtime", "zpoline-scan"), 0o644)
cold = os.path.join(tmp, "noexec-cache")
check("a library dlopen'd on a cold cache, the helper not executable: hooked",
      [os.path.join(noexec, "tool", os.path.basename(Z))] + deny()[1:] + [DLOPEN_RUN, LEAK_LIB, secret], 1,
      DENIED, env=env(ZPOLINE_CACHE_DIR=cold))
# a program with no file (fexecve of a memfd): it was "cannot identify",
# and its own code ran unhooked
check("a program run from a memfd is hooked", deny() + [MEMEXEC, LEAK_SELF, secret], 1, DENIED)
# a library dlopen'd from a memfd: the helper was given its /memfd: name,
# stored nothing, and the library ran unhooked
check("a library dlopen'd from a memfd is hooked",
      deny() + [DLOPEN_RUN, "memfd", LEAK_LIB, secret], 1, DENIED)
shm = tempfile.mkdtemp(prefix="zp-failclosed-", dir="/dev/shm") if os.path.isdir("/dev/shm") else None
if shm is not None:
    lib = os.path.join(shm, "libleak.so")
    shutil.copy(LEAK_LIB, lib)
    p = subprocess.run(["findmnt", "-no", "OPTIONS", "-T", shm], stdout=subprocess.PIPE, text=True)
    if "noexec" in p.stdout:
        skip("a library dlopen'd from /dev/shm is hooked", "/dev/shm is noexec")
    else:
        check("a library dlopen'd from /dev/shm is hooked", deny() + [DLOPEN_RUN, lib, secret], 1, DENIED)
# code mapped executable from a file that is no ELF object is code the
# program brings at run time, as a JIT writes it: hooked with
# --catch-late (and in sud mode), as anonymous code is. It is not refused
# in fast mode: Python's own test_mmap maps a file executable, and .NET
# maps its JIT code twice through a memfd
code = os.path.join(tmp, "code.bin")
with open(code, "wb") as f:
    # mov $2,%eax (open); xor %esi,%esi (O_RDONLY); syscall; ret
    f.write(bytes.fromhex("b802000000" "31f6" "0f05" "c3"))
check("code mapped from a non-ELF file, --catch-late: hooked",
      deny("--catch-late") + [DLOPEN_RUN, "raw", code, secret], 1, DENIED)
# libraries whose section headers are damaged (the loader needs none):
# the scanner falls back to their segments, and they are hooked
damaged = os.path.join(tmp, "damaged")
os.mkdir(damaged)
with open(LEAK_LIB, "rb") as f:
    elf = bytearray(f.read())
struct.pack_into("<Q", elf, 0x28, len(elf) + (1 << 20))    # e_shoff past the end
with open(os.path.join(damaged, os.path.basename(LEAK_LIB)), "wb") as f:
    f.write(elf)
check("a library with damaged section headers, linked: hooked",
      deny() + [LEAK_PROG, secret], 1, DENIED, env=env(LD_LIBRARY_PATH=damaged))
check("a library with damaged section headers, dlopen'd: hooked",
      deny() + [DLOPEN_RUN, os.path.join(damaged, os.path.basename(LEAK_LIB)), secret], 1, DENIED)
# a library whose file is replaced (renamed over) after the loader mapped
# it: the scan of the new file (no sites) was applied to the old code,
# which ran unhooked
swapdir = os.path.join(tmp, "swap")
os.mkdir(swapdir)
shutil.copy(SWAP_LIB, os.path.join(swapdir, os.path.basename(SWAP_LIB)))
shutil.copy(NOSYS_LIB, os.path.join(swapdir, "other.so"))
check("a library replaced after it was mapped: refused",
      plain() + [SWAP_PROG, secret], 125, [os.path.basename(SWAP_LIB), "--best-effort"],
      env=env(LD_LIBRARY_PATH=swapdir, SWAP_FROM=os.path.join(swapdir, "other.so"), ZPOLINE_CACHE="0"))
shutil.copy(SWAP_LIB, os.path.join(swapdir, os.path.basename(SWAP_LIB)))
shutil.copy(NOSYS_LIB, os.path.join(swapdir, "other.so"))
check("a library replaced after it was mapped, the deny hook: hooked through the safety net",
      deny() + [SWAP_PROG, secret], 1, DENIED,
      env=env(LD_LIBRARY_PATH=swapdir, SWAP_FROM=os.path.join(swapdir, "other.so"), ZPOLINE_CACHE="0"))
# a cache entry altered by whoever can write the cache (the user, or a
# hooked program of the user's) to list none of a library's sites: the
# library's calls ran unhooked. The deny hook enforces a policy, so the
# runtime arms Syscall User Dispatch, which catches the calls of code it
# did not rewrite, whatever the cache says
forged = tempfile.mkdtemp(prefix="zp-forged-")
check("a library's calls, through the cache", deny() + [LEAK_PROG, secret], 1, DENIED,
      env=env(ZPOLINE_CACHE_DIR=forged))
p = subprocess.run([CACHE_FORGE, forged, os.path.basename(LEAK_LIB)], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, text=True)
if p.returncode != 0:
    report("the cache altered to list none of the library's sites", ["cache-forge: " + p.stdout.strip()])
else:
    check("a cache entry altered to list none of a library's sites: still hooked",
          deny() + [LEAK_PROG, secret], 1, DENIED, env=env(ZPOLINE_CACHE_DIR=forged))
    # zpoline cache --verify finds the altered lists by scanning again,
    # removes them (status 1), and then finds none
    check("zpoline cache --verify: finds and removes the altered lists",
          [Z, "cache", "--verify"], 1, out=["altered", os.path.basename(LEAK_LIB), "2 lists differed"],
          env=env(ZPOLINE_CACHE_DIR=forged))
    check("zpoline cache --verify again: nothing altered", [Z, "cache", "--verify"], 0,
          out="0 lists differed", env=env(ZPOLINE_CACHE_DIR=forged))
shutil.rmtree(forged, ignore_errors=True)
# a child on its parent's thread-local memory (clone(CLONE_VM), no
# CLONE_SETTLS): the runtime's per-thread state was one for both, and the
# child's calls skipped the hooks while the parent was inside the runtime
# (its clone's own path): refused under an enforcing hook, as natively
# elsewhere
check("a clone(CLONE_VM) child without CLONE_SETTLS, the deny hook: refused",
      [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", VMCLONE], 125,
      ["CLONE_SETTLS", "--best-effort"])
check("the same, --best-effort: runs, and says so",
      [Z, "run", "--best-effort", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", VMCLONE], 0,
      ["CLONE_SETTLS", "best effort"], out="child ran", secret_ok=True)
check("the same, the null hook (it enforces nothing): runs", plain() + [VMCLONE], 0, out="child ran",
      lines=0)
# a program that sets the runtime's variables for its children: they
# took the program's values, and ZPOLINE_EXCLUDE=* (or a hook of its own,
# or a nested `zpoline run`) unhooked them
check("a child given ZPOLINE_EXCLUDE=* by the program is hooked",
      deny() + ["env", "ZPOLINE_EXCLUDE=*", LEAK_SELF, secret], 1, DENIED)
check("a child given ZPOLINE_BEST_EFFORT=1 by the program still fails closed",
      deny() + ["env", "ZPOLINE_BEST_EFFORT=1", "sh", "-c", "%s %s; echo status $?" % (LEAK_STATIC, secret)],
      0, "statically linked", out="status 125")
check("a nested zpoline run keeps the outer run's hooks",
      deny() + [Z, "run", "--hook", "deny", "--hook-opt", "getppid=EPERM", "--", LEAK_SELF, secret], 1, DENIED)
# the dynamic loader run as a command: the program it loaded was scanned
# as the loader, and ran unhooked; then it was refused, the exe link naming
# the loader. The name the loader gives it (AT_EXECFN) is its file, which
# carries the build-id of the code in memory: rewritten, on a cold cache
# and a warm one (the null hook arms no safety net: code left alone would
# be refused, status 125)
ldso = "/lib64/ld-linux-x86-64.so.2"
if os.path.exists(ldso):
    fresh = os.path.join(tmp, "ldso-cache")
    for state in ("a cold", "a warm"):
        check("a program started by the dynamic loader run as a command, %s cache: rewritten" % state,
              plain() + ["sh", "-c", "%s %s %s; echo status $?" % (ldso, LEAK_SELF, secret)], 0,
              out=[SECRET, "status 0"], secret_ok=True, env=env(ZPOLINE_CACHE_DIR=fresh))
    check("the same, the deny hook",
          deny() + ["sh", "-c", "%s %s %s; echo status $?" % (ldso, LEAK_SELF, secret)], 0,
          DENIED, out="status 1")
    # the program named relative to the working directory: the name the
    # loader gives it is relative too (it was refused, status 125)
    fresh = os.path.join(tmp, "ldso-relative-cache")
    for state in ("a cold", "a warm"):
        check("the same, the program named relative to the working directory, %s cache: rewritten" % state,
              [Z, "run", "--hook", "tracer", "--", "sh", "-c", "cd %s && %s ./%s %s; echo status $?" % (
                  os.path.dirname(LEAK_SELF), ldso, os.path.basename(LEAK_SELF), secret)], 0,
              'open("%s"' % secret, out=[SECRET, "status 0"], secret_ok=True, env=env(ZPOLINE_CACHE_DIR=fresh))
    # a program with no build-id: the name the loader gives it cannot be
    # checked, and the exe link names the loader: refused, as a program
    # not identified (the loader's file was scanned for it, its sites
    # looked for in the program's code)
    check("a program with no build-id started by the dynamic loader run as a command: refused, not identified",
          plain() + ["sh", "-c", "%s %s %s; echo status $?" % (ldso, LEAK_NOBUILDID, secret)], 0,
          [LEAK_NOBUILDID, "cannot identify"], out="status 125")
    # given to zpoline run itself, the loader was refused as a statically
    # linked program; it honours LD_PRELOAD for the program it loads
    check("zpoline run -- ld.so PROG: hooked, not refused as statically linked",
          plain() + [ldso, LEAK_SELF, secret], 0, out=SECRET, secret_ok=True)
    check("the same, the deny hook", deny() + [ldso, LEAK_SELF, secret], 1, DENIED)
# the program's file is taken from the name it was started by, without
# /proc: a name that names another file by the time the runtime starts (a
# symlink its preinit function points elsewhere), that file with an entry
# in the cache, another build: the file executed is the one rewritten
other = os.path.join(tmp, "other-prog")
shutil.copy(LEAK_SELF, other)
check("a program run before under another name: hooked", deny() + [other, secret], 1, DENIED)
swapped = os.path.join(tmp, "swapped")
for name, how, status, err, out in (("the deny hook", deny(), 1, DENIED, ()),
                                    ("the null hook, no safety net", plain(), 0, (), SECRET)):
    if os.path.lexists(swapped):
        os.unlink(swapped)
    os.symlink(LEAK_SWAPNAME, swapped)
    check("a program whose name names another program as it starts, %s: the one executed is hooked" % name,
          how + [swapped, secret], status, err, out=out, secret_ok=status == 0,
          env=env(ZP_SWAP_LINK=swapped, ZP_SWAP_TO=other))
# the same, the file named then another build with the same build-id (set
# by hand) and an entry in the cache: /proc/self/exe, read as no entry was
# found for the name's program, names the file executed, which is rewritten
# (the name's file was kept for carrying the build-id: the calls of the
# program's own code ran unhooked, and no hook without a safety net knew)
other = os.path.join(tmp, "other-collide")
shutil.copy(LEAK_COLLIDE, other)
check("a program of the same build-id run before under another name: hooked",
      deny() + [other, secret], 1, DENIED)
os.unlink(swapped)
os.symlink(SWAPNAME_COLLIDE, swapped)
check("a program whose name names another build of its build-id as it starts: the one executed is hooked",
      [Z, "run", "--hook", "tracer", "--", swapped, secret], 0, 'open("%s"' % secret, out=SECRET,
      secret_ok=True, env=env(ZP_SWAP_LINK=swapped, ZP_SWAP_TO=other))
# a script: the name it was started by is the script's, not its
# interpreter's, the program executed; --exclude matching the script's
# name left the interpreter's own code unhooked (and out of the net)
script = os.path.join(tmp, "excluded-script")
with open(script, "w") as f:
    f.write("#!%s\n" % LEAK_SELF)
os.chmod(script, 0o755)
check("a script whose name --exclude matches: its interpreter is hooked",
      deny("--exclude", script) + [script, secret], 1, DENIED)
# int $0x80, the 32-bit gate: never rewritten, it ran unhooked
check("a program that calls int $0x80: refused", deny() + [INT80, secret], 125, [INT80, "int $0x80"])
check("a program that calls int $0x80, --best-effort: runs, and says so",
      plain("--best-effort") + [INT80, secret], 0, [INT80, "best effort"], secret_ok=True)
# children that drop the environment keep the runtime
check("an env -i child is hooked",
      deny() + ["env", "-i", "LD_LIBRARY_PATH=" + os.path.dirname(LEAK_LIB), LEAK_PROG, secret], 1, DENIED)

# code the dynamic loader runs before the runtime's constructor: the
# constructor of another LD_PRELOAD entry read the file, printed it and
# exited 0, in the very command a user would type
cat = [Z, "run", "--hook", "deny", "--hook-opt", "openat=EACCES", "--", "cat", secret]
check("LD_PRELOAD naming another library: refused", cat, 125, ["LD_PRELOAD", CTOR_LEAK, "--best-effort"],
      env=env(LD_PRELOAD=CTOR_LEAK, LEAK_FILE=secret))
# (the loader of zpoline itself complains that it is no audit module)
check("LD_AUDIT: refused", cat, 125, ["LD_AUDIT", "--best-effort"], lines=2,
      env=env(LD_AUDIT=CTOR_LEAK, LEAK_FILE=secret))
# ... and for the programs the program starts
check("a child executed with LD_PRELOAD naming another library: refused",
      [Z, "run", "--hook", "deny", "--hook-opt", "openat=EACCES", "--", "env", "LD_PRELOAD=" + CTOR_LEAK,
       "LEAK_FILE=" + secret, "cat", secret], 125, [CTOR_LEAK, "--best-effort"])
check("a shell's child with LD_PRELOAD naming another library: refused",
      [Z, "run", "--hook", "deny", "--hook-opt", "openat=EACCES", "--", "sh", "-c",
       "LD_PRELOAD=%s LEAK_FILE=%s cat %s; echo status $?" % (CTOR_LEAK, secret, secret)], 0,
      [CTOR_LEAK], lines=2, out="status 125")
check("LD_PRELOAD naming another library, --best-effort: runs, and says so",
      [Z, "run", "--best-effort", "--hook", "null", "--", "true"], 0, ["LD_PRELOAD", "best effort"],
      env=env(LD_PRELOAD=CTOR_LEAK, LEAK_FILE="/nonexistent"))
# programs LD_PRELOAD cannot reach: refused, or run unhooked if asked
check("a statically linked program: refused", deny() + [STATIC_PROG], 125, "statically linked")
check("a statically linked program, --best-effort: runs, and says so", deny("--best-effort") + [STATIC_PROG], 0,
      ["statically linked", "best effort"])

# ... and when the program starts one: the loader of the new image never
# loaded the runtime, and it ran unhooked
check("a child statically linked: refused",
      deny() + ["sh", "-c", "%s %s; echo status $?" % (LEAK_STATIC, secret)], 0,
      [LEAK_STATIC, "statically linked"], out="status 125")
check("a child statically linked, from a memfd (execveat AT_EMPTY_PATH): refused",
      deny() + [MEMEXEC, LEAK_STATIC, secret], 125, ["descriptor", "statically linked"])
script = os.path.join(tmp, "script")
with open(script, "w") as f:
    f.write("#!%s\n" % LEAK_STATIC)
os.chmod(script, 0o755)
check("a child script whose interpreter is statically linked: refused",
      deny() + ["sh", "-c", "%s %s; echo status $?" % (script, secret)], 0,
      [script, "statically linked"], out="status 125")
check("a child statically linked, --best-effort: runs, and says so",
      deny("--best-effort") + ["sh", "-c", "%s %s" % (LEAK_STATIC, secret)], 0,
      [LEAK_STATIC, "best effort"], secret_ok=True)

# as another user: a program the helper cannot read (mode 0711, executed
# but not readable), and a non-dumpable process, whose descriptors the
# helper cannot open
setpriv = shutil.which("setpriv")
if os.geteuid() != 0 or setpriv is None:
    skip("unreadable objects, as another user", "needs root and setpriv")
else:
    cache = os.path.join(tmp, "cache")
    os.mkdir(cache, 0o700)
    os.chown(cache, 65534, 65534)
    xo = os.path.join(tmp, "xo")
    os.mkdir(xo, 0o755)
    prog = os.path.join(xo, "leak-self")
    shutil.copy(LEAK_SELF, prog)
    os.chmod(prog, 0o711)
    lib = os.path.join(xo, "libleak.so")
    shutil.copy(LEAK_LIB, lib)
    os.chmod(lib, 0o644)
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    e = env(ZPOLINE_CACHE_DIR=cache, HOME=tmp)
    # the helper cannot read it ("nothing stored"): it ran unhooked
    check("a program the scanner cannot read: refused",
          nobody + plain() + [prog, secret], 125, [prog, "--best-effort"], env=e)
    check("a program the scanner cannot read, --best-effort: runs, and says so",
          nobody + plain("--best-effort") + [prog, secret], 0, [prog, "best effort"], env=e, secret_ok=True)
    check("a program the scanner cannot read, the deny hook: hooked through the safety net",
          nobody + deny() + [prog, secret], 1, DENIED, env=e)
    check("a library dlopen'd from a memfd by a non-dumpable process: refused",
          nobody + plain() + [DLOPEN_RUN, "memfd-nodump", lib, secret], 125, ["/memfd:leak", "--best-effort"],
          env=e)
    check("the same, the deny hook: hooked through the safety net",
          nobody + deny() + [DLOPEN_RUN, "memfd-nodump", lib, secret], 1, DENIED, env=e)
    # a set-user-ID child: the loader ignored LD_PRELOAD, and it ran unhooked
    suid = os.path.join(xo, "leak-suid")
    shutil.copy(LEAK_SELF, suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    check("a set-user-ID child: refused",
          nobody + deny() + ["sh", "-c", "%s %s; echo status $?" % (suid, secret)], 0,
          [suid, "set-user-ID"], out="status 125", env=e)
    # the same from a child sharing its parent's memory (posix_spawn's): the
    # runtime's look at /etc/ld.so.preload, with libc's open, left ENOENT
    # in the parent's errno
    check("a set-user-ID child of a vfork child: refused, the parent's errno untouched",
          nobody + deny() + [VFORK_EXEC, "65536", suid, secret], 0, [suid, "set-user-ID"],
          out="status 125, errno 0", env=e)

shutil.rmtree(tmp, ignore_errors=True)
if shm is not None:
    shutil.rmtree(shm, ignore_errors=True)
finish()
