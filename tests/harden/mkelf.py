#!/usr/bin/env python3
"""mkelf.py -- crafted x86-64 ELF files whose offsets and sizes make a
naive bounds check (off + len <= size) wrap around.

    mkelf.py KIND OUTPUT

KIND:
  interp-wrap  PT_INTERP at offset 2^64 - 1 MiB: offset + size wraps to a
               small number, so the string would be read before the file
  load-wrap    an executable PT_LOAD, no section headers, the same way:
               the scanner would read 1 MiB before the file
  hook-wrap    a shared object whose zpoline_hook symbol sits at 2^64 - 4:
               value + 8 wraps to 4, inside a PT_LOAD at 0
  hook-ok      the same object with a sane zpoline_hook (ABI 2, flags 1)
"""
import struct
import sys

U64 = 1 << 64
PT_LOAD, PT_INTERP = 1, 3
PF_X, PF_R = 1, 4


def phdr(ptype, flags, off, vaddr, filesz, memsz):
    return struct.pack('<IIQQQQQQ', ptype, flags, off % U64, vaddr % U64, vaddr % U64,
                       filesz % U64, memsz % U64, 0x1000)


def shdr(name, stype, flags, addr, off, size, link, info, align, entsize):
    return struct.pack('<IIQQQQIIQQ', name, stype, flags, addr, off, size, link, info, align,
                       entsize)


def build(etype, phdrs, body=b'', sections=None):
    """ehdr | phdrs | body (at a known offset) | section headers"""
    phoff = 64
    body_off = phoff + 56 * len(phdrs)
    out = bytearray(64)
    out += b''.join(phdrs)
    assert len(out) == body_off
    out += body
    shoff = shnum = shstrndx = 0
    if sections:
        while len(out) % 8:
            out.append(0)
        shoff = len(out)
        shnum = len(sections)
        shstrndx = shnum - 1
        out += b''.join(sections)
    ident = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
    out[0:64] = ident + struct.pack('<HHIQQQIHHHHHH', etype, 62, 1, 0, phoff if phdrs else 0,
                                    shoff, 0, 64, 56, len(phdrs), 64, shnum, shstrndx)
    return bytes(out)


def interp_wrap():
    # raw[(off + size - 1) mod 2^64] = raw[0x7f] is the NUL the old check wants
    return build(3, [phdr(PT_INTERP, PF_R, -0x100000, 0, 0x100080, 0x100080)], bytes(64))


def load_wrap():
    return build(3, [phdr(PT_LOAD, PF_R | PF_X, -0x100000, 0, 0x100040, 0x100040)],
                 b'\x0f\x05' * 32)


def hook_so(value):
    dynstr = b'\0zpoline_hook\0'
    shstr = b'\0.dynsym\0.dynstr\0.shstrtab\0'
    ndyn = 2
    body_off = 64 + 56 * 1
    dynsym_off = body_off
    dynsym = bytes(24) + struct.pack('<IBBHQQ', 1, 0x11, 0, 1, value % U64, 16)
    dynstr_off = dynsym_off + len(dynsym)
    shstr_off = dynstr_off + len(dynstr)
    payload_off = shstr_off + len(shstr)
    payload = struct.pack('<II', 2, 1)
    body = dynsym + dynstr + shstr + payload
    sections = [
        bytes(64),
        shdr(1, 11, 2, dynsym_off, dynsym_off, len(dynsym), 2, 1, 8, 24),      # .dynsym
        shdr(9, 3, 2, dynstr_off, dynstr_off, len(dynstr), 0, 0, 1, 0),       # .dynstr
        shdr(17, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0),                # .shstrtab
    ]
    assert ndyn == 2
    if value is None:
        raise ValueError
    # PT_LOAD at 0 holding the whole file; for hook-wrap p_filesz is
    # 2^64 - 1 and p_offset 8, so that the old sums all wrap into the file
    return body_off, payload_off, body, sections


def hook_wrap():
    body_off, _, body, sections = hook_so(-4)
    return build(3, [phdr(PT_LOAD, PF_R, 8, 0, -1, 0x1000)], body, sections)


def hook_ok():
    body_off, payload_off, body, sections = hook_so(0)
    size = body_off + len(body)
    # the symbol's value is an address: put the payload at its file offset
    data = build(3, [phdr(PT_LOAD, PF_R, 0, 0, size, size)], body, sections)
    value = payload_off
    # patch the symbol value (second dynsym entry, st_value at +8)
    sym = body_off + 24 + 8
    return data[:sym] + struct.pack('<Q', value) + data[sym + 8:]


KINDS = {'interp-wrap': interp_wrap, 'load-wrap': load_wrap, 'hook-wrap': hook_wrap,
         'hook-ok': hook_ok}

if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.exit('usage: mkelf.py {%s} OUTPUT' % ','.join(KINDS))
    with open(sys.argv[2], 'wb') as f:
        f.write(KINDS[sys.argv[1]]())
