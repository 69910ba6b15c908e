/* quiet-hook -- a hook whose interest set is empty: the benchmark's row
 * (a), a call no hook wants, which never leaves the runtime's stub. (deny
 * wanting another number was that row once; deny enforces a policy now,
 * so the runtime arms the safety net for it, which costs every call.) */
#include <zpoline/hook.h>

static const uint64_t none[ZPOLINE_INTEREST_WORDS];

static int quiet_enter(struct zpoline_call *call, uint64_t *slot)
{
	(void)call;
	(void)slot;
	return ZPOLINE_CALL;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY | ZPOLINE_HOOK_NO_SHARED, .name = "quiet",
		    .enter = quiet_enter, .interest = none);
