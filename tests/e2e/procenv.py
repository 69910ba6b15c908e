#!/usr/bin/env python3
"""procenv.py ZPOLINE LIBZPOLINE NULL_HOOK PROCENV -- /proc/PID/environ of a
hooked program whose environment already held LD_PRELOAD and a ZPOLINE_
variable among its own: `zpoline run` moves the runtime's variables last,
and the program's /proc/self/environ is then its environ, in order, as
natively. An environment made by hand with the runtime's variables first
is left as it is (the kernel's view cannot end before them), and only
the run of them that ends one is cut. A child
executed with LD_PRELOAD naming the runtime among its own variables gets
that entry moved last. Every
relation of the map PROCENV prints (tests/conformance/procenv.c) still
holds."""
import os
import subprocess
import sys

# absolute: LD_PRELOAD names the runtime as the loader will
zpoline, libzpoline, null_hook, procenv = (os.path.abspath(a) for a in sys.argv[1:5])
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

# by hand, the runtime's variables first: /proc/self/environ shows them
env = dict(LD_PRELOAD=libzpoline, ZPOLINE_HOOK=null_hook, **base)
hand_env, hand_rel = report([procenv, "by hand"], env)
check("by hand, the runtime's variables first: /proc/self/environ left whole",
      hand_env == [k + "=" + v for k, v in env.items()], "got %s" % hand_env[:3])
# but for environ, which starts after the LD_PRELOAD entry it no longer has
hand_rel = [l for l in hand_rel if not l.startswith("environ's strings")]
check("by hand: the map's relations hold as natively",
      hand_rel == [l for l in native_rel if not l.startswith("environ's strings")],
      "\n".join(l for l in hand_rel if l not in native_rel))
# by hand, one of the runtime's variables first and LD_PRELOAD last: only
# the run that ends the environment is cut
env = dict(ZPOLINE_HOOK=null_hook, **base)
env["LD_PRELOAD"] = libzpoline
hand_env, hand_rel = report([procenv, "by hand, LD_PRELOAD last"], env)
check("by hand, LD_PRELOAD last: /proc/self/environ ends before it, and shows the variable before "
      "the program's", hand_env == [k + "=" + v for k, v in env.items() if k != "LD_PRELOAD"],
      "got %s" % hand_env[:3])
sys.exit(1 if failed else 0)
