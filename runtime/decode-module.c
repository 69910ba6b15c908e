/* decode-module.c -- zpoline-decode.so: the red-zone check for sites the
 * safety net catches (late.c's lazy rewrite), loaded by the runtime only
 * with --catch-late in fast mode, so other runs do not load Zydis. */
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
