/* xstate.c -- how the stub saves the extended (vector, x87) state */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

uint64_t zp_xsave_size;
uint64_t zp_save_mode;

enum zp_save_mode zp_pick_save_mode(unsigned flags)
{
	unsigned a, b, c, d;

	/* The XSAVE area is sized for the standard format of every component
	 * the OS enabled (XCR0), which also bounds the compacted format. */
	bool xsave = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE);
	if (xsave) {
		__cpuid_count(0xd, 0, a, b, c, d);
		zp_xsave_size = b + 64;
	}
	if (flags & ZPOLINE_HOOK_GPR_ONLY)
		return zp_save_mode = ZP_SAVE_GPR;
	if (!xsave)
		zp_fatal(125, "this CPU has no XSAVE; only hooks flagged ZPOLINE_HOOK_GPR_ONLY can run");
	/* ZPOLINE_SAVE forces a way, to measure the alternatives */
	const char *force = getenv("ZPOLINE_SAVE");
	if (force != NULL && strcmp(force, "xsave") == 0)
		return zp_save_mode = ZP_SAVE_XSAVE;
	if (force != NULL && strcmp(force, "xsavec") == 0)
		flags &= ~ZPOLINE_HOOK_NO_X87;
	/* zmm0-31, k0-7 and MXCSR by plain moves, when the hook uses no x87
	 * and the OS has the AVX-512 state enabled (XCR0 bits 5-7) */
	unsigned xcr0_lo, xcr0_hi;
	__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	__cpuid_count(7, 0, a, b, c, d);
	if ((flags & ZPOLINE_HOOK_NO_X87) && (b & bit_AVX512F) && (b & bit_AVX512BW) &&
	    (xcr0_lo & 0xe0) == 0xe0)
		return zp_save_mode = ZP_SAVE_ZMM;
	__cpuid_count(0xd, 1, a, b, c, d);
	return zp_save_mode = (a & (1u << 1)) ? ZP_SAVE_XSAVEC : ZP_SAVE_XSAVE;
}
