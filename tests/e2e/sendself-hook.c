/* sendself-hook -- an enter hook that has signals reach the program's
 * handlers while it runs: for getppid(0x5e1f, SIG, N, M, 0x5e1f) (N and
 * M up to 16) it blocks SIG,
 * queues M instances of it to the process and then N to its own thread
 * (values 1, 2, ... in that order), and unblocks SIG. The kernel delivers
 * them as the unblocking call returns, inside the hook: the runtime holds
 * them back until the hook is done, and they must reach the program in
 * the order the kernel would have delivered them (its thread's queue
 * first, each queue in order). For getppid(0x5e20, SIG, N, 0, 0x5e20) it
 * sends N instances of SIG to its thread one after the other, SIG
 * unblocked, and for getppid(0x5e21, SET, N, 0, 0x5e21) each signal of
 * the bit set SET (bit SIG - 1) in turn, lowest first, N rounds. Other
 * calls pass. For getppid(0x5e22, SIG, 0, 0, 0x5e22) its exit sends SIG
 * to its thread, SIG unblocked: held back until the exits are done; so
 * does rt_sigpending(SET, 8, 0x5e23, SIG, 0x5e23)'s, on the chain path
 * (a number the runtime handles). */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zpoline/hook.h>

#include "sendself.h"

static uint64_t interest[ZPOLINE_INTEREST_WORDS];

static int sendself_enter(struct zpoline_call *call, uint64_t *slot)
{
	(void)slot;
	if (call->args[0] == 0x5e20 && call->args[4] == 0x5e20 && (unsigned long)call->args[2] <= 16) {
		/* getppid(0x5e20, SIG, N, 0, 0x5e20): N instances of SIG sent
		 * to its thread one after the other, SIG left as it is: the
		 * first comes while the hook runs and is held back, the next
		 * is pending behind it */
		for (long i = 0; i < call->args[2]; i++)
			send((int)call->args[1], (int)i + 1, 1);
		return ZPOLINE_CALL;
	}
	if (call->args[0] == 0x5e21 && call->args[4] == 0x5e21 && (unsigned long)call->args[2] <= 16) {
		/* getppid(0x5e21, SET, N, 0, 0x5e21): each signal of SET sent
		 * to its thread, N rounds: one of each is held back, the next
		 * of each pending behind it */
		int value = 1;
		for (long i = 0; i < call->args[2]; i++)
			for (int sig = 1; sig < 32; sig++)
				if ((unsigned long)call->args[1] >> (sig - 1) & 1)
					send(sig, value++, 1);
		return ZPOLINE_CALL;
	}
	if (call->args[0] != 0x5e1f || call->args[4] != 0x5e1f || (unsigned long)call->args[2] > 16 ||
	    (unsigned long)call->args[3] > 16)
		return ZPOLINE_CALL;
	int sig = (int)call->args[1], value = 1;
	uint64_t bit = 1ull << (sig - 1), old;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &bit, &old, 8);
	for (long i = 0; i < call->args[3]; i++)
		send(sig, value++, 0);
	for (long i = 0; i < call->args[2]; i++)
		send(sig, value++, 1);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	return ZPOLINE_CALL;
}

static void sendself_exit(struct zpoline_call *call, uint64_t *slot)
{
	(void)slot;
	if (call->nr == SYS_getppid && call->args[0] == 0x5e22 && call->args[4] == 0x5e22 && call->args[1] > 0 &&
	    call->args[1] < 32)
		send((int)call->args[1], 1, 1);
	/* a number the runtime handles itself: on the chain path */
	if (call->nr == SYS_rt_sigpending && call->args[2] == 0x5e23 && call->args[4] == 0x5e23 &&
	    call->args[3] > 0 && call->args[3] < 32)
		send((int)call->args[3], 1, 1);
}

static int sendself_init(const struct zpoline_init *in)
{
	(void)in;
	ZPOLINE_WANT(interest, SYS_getppid);
	ZPOLINE_WANT(interest, SYS_rt_sigpending);
	return 0;
}

ZPOLINE_HOOK_DEFINE(.name = "sendself", .init = sendself_init, .enter = sendself_enter,
		    .exit = sendself_exit, .interest = interest);
