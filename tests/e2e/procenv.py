#!/usr/bin/env python3
"""procenv.py ZPOLINE LIBZPOLINE NULL_HOOK PROCENV -- /proc/PID/environ of a
hooked program whose environment already held LD_PRELOAD and a ZPOLINE_
variable among its own: `zpoline run` moves the runtime's variables last,
and the program's /proc/self/environ is then its environ, in order, as
natively. In an environment made by hand with the runtime's variables
before the program's, the runtime moves its own after the program's, then
cuts them; but not past a variable the loader may hold (LD_ORIGIN_PATH here),
and then only the run of them that ends the environment is cut. A child
executed with LD_PRELOAD naming the runtime among its own variables gets
that entry moved last. LD_PRELOAD naming the runtime and another library
is written without the runtime, in its place. Not when a library linked
-z initfirst ran first
and may hold pointers to the strings (tests/e2e/envkeep.c). Every
relation of the map PROCENV prints (tests/conformance/procenv.c) still
holds."""
import ctypes
import os
import struct
import subprocess
import sys

# absolute: LD_PRELOAD names the runtime as the loader will
zpoline, libzpoline, null_hook, procenv, envkeep = (os.path.abspath(a) for a in sys.argv[1:6])
failed = 0


def report(cmd, env):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    if p.returncode != 0:
        print("%s: status %d\n%s" % (cmd, p.returncode, p.stderr))
        sys.exit(1)
    lines = p.stdout.splitlines()
    env_lines = [l.split(": ", 1)[1] for l in lines if l.startswith("/proc/self/environ: ") and "=" in l]
    relations = [l for l in lines[1:] if not l.startswith("/proc/self/environ: ")]
    return env_lines, relations


def check(what, ok, detail=""):
    global failed
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else "\n" + detail))
    failed |= not ok


base = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
native_env, native_rel = report([procenv, "native"], base)

