/* scandump -- print the sites the scanner finds in ELF files, one per line:
 *   <file> <hex address> syscall|sysenter call|redzone|slotout|nofunc
 * (slotout: red zone live, but the slot only the kernel's output) then a
 * summary line per file:
 *   <file> sites=N syscall=N sysenter=N redzone=N lookalikes=N slotout=N
 * The scanner fixture tests compare this output with expected counts. */
#include <stdio.h>
#include <string.h>

#include "zp.h"

int main(int argc, char **argv)
{
	bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	int status = 0;

	for (int i = 1 + quiet; i < argc; i++) {
		struct zp_scan s = { 0 };
		struct zp_elf *e;
		unsigned sys = 0, enter = 0, rz = 0, so = 0;
		int r = zp_elf_open_file(argv[i], &e);
		if (r == 0) {
			r = zp_scan_object(e, &s);
			zp_elf_close(e);
		}
		if (r < 0) {
			fprintf(stderr, "scandump: %s: %s\n", argv[i], strerror(-r));
			status = 1;
			continue;
		}
		for (size_t k = 0; k < s.nsites; k++) {
			const struct zp_site *x = &s.sites[k];
			bool se = x->flags & ZP_SITE_SYSENTER;
			sys += !se;
			enter += se;
			rz += (x->flags & ZP_SITE_REDZONE) != 0;
			so += (x->flags & ZP_SITE_SLOTOUT) != 0;
			if (!quiet)
				printf("%s %#lx %s %s\n", argv[i], (unsigned long)x->addr,
				       se ? "sysenter" : "syscall",
				       x->flags & ZP_SITE_NOFUNC ? "nofunc"
				       : x->flags & ZP_SITE_SLOTOUT ? "slotout"
				       : x->flags & ZP_SITE_REDZONE ? "redzone" : "call");
		}
		printf("%s sites=%zu syscall=%u sysenter=%u redzone=%u lookalikes=%u slotout=%u\n",
		       argv[i], s.nsites, sys, enter, rz, s.lookalikes, so);
		zp_scan_free(&s);
	}
	return status;
}
