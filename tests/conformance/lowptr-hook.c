/* lowptr-hook -- an enter hook that moves pointers into page 0: every
 * argument equal to EFAULT_MOVED (unmapped, natively EFAULT) becomes 0x10.
 * With it, efault must still print what it prints natively: the check
 * for the trampoline's pages runs on the call as the enters left it. */
#include <zpoline/hook.h>

#define EFAULT_MOVED 0xdead0000L

static int lowptr_enter(struct zpoline_call *call, uint64_t *slot)
{
	(void)slot;
	for (int i = 0; i < 6; i++)
		if (call->args[i] == EFAULT_MOVED)
			call->args[i] = 0x10;
	return ZPOLINE_CALL;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "lowptr", .enter = lowptr_enter);
