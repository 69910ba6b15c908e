/* decode-module.c -- zpoline-decode.so: the scanner the runtime loads on
 * a cache miss into a link namespace of its own (scan-module.c), and the
 * red-zone check for sites the safety net catches (late.c's lazy rewrite),
 * which it loads only with --catch-late in fast mode: other runs never
 * keep Zydis loaded. */
#include "zp.h"

/* dlsym'd by the runtime (late.c) */
__attribute__((visibility("default"))) bool zpoline_redzone_dead_after(const uint8_t *buf, size_t len);

__attribute__((visibility("default"))) bool zpoline_redzone_dead_after(const uint8_t *buf, size_t len)
{
	static struct zp_disasm d;
	static bool ready;

	if (!ready) {
		zp_disasm_init(&d);
		ready = true;
	}
	return zp_redzone_dead_after(&d, buf, len);
}