# the program's own variables around ones of the runtime's names: the
# launcher's setenv keeps a variable where it was
env = dict(LD_PRELOAD="", PROCENV_A="1", ZPOLINE_VERBOSE="0", PROCENV_B="2", **base)
hooked_env, hooked_rel = report([zpoline, "run", "--hook", "null", "--", procenv, "hooked"], env)
want = [k + "=" + v for k, v in env.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"]
check("zpoline run: /proc/self/environ holds the program's variables, in order, and none of the runtime's",
      hooked_env == want, "want %s\ngot  %s" % (want, hooked_env))
check("zpoline run: the map's relations hold as natively", hooked_rel == native_rel,
      "\n".join(l for l in hooked_rel if l not in native_rel))

# a child whose environment names the runtime in LD_PRELOAD among its own
# variables: execve puts that entry last, after the runtime's others
given = ["PROCENV_A=1", "LD_PRELOAD=" + libzpoline, "PROCENV_B=2"]
child_env, child_rel = report([zpoline, "run", "--hook", "null", "--", procenv, "--exec-with"] + given, base)
check("execve, LD_PRELOAD naming the runtime among the program's variables: /proc/self/environ "
      "holds the others only", child_env == ["PROCENV_A=1", "PROCENV_B=2"], "got %s" % child_env)
check("  and the child's map relations hold as natively", child_rel == native_rel,
      "\n".join(l for l in child_rel if l not in native_rel))

# by hand, the runtime's variables first (as bash puts `VAR=value prog`'s):
# they are moved after the program's, then cut
env = dict(LD_PRELOAD=libzpoline, ZPOLINE_HOOK=null_hook, **base)
hand_env, hand_rel = report([procenv, "by hand"], env)
check("by hand, the runtime's variables first: /proc/self/environ holds the program's variables, in order",
      hand_env == [k + "=" + v for k, v in base.items()], "got %s" % hand_env[:3])
check("by hand: the map's relations hold as natively (environ's strings are /proc/self/environ's)",
      hand_rel == native_rel, "\n".join(l for l in hand_rel if l not in native_rel))
# by hand, one of the runtime's variables first and LD_PRELOAD last
env = dict(ZPOLINE_HOOK=null_hook, **base)
env["LD_PRELOAD"] = libzpoline
hand_env, hand_rel = report([procenv, "by hand, LD_PRELOAD last"], env)
check("by hand, one first and LD_PRELOAD last: /proc/self/environ holds the program's variables only",
      hand_env == [k + "=" + v for k, v in base.items()], "got %s" % hand_env[:3])
check("  and the map's relations hold as natively", hand_rel == native_rel,
      "\n".join(l for l in hand_rel if l not in native_rel))
# a variable of the loader's after one of ours: the loader may hold a
# pointer to such a string, so nothing moves, and the run that ends the
# environment alone is cut
env = dict(ZPOLINE_HOOK=null_hook, LD_ORIGIN_PATH="/nonexistent", **base)
env["LD_PRELOAD"] = libzpoline
hand_env, hand_rel = report([procenv, "by hand, before LD_ORIGIN_PATH"], env)
check("by hand, ours before LD_ORIGIN_PATH: nothing moves, only LD_PRELOAD (last) is cut",
      hand_env == [k + "=" + v for k, v in env.items() if k != "LD_PRELOAD"], "got %s" % hand_env[:3])
# LD_PRELOAD naming another library too (here the null hook's file, which
# has no initialiser): natively the program sees that entry alone, and so
# it does hooked, in /proc/self/environ as in environ, in its place
env = dict(PROCENV_A="1", LD_PRELOAD=null_hook, PROCENV_B="2", **base)
other_native, _ = report([procenv, "native"], env)
other_env, other_rel = report([zpoline, "run", "--best-effort", "--hook", "null", "--", procenv, "hooked"], env)
check("zpoline run, LD_PRELOAD naming another library: /proc/self/environ shows it without the runtime, "
      "in its place", other_env == other_native and other_rel == native_rel,
      "want %s\ngot  %s\n%s" % (other_native, other_env, "\n".join(l for l in other_rel if l not in native_rel)))
# by hand, that LD_PRELOAD first, the runtime named first in it
env = dict(ZPOLINE_HOOK=null_hook, ZPOLINE_BEST_EFFORT="1", PROCENV_A="1", PROCENV_B="2", **base)
env = dict(LD_PRELOAD=libzpoline + ":" + null_hook, **env)
hand_env, hand_rel = report([procenv, "by hand, LD_PRELOAD first"], env)
want = ["LD_PRELOAD=" + null_hook] + [k + "=" + v for k, v in env.items()
                                      if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"]
check("by hand, LD_PRELOAD naming the runtime and another library first: /proc/self/environ holds it "
      "without the runtime, then the program's variables", hand_env == want and hand_rel == native_rel,
      "want %s\ngot  %s" % (want[:3], hand_env[:3]))
# by hand, the runtime between two others, separated by spaces: the
# others keep their separator
libz = "/lib/x86_64-linux-gnu/libz.so.1"
if os.path.exists(libz):
    env = dict(ZPOLINE_HOOK=null_hook, ZPOLINE_BEST_EFFORT="1", PROCENV_A="1", **base)
    env = dict(LD_PRELOAD=null_hook + "  " + libzpoline + " " + libz, **env)
    hand_env, hand_rel = report([procenv, "by hand, spaces"], env)
    check("by hand, LD_PRELOAD='OTHER  RUNTIME OTHER': /proc/self/environ holds 'OTHER OTHER'",
          hand_env[:1] == ["LD_PRELOAD=" + null_hook + " " + libz] and hand_rel == native_rel,
          "got %s" % hand_env[:2])
# by hand, the runtime named twice before another library (as the
# launcher writes it when the user's LD_PRELOAD names the runtime too): the
# runtime's path shows in neither view, and both views agree
env = dict(ZPOLINE_HOOK=null_hook, ZPOLINE_BEST_EFFORT="1", PROCENV_A="1", PROCENV_B="2", **base)
env = dict(LD_PRELOAD=libzpoline + ":" + libzpoline + ":" + null_hook, **env)
hand_env, hand_rel = report([procenv, "by hand, the runtime twice"], env)
want = ["LD_PRELOAD=" + null_hook] + [k + "=" + v for k, v in env.items()
                                      if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"]
check("by hand, LD_PRELOAD='RUNTIME:RUNTIME:OTHER': /proc/self/environ holds 'OTHER'",
      hand_env == want and hand_rel == native_rel, "want %s\ngot  %s" % (want[:3], hand_env[:3]))
# zpoline run, the user's LD_PRELOAD naming nothing (' ', ':'), before
# GLIBC_TUNABLES (which nothing is moved past): the launcher's "RUNTIME: "
# names the runtime alone, so it goes last, where it is cut
for value in (" ", ":"):
    env = dict(PROCENV_A="1", LD_PRELOAD=value, GLIBC_TUNABLES="glibc.malloc.check=0", PROCENV_B="2", **base)
    hooked_env, _ = report([zpoline, "run", "--hook", "null", "--", procenv, "hooked"], env)
    want = [k + "=" + v for k, v in env.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"]
    check("zpoline run, LD_PRELOAD=%r before GLIBC_TUNABLES: /proc/self/environ holds no LD_PRELOAD" % value,
          hooked_env == want, "want %s\ngot  %s" % (want[:4], hooked_env[:4]))


def no_set_mm():
    """a seccomp filter that refuses prctl(PR_SET_MM, ...) with EPERM (a
    kernel without CONFIG_CHECKPOINT_RESTORE refuses it so too)"""
    libc = ctypes.CDLL(None, use_errno=True)
    # struct sock_filter: u16 code, u8 jt, u8 jf, u32 k
    ld, jeq, ret = 0x20, 0x15, 0x06
    prog = [(ld, 0, 0, 0), (jeq, 0, 3, 157), (ld, 0, 0, 16), (jeq, 0, 1, 35),
            (ret, 0, 0, 0x00050000 | 1), (ret, 0, 0, 0x7fff0000)]
    code = b"".join(struct.pack("<HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("<HxxxxxxQ", len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, fbuf, 0, 0) != 0:
        os._exit(99)


# the kernel refusing to set the map (a seccomp filter here): the strings
# stay as exec laid them out, with no NULs where LD_PRELOAD was written
# shorter, and environ is still the program's
env = dict(ZPOLINE_HOOK=null_hook, ZPOLINE_BEST_EFFORT="1", PROCENV_A="1", PROCENV_B="2", **base)
env = dict(LD_PRELOAD=libzpoline + ":" + null_hook, **env)
p = subprocess.run([procenv, "refused"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True, timeout=120, preexec_fn=no_set_mm)
lines = p.stdout.splitlines()
raw = [l.split(": ", 1)[1] for l in lines if l.startswith("/proc/self/environ: ")][:-1]
want = [k + "=" + v for k, v in env.items()]
check("PR_SET_MM refused: /proc/self/environ is the environment as given, no string emptied",
      p.returncode == 0 and raw == want, "want %s\ngot  %s\n%s" % (want[:3], raw, p.stderr))
# a library linked -z initfirst, whose constructor runs before the
# runtime's and keeps pointers to the program's strings: nothing moves
env = dict(ZPOLINE_HOOK=null_hook, PROCENV_A="1", PROCENV_B="2", **base)
env["LD_PRELOAD"] = libzpoline
p = subprocess.run([envkeep], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
check("by hand, a library initialised before the runtime kept pointers to the environment's strings: "
      "they still read as its variables", p.returncode == 0 and p.stdout.count("kept PROCENV_") == 2, p.stdout)
sys.exit(1 if failed else 0)
