/* abi3-enter-hook -- a hook built for hook ABI 3, with an enter and no
 * exit: it counts the enters of read(2) and writes the count at
 * exit_group. A runtime of a later ABI must show it each call once, as
 * ABI 3 did: a call the kernel makes again after a signal's handler is
 * still one call to it (callsite.py). */
#include <stdio.h>
#include <sys/syscall.h>

#include <zpoline/hook.h>

static const struct zpoline_init *rt;
static long reads;
static uint64_t interest[ZPOLINE_INTEREST_WORDS];

static int abi3_init(const struct zpoline_init *in)
{
	rt = in;
	ZPOLINE_WANT(interest, SYS_read);
	return 0;
}

static int abi3_enter(struct zpoline_call *call, uint64_t *slot)
{
	(void)slot;
	if (call->nr == SYS_read)
		__atomic_add_fetch(&reads, 1, __ATOMIC_RELAXED);
	return ZPOLINE_CALL;
}

static void abi3_fini(void)
{
	char b[64];
	int n = snprintf(b, sizeof(b), "abi3-enter: %ld read enters\n", reads);

	rt->trace_write(b, (unsigned long)n);
}

__attribute__((visibility("default"))) const struct zpoline_hook zpoline_hook = {
	.abi_version = 3, .name = "abi3-enter", .init = abi3_init, .enter = abi3_enter, .fini = abi3_fini,
	.interest = interest,
};
