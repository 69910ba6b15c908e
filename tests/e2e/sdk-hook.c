/* sdk-hook -- the example of zpoline-hook(7)'s SYNOPSIS, plus a report at
 * exit: built out of tree with pkg-config against a staged install. */
#include <stdio.h>
#include <zpoline/hook.h>

static zpoline_syscall_fn *next;
static const struct zpoline_init *rt;
static unsigned long calls;

static int my_init(const struct zpoline_init *in)
{
	next = in->next;
	rt = in;
	return 0;
}

static long my_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return next(nr, a1, a2, a3, a4, a5, a6);
}

static void my_fini(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "sdk-hook: %lu calls\n", calls);
	rt->trace_write(line, (unsigned long)n);
}

ZPOLINE_HOOK_DEFINE(.name = "mine", .init = my_init, .syscall = my_syscall, .fini = my_fini);
