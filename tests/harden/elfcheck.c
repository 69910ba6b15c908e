/* elfcheck.c -- src/ on crafted files whose offsets and sizes wrap a
 * 64-bit sum (tests/harden/mkelf.py): each must be refused, not read
 * outside the file.
 *
 * usage: elfcheck INTERP_WRAP LOAD_WRAP HOOK_WRAP HOOK_OK */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "zp.h"

static int failed;

static void expect(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failed |= !ok;
}

int main(int argc, char **argv)
{
	struct zp_scan scan = { 0 };
	struct zp_section *secs;
	struct zp_hookinfo hi;
	struct zp_elf *e;
	const char *why;
	size_t n;

	if (argc != 5) {
		fprintf(stderr, "usage: elfcheck INTERP_WRAP LOAD_WRAP HOOK_WRAP HOOK_OK\n");
		return 2;
	}
	expect(zp_elf_open_file(argv[1], &e) == 0, "interp-wrap opens");
	expect(zp_elf_interp(e) == NULL, "PT_INTERP whose offset + size wraps: no interpreter");
	zp_elf_close(e);

	expect(zp_elf_open_file(argv[2], &e) == 0, "load-wrap opens");
	expect(zp_elf_exec_sections(e, &secs, &n) == 0 && n == 0,
	       "executable PT_LOAD whose offset + size wraps: not scanned");
	expect(zp_scan_object(e, &scan) == 0 && scan.nsites == 0 && scan.bytes_scanned == 0,
	       "... and the scanner finds nothing in it");
	zp_scan_free(&scan);
	zp_elf_close(e);

	expect(zp_hookinfo_read(argv[3], &hi, &why) == -ESRCH && why != NULL,
	       "zpoline_hook at 2^64 - 4: refused as too small");
	expect(zp_hookinfo_read(argv[4], &hi, &why) == 0 && hi.native && hi.abi_version == 2 &&
	       hi.flags == 1, "the same hook with a sane symbol reads ABI 2, flags 1");
	return failed;
}
