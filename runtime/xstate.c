/* xstate.c -- how the stub saves the extended (vector, x87) state */
#include <cpuid.h>

#include "runtime.h"

uint64_t zp_xsave_size;
uint64_t zp_save_mode;

enum zp_save_mode zp_pick_save_mode(bool gpr_only)
{
	unsigned a, b, c, d;

	/* The area is sized for the standard format of every component the
	 * OS enabled (XCR0), which also bounds the compacted format. */
	bool xsave = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE);
	if (xsave) {
		__cpuid_count(0xd, 0, a, b, c, d);
		zp_xsave_size = b + 64;
	}
	if (gpr_only)
		return zp_save_mode = ZP_SAVE_GPR;
	if (!xsave)
		zp_fatal(125, "this CPU has no XSAVE; only hooks flagged ZPOLINE_HOOK_GPR_ONLY can run");
	__cpuid_count(0xd, 1, a, b, c, d);
	return zp_save_mode = (a & (1u << 1)) ? ZP_SAVE_XSAVEC : ZP_SAVE_XSAVE;
}
