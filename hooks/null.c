/* null -- an enter hook for every number that always answers "make the
 * call": the cost of a hook that is called, and nothing else.
 *
 * The baseline for benchmarks: it declares ZPOLINE_HOOK_GPR_ONLY (and is
 * built with -mgeneral-regs-only, so the compiler holds it to that), so
 * the runtime does not save the vector state around it; and it declares
 * ZPOLINE_HOOK_NO_SHARED, so a process it alone hooks makes no shared
 * memory, and ZPOLINE_HOOK_QUIET (it writes only from its init), so the
 * runtime preloaded by hand holds no descriptor for it. */
#include <zpoline/hook.h>

static int null_init(const struct zpoline_init *in)
{
	static const char msg[] = "zpoline: null: this hook takes no options\n";

	if (in->options[0] != '\0') {
		in->trace_write(msg, sizeof(msg) - 1);
		return -22;     /* EINVAL */
	}
	return 0;
}

static int null_enter(struct zpoline_call *call, uint64_t *slot)
{
	(void)call;
	(void)slot;
	return ZPOLINE_CALL;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY | ZPOLINE_HOOK_NO_SHARED | ZPOLINE_HOOK_QUIET, .name = "null", .init = null_init,
		    .enter = null_enter);
