/* next-hook -- a pass-through hook of the syscall/next style: the chain's
 * path, general registers only (it is what the null hook was before the
 * enter/exit style), for the conformance matrix and the benchmark */
#include <zpoline/hook.h>

static zpoline_syscall_fn *next;

static int next_init(const struct zpoline_init *in)
{
	next = in->next;
	return 0;
}

static long next_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return next(nr, a1, a2, a3, a4, a5, a6);
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "next-passthrough", .init = next_init,
		    .syscall = next_syscall);
