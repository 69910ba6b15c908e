/* xstate.c -- how the stub saves the extended (vector, x87) state */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <sys/platform/x86.h>

#include "contract.h"
#include "runtime.h"

uint64_t zp_xsave_size;
uint64_t zp_save_mode;
void (*zp_chain_entry)(void) = zp_chain_xsave;
void (*zp_policy_entry)(void) = zp_chain_xsave;

/* set_paths -- the chain's path for the hooks' mode, which zp_save_mode
 * holds: the format of the areas the clone paths restore (RESTORE_XAREA
 * reads it) and whether the vfork paths save the extended state around
 * the hooks (NOTIFY_VFORK); the policy path saves the vector state
 * whatever the hooks declare, in a format the clone paths restore (never
 * the zmm one: pick(0)) */
static enum zp_save_mode set_paths(enum zp_save_mode m, enum zp_save_mode policy)
{
	static void (*const chains[])(void) = {
		[ZP_SAVE_GPR] = zp_chain_gpr, [ZP_SAVE_XSAVEC] = zp_chain_xsavec,
		[ZP_SAVE_XSAVE] = zp_chain_xsave, [ZP_SAVE_ZMM] = zp_chain_zmm,
	};

	zp_chain_entry = chains[m];
	zp_policy_entry = chains[policy];
	zp_save_mode = m;
	return m;
}

/* what pick needs of CPUID, read once: each CPUID is a VM exit in a
 * guest (1-3 us here), and pick runs twice for a hook that declares
 * general registers only. The loader read leaves 1, 7 and 0xd.1 already
 * (glibc's <sys/platform/x86.h> hands out its copy, raw): only the size
 * of the XSAVE area, leaf 0xd.0, is asked of the CPU. */
static struct {
	bool read, xsave;
	unsigned xsave_size;    /* leaf 0xd.0: ebx */
	bool avx512f, avx512bw; /* leaf 7.0: ebx */
	bool xsavec;            /* leaf 0xd.1: eax */
} cpu;

static void read_cpu(void)
{
	unsigned a, b, c, d;

	if (cpu.read)
		return;
	cpu.xsave = CPU_FEATURE_PRESENT(OSXSAVE);
	if (cpu.xsave) {
		__cpuid_count(0xd, 0, a, b, c, d);
		cpu.xsave_size = b;
		cpu.avx512f = CPU_FEATURE_PRESENT(AVX512F);
		cpu.avx512bw = CPU_FEATURE_PRESENT(AVX512BW);
		cpu.xsavec = CPU_FEATURE_PRESENT(XSAVEC);
	}
	cpu.read = true;
}

static enum zp_save_mode pick(unsigned flags)
{
	/* The XSAVE area is sized for the standard format of every component
	 * the OS enabled (XCR0), which also bounds the compacted format. */
	read_cpu();
	bool xsave = cpu.xsave;
	if (xsave)
		zp_xsave_size = cpu.xsave_size + 64;
	if (flags & ZPOLINE_HOOK_GPR_ONLY)
		return ZP_SAVE_GPR;
	if (!xsave)
		zp_fatal(125, "this CPU has no XSAVE; only hooks flagged ZPOLINE_HOOK_GPR_ONLY can run");
	/* ZPOLINE_SAVE forces a way, to measure the alternatives */
	const char *force = getenv(ZP_ENV_SAVE);
	if (force != NULL && strcmp(force, "xsave") == 0)
		return ZP_SAVE_XSAVE;
	if (force != NULL && strcmp(force, "xsavec") == 0)
		flags &= ~ZPOLINE_HOOK_NO_X87;
	/* zmm0-31, k0-7 and MXCSR by plain moves, when the hook uses no x87
	 * and the OS has the AVX-512 state enabled (XCR0 bits 5-7) */
	unsigned xcr0_lo, xcr0_hi;
	__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	if ((flags & ZPOLINE_HOOK_NO_X87) && cpu.avx512f && cpu.avx512bw &&
	    (xcr0_lo & 0xe0) == 0xe0)
		return ZP_SAVE_ZMM;
	return cpu.xsavec ? ZP_SAVE_XSAVEC : ZP_SAVE_XSAVE;
}

enum zp_save_mode zp_pick_save_mode(unsigned flags)
{
	enum zp_save_mode m = pick(flags);

	if (m != ZP_SAVE_GPR)
		return set_paths(m, m);
	/* with no XSAVE there is nothing to save the program's vector
	 * registers with: the policy path takes its chances, as before */
	if (zp_xsave_size == 0)
		return set_paths(m, m);
	return set_paths(m, pick(0));
}
