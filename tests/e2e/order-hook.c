/* order-hook -- an enter/exit hook for the chaining tests. It wants
 * getppid only, and writes one line to the trace at its enter and its
 * exit, so a test can read the order in which chained hooks ran.
 *
 * Options: NAME (how its lines are labelled), NAME:done (its enter answers
 * 777 itself), NAME:arg (its enter turns getppid into getpid, so the call
 * the kernel makes is the changed one) or NAME:slot (its exit checks that
 * the slot still holds what its enter put there). */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <zpoline/hook.h>

static const struct zpoline_init *rt;
static char name[64];
static const char *how = "";
static uint64_t interest[ZPOLINE_INTEREST_WORDS];

static void say(const char *what, const struct zpoline_call *c, const char *extra)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "order: %s %s nr=%ld ret=%ld%s\n", name, what, c->nr,
			 c->ret, extra);
	rt->trace_write(line, (unsigned long)n);
}

static int order_enter(struct zpoline_call *call, uint64_t *slot)
{
	say("enter", call, "");
	*slot = 0x5107 + (uint64_t)call->nr;
	if (strcmp(how, "done") == 0) {
		call->ret = 777;
		return ZPOLINE_DONE;
	}
	if (strcmp(how, "arg") == 0)
		call->nr = SYS_getpid;
	return ZPOLINE_CALL;
}

static void order_exit(struct zpoline_call *call, uint64_t *slot)
{
	say("exit", call, strcmp(how, "slot") != 0 ? ""
			  : *slot == 0x5107 + (uint64_t)SYS_getppid ? " slot kept" : " slot LOST");
}

static int order_init(const struct zpoline_init *in)
{
	const char *colon = strchr(in->options, ':');
	size_t len = colon ? (size_t)(colon - in->options) : strlen(in->options);

	rt = in;
	snprintf(name, sizeof(name), "%.*s", (int)len, in->options);
	if (colon != NULL)
		how = colon + 1;
	ZPOLINE_WANT(interest, SYS_getppid);
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "order", .init = order_init,
		    .enter = order_enter, .exit = order_exit, .interest = interest);
