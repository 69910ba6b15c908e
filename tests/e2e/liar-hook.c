/* liar-hook -- claims ZPOLINE_HOOK_GPR_ONLY but clobbers ymm0-15. The
 * register conformance test must catch it: proof that it can fail. */
#include <zpoline/hook.h>

static zpoline_syscall_fn *next;

static int liar_init(const struct zpoline_init *in)
{
	next = in->next;
	return 0;
}

static long liar_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	__asm__ volatile("vpxor %%ymm0, %%ymm0, %%ymm0\n\tvpxor %%ymm7, %%ymm7, %%ymm7\n\t"
			 "vpxor %%ymm15, %%ymm15, %%ymm15" ::: "xmm0", "xmm7", "xmm15");
	return next(nr, a1, a2, a3, a4, a5, a6);
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "liar", .init = liar_init,
		    .syscall = liar_syscall);
