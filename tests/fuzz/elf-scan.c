/* elf-scan.c -- fuzz target: bytes, read as an ELF object the way the
 * scanner reads a file, to a site list; and everything else src/elf.c
 * answers about an object (interpreter, reads at addresses, segments). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zp_scan scan = { 0 };
	struct zp_section *secs;
	struct zp_elf *e;
	const char *why;
	size_t n;

	/* libelf may convert in place: a private copy, of the exact size */
	char *image = malloc(size ? size : 1);
	if (image == NULL)
		return 0;
	memcpy(image, data, size);
	if (zp_elf_open_mem(image, size, &e) == 0) {
		zp_elf_check(e, false, &why);
		const char *interp = zp_elf_interp(e);
		if (interp != NULL && strlen(interp) >= size)
			abort();
		if (zp_elf_exec_sections(e, &secs, &n) == 0) {
			for (size_t i = 0; i < n; i++) {
				uint8_t buf[16];
				uint64_t vaddr;
				zp_elf_read(e, secs[i].addr, buf, sizeof(buf));
				zp_elf_read(e, secs[i].addr + secs[i].size - 1, buf, sizeof(buf));
				zp_elf_segment_vaddr(e, secs[i].offset & ~(uint64_t)4095, &vaddr);
			}
		}
		zp_scan_object(e, &scan);
		zp_scan_free(&scan);
		zp_elf_close(e);
	}
	free(image);
	return 0;
}
