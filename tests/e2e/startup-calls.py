#!/usr/bin/env python3
"""What a warm start costs in system calls that the program does not see:
a process started with LD_PRELOAD naming the runtime alone has that
variable dropped from its environ (as natively: cli.py checks what the
program sees) without a mapping made to rewrite it; with another entry
beside the runtime, the entry is rewritten in a mapping of its own, and
kept. The file the program's PT_INTERP names (the dynamic loader) is
looked up once: keying the loaded objects stats it, and what children
need of it (is an executed file the loader?) is taken from there. The
runtime tells itself from the program's objects by address, and is no row
of its report. A patched image is used on its stamp (its own modification
time), read by the fstat that checks its owner: no stamp file is opened,
and none is written again (no utimensat). Run under strace on a warm
cache.

usage: startup-calls.py LIBZPOLINE NULL_HOOK PPID"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

RUNTIME, HOOK, PPID = (os.path.abspath(a) for a in sys.argv[1:4])
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
# an anonymous mapping made by address, shorter than a page: the
# loader's and malloc's are MAP_FIXED or page multiples
SMALL_ANON = re.compile(r"^mmap\(NULL, (\d+), [^,]+, [^,]*MAP_ANONYMOUS")
STAT = re.compile(r'^(?:newfstatat|stat|statx|lstat)\((?:AT_FDCWD, )?"([^"]*)"')
OPEN = re.compile(r'^openat\([^,]+, "([^"]*)"')


def interp(path):
    """PT_INTERP's path in an ELF file"""
    with open(path, "rb") as f:
        b = f.read()
    phoff, = struct.unpack_from("<Q", b, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", b, phoff + i * phentsize)
        if p_type == 3:
            return b[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return None


def start(env, prog):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "strace")
        for _ in range(2):      # the first fills the cache
            r = subprocess.run(prog, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # by name: the %%stat class is newer than some strace builds
        calls = "trace=mmap,stat,lstat,newfstatat,statx,openat,utimensat"
        r = subprocess.run(["strace", "-o", out, "-e", calls, "--"] + prog, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(out) as f:
            lines = f.read().splitlines()
    sizes = [int(m.group(1)) for m in map(SMALL_ANON.match, lines) if m and int(m.group(1)) < 4096]
    stats = [m.group(1) for m in map(STAT.match, lines) if m]
    opens = [m.group(1) for m in map(OPEN.match, lines) if m]
    utimes = [l for l in lines if l.startswith("utimensat(")]
    return r, sizes, stats, opens, utimes


def main():
    if shutil.which("strace") is None:
        print("SKIP: no strace")
        return 77
    fails = 0
    with tempfile.TemporaryDirectory() as cache:
        env = dict(ENV, LD_PRELOAD=RUNTIME, ZPOLINE_HOOK=HOOK, ZPOLINE_CACHE_DIR=cache)
        r, sizes, stats, opens, utimes = start(env, [PPID])
        ok = r.returncode == 0 and b"LD_PRELOAD=\n" in r.stdout and sizes == []
        print("%s: the runtime alone in LD_PRELOAD: dropped, no mapping made for it (small anonymous "
              "mappings: %s; exit %d)" % ("ok" if ok else "FAIL", sizes, r.returncode))
        fails += not ok
        loader = interp(PPID)
        n = stats.count(loader)
        ok = n == 1
        print("%s: the dynamic loader's file (%s) looked up once by path: %d" % ("ok" if ok else "FAIL", loader, n))
        fails += not ok
        images = [p for p in opens if "/" in p and not p.endswith(".ok") and not p.startswith("/")]
        stamps = [p for p in opens if p.endswith(".ok")]
        ok = len(images) >= 1 and stamps == [] and utimes == []
        print("%s: images used on their own stamp: %d opened, stamp files opened %s, stamps written %s" % (
            "ok" if ok else "FAIL", len(images), stamps, utimes))
        fails += not ok
        # the runtime finds itself among the loaded objects by address
        # (no dladdr): it is no row of its own report
        r = subprocess.run([PPID], env=dict(env, ZPOLINE_VERBOSE="1"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        rows = [l for l in r.stderr.splitlines() if l.startswith("/")]
        ok = r.returncode == 0 and any(PPID in l or "ppid" in l for l in rows) and \
            not any("libzpoline" in l for l in rows)
        print("%s: the report lists the program's objects, not the runtime (%d rows)" % (
            "ok" if ok else "FAIL", len(rows)))
        fails += not ok
        # another entry (refused as unhooked code unless best effort)
        other = "/lib/x86_64-linux-gnu/libz.so.1"
        if os.path.exists(other):
            env = dict(env, LD_PRELOAD=RUNTIME + ":" + other, ZPOLINE_BEST_EFFORT="1")
            r, sizes, _, _, _ = start(env, [PPID])
            ok = r.returncode == 0 and ("LD_PRELOAD=%s\n" % other).encode() in r.stdout and len(sizes) == 0
            print("%s: another entry beside the runtime: kept, written without the runtime where it "
                  "stands (small anonymous mappings: %s; exit %d; %r)" % ("ok" if ok else "FAIL", sizes,
                                                                         r.returncode, r.stdout[-200:]))
            fails += not ok
            # where the strings cannot move (a variable the loader or libc
            # may hold comes after it), environ's entry is a copy, in a
            # mapping of its own
            env = dict(env, GLIBC_TUNABLES="glibc.malloc.check=0")
            r, sizes, _, _, _ = start(env, [PPID])
            ok = r.returncode == 0 and ("LD_PRELOAD=%s\n" % other).encode() in r.stdout and len(sizes) == 1
            print("%s: the same before GLIBC_TUNABLES: kept, rewritten in a mapping of its own "
                  "(small anonymous mappings: %s; exit %d; %r)" % ("ok" if ok else "FAIL", sizes,
                                                                   r.returncode, r.stdout[-200:]))
            fails += not ok
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
