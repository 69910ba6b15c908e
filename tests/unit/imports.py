#!/usr/bin/env python3
"""imports.py -- libzpoline.so imports none of libc's allocator, nor a libc
call that allocates inside libc: the runtime must not use the program's
malloc (runtime/umalloc.h says where its calls go instead).

usage: imports.py LIBZPOLINE"""
import subprocess
import sys

# dlerror is left: it is called only after the loader (dlmopen, dlopen)
# failed (libc's dlerror state is then the program's malloc's; what the
# loader allocates for the runtime is not: runtime/rtldalloc.c)
FORBIDDEN = {
    'malloc', 'calloc', 'realloc', 'reallocarray', 'free', 'memalign', 'posix_memalign',
    'aligned_alloc', 'valloc', 'pvalloc', 'strdup', 'strndup', 'asprintf', 'vasprintf',
    'qsort', 'opendir', 'fdopendir', 'readdir', 'readdir64', 'closedir', 'scandir', 'scandir64',
    'open_memstream', 'fmemopen', 'fopen', 'fopen64', 'fdopen', 'tmpfile', 'popen', 'getline',
    'getdelim', 'strerror', 'strsignal', 'glob', 'glob64', 'wordexp', 'setenv', 'putenv',
    '__strdup', '__strndup', 'canonicalize_file_name', 'get_current_dir_name', 'open_wmemstream',
    'fopencookie', 'backtrace_symbols',
}


def main():
    out = subprocess.run(['nm', '-D', '--undefined-only', sys.argv[1]], check=True,
                         capture_output=True, text=True).stdout
    names = {line.split()[-1].split('@')[0] for line in out.splitlines() if line.strip()}
    bad = sorted(names & FORBIDDEN)
    if bad:
        print('libzpoline.so imports what allocates with the program\'s malloc: ' + ', '.join(bad))
        return 1
    print('%d imports, none of them allocating' % len(names))
    return 0


if __name__ == '__main__':
    sys.exit(main())
