/* sdk-hook -- a hook in the style of zpoline-hook(7)'s SYNOPSIS (enter and
 * exit, an interest set), plus a report at exit: built out of tree with
 * pkg-config against a staged install. */
#include <stdio.h>
#include <sys/syscall.h>
#include <zpoline/hook.h>

static const struct zpoline_init *rt;
static unsigned long calls;
static uint64_t wanted[ZPOLINE_INTEREST_WORDS];

static int my_enter(struct zpoline_call *call, uint64_t *slot)
{
	*slot = (uint64_t)call->nr;
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return ZPOLINE_CALL;
}

static void my_exit(struct zpoline_call *call, uint64_t *slot)
{
	if (*slot != (uint64_t)call->nr)
		call->ret = -5;         /* EIO: the slot was lost */
}

static int my_init(const struct zpoline_init *in)
{
	rt = in;
	ZPOLINE_WANT(wanted, SYS_getppid);
	ZPOLINE_WANT(wanted, SYS_write);
	return 0;
}

static void my_fini(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "sdk-hook: %lu calls\n", calls);
	rt->trace_write(line, (unsigned long)n);
}

ZPOLINE_HOOK_DEFINE(.name = "mine", .init = my_init, .enter = my_enter, .exit = my_exit,
		    .interest = wanted, .fini = my_fini);
