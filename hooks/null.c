/* null -- passes every call through untouched.
 *
 * The baseline for benchmarks: it declares ZPOLINE_HOOK_GPR_ONLY (and is
 * built with -mgeneral-regs-only, so the compiler holds it to that), so
 * the runtime does not save the vector state around it. */
#include <zpoline/hook.h>

static zpoline_syscall_fn *next;

static int null_init(const struct zpoline_init *in)
{
	static const char msg[] = "zpoline: null: this hook takes no options\n";

	if (in->options[0] != '\0') {
		in->trace_write(msg, sizeof(msg) - 1);
		return -22;     /* EINVAL */
	}
	next = in->next;
	return 0;
}

static long null_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return next(nr, a1, a2, a3, a4, a5, a6);
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "null", .init = null_init,
		    .syscall = null_syscall);
