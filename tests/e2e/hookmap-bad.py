#!/usr/bin/env python3
"""A damaged self-contained hook is refused with a message naming it, not
a bare crash: the runtime maps such a hook with nothing watching for
faults (hookmap.c), so what it reads or writes while mapping must lie in
a segment that allows it. A copy of NULL_HOOK whose writable segment
(.dynamic's, no .bss) has no permissions at all, and one of MAPPED_HOOK
with a relocation at offset 2^64-4 (which wrapped past the check of the
writable segments and wrote below the mapping). Either must end with a
"zpoline: hook" line.

usage: hookmap-bad.py ZPOLINE MAPPED_HOOK NULL_HOOK PROG"""
import atexit
import os
import shutil
import struct
import subprocess
import sys
import tempfile

Z, MAPPED, NULL, PROG = sys.argv[1:5]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("ZPOLINE_") and k != "LD_PRELOAD"}
work = tempfile.mkdtemp(prefix="zp-hookmap-bad-")
atexit.register(shutil.rmtree, work, True)    # (ignore_errors)
failed = 0


def phdrs_of(b):
    phoff, = struct.unpack_from("<Q", b, 32)
    phnum, = struct.unpack_from("<H", b, 56)
    return phoff, [struct.unpack_from("<IIQQQQQQ", b, phoff + 56 * i) for i in range(phnum)]


def damaged(name, hook, edit):
    b = bytearray(open(hook, "rb").read())
    edit(b)
    path = os.path.join(work, name + ".so")
    with open(path, "wb") as f:
        f.write(b)
    return path


def no_perms(b):
    # the PT_LOAD holding .dynamic: p_flags 0
    phoff, phdrs = phdrs_of(b)
    dyn = [p for p in phdrs if p[0] == 2][0]
    for i, p in enumerate(phdrs):
        if p[0] == 1 and p[3] <= dyn[3] < p[3] + p[6]:
            struct.pack_into("<I", b, phoff + 56 * i + 4, 0)


def wrapping_reloc(b):
    # the first entry of DT_RELA (its address is its file offset here:
    # the first segment starts the file at address 0)
    phoff, phdrs = phdrs_of(b)
    dyn = [p for p in phdrs if p[0] == 2][0]
    d = dyn[2]
    for k in range(0, dyn[5], 16):
        tag, val = struct.unpack_from("<qQ", b, d + k)
        if tag == 7:    # DT_RELA
            struct.pack_into("<Q", b, val, 0xfffffffffffffffc)
            return
    raise SystemExit("no DT_RELA in %s" % MAPPED)


for name, base, edit in (("no-perms", NULL, no_perms), ("wrapping-reloc", MAPPED, wrapping_reloc)):
    hook = damaged(name, base, edit)
    p = subprocess.run([Z, "run", "--hook", hook, "--", PROG], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=ENV, timeout=60)
    if p.returncode != 0 and ("zpoline: hook %s" % hook) in p.stderr:
        print("ok   %s: refused with a message" % name)
    else:
        failed += 1
        print("FAIL %s: status %d, stderr %r" % (name, p.returncode, p.stderr))
sys.exit(1 if failed else 0)
