#!/usr/bin/env python3
"""A hook that needs nothing of the loader is mapped by the runtime, not
dlmopen'd: it works (its relocations, .bss and weak symbol right), and it
is in no link map; ZPOLINE_HOOK_DLMOPEN=1 loads it with dlmopen, into a
link map a debugger reads. A hook with a constructor, or one that needs
libc, is dlmopen'd as before. With --catch-late, the decoder the lazy
rewrite loads (zpoline-decode.so and its libelf, libdw, Zydis) is in a
namespace of its own: the program's holds nothing of ours but the runtime.

usage: mapped-hook.py ZPOLINE MAPPED_HOOK CTOR_HOOK LEGACY_HOOK LINKMAP"""
import os
import subprocess
import sys

Z, HOOK, CTOR, LEGACY, LINKMAP = sys.argv[1:6]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
failed = 0


def run(hook, opts=(), **extra):
    p = subprocess.run([Z, "run", "--hook", hook] + list(opts) + ["--", LINKMAP], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=dict(ENV, **extra), timeout=60)
    lines = p.stdout.splitlines()
    # the hooks' namespaces are the ones after the program's (namespace 0)
    inmap = any(l.startswith("namespace ") and not l.startswith("namespace 0 ") for l in lines)
    return p, lines, inmap


def check(name, ok, p):
    global failed
    if ok:
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s: status %d, stdout %r, stderr %r" % (name, p.returncode, p.stdout, p.stderr))


p, lines, inmap = run(HOOK, ZPOLINE_HOOK_DLMOPEN="1")
if p.returncode == 0 and "r_version 1" in lines:   # no r_next
    print("skip: this glibc (before 2.35) shows a debugger no namespace but the first")
    sys.exit(77)
check("ZPOLINE_HOOK_DLMOPEN=1: a self-contained hook by dlmopen, in a link map",
      p.returncode == 0 and "ppid 4243" in lines and inmap, p)
p, lines, inmap = run(HOOK)
check("a self-contained hook is mapped by the runtime: it runs, in no link map",
      p.returncode == 0 and "ppid 4243" in lines and not inmap, p)
p, lines, inmap = run(CTOR)
check("a hook without libc but with a constructor is dlmopen'd, which runs it",
      p.returncode == 0 and "ppid 4245" in lines and inmap, p)
p, lines, inmap = run(LEGACY)
check("a hook that needs libc is dlmopen'd, in a link map",
      p.returncode == 0 and "ppid 4242" in lines and inmap, p)
p, lines, inmap = run(HOOK, ["--catch-late"])
ours = [l for l in lines if l.startswith("namespace 0 ") and
        any(n in l for n in ("zpoline-decode", "libelf", "libdw", "libZydis", "libz."))]
check("--catch-late: the decoder is in no link map of the program's (%s)" % ", ".join(ours),
      p.returncode == 0 and "ppid 4243" in lines and not ours, p)
sys.exit(1 if failed else 0)
