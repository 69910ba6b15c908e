/* sendself -- the order in which queued signals reach a handler: SIG
 * blocked, M instances queued to the process and N to this thread, SIG
 * unblocked (the kernel's order, natively), then the same made by the
 * sendself hook while it runs, if it is there (getppid(0x5e1f, ...)).
 * Prints each order as the values the handler saw.
 *
 * usage: sendself SIG-OFFSET N M   (SIG is SIGRTMIN + SIG-OFFSET, or
 * SIGUSR1 for -1)
 *
 * sendself flood N: a child queues N real-time signals to this thread, as
 * fast as the queue takes them, while it makes calls (hooks running much
 * of the time); prints how many came and how many out of their order.
 *
 * sendself one-by-one SIG-OFFSET N: SIG sent to this thread N times, one
 * after the other, natively and then from inside the hook; sendself
 * several K N: the first K of a list of standard signals, each in turn,
 * N rounds, the same way; sendself waiter SIG-OFFSET N: N instances of
 * SIGRTMIN + SIG-OFFSET, the handler's first run waiting for the next;
 * sendself resend: SIGUSR1 and SIGUSR2 at once, SIGUSR1's handler sending
 * SIGUSR2 again. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "sendself.h"

static volatile char seen[256];
static volatile size_t nseen;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (nseen + 4 < sizeof(seen)) {
		int v = si->si_value.sival_int;
		seen[nseen++] = ' ';
		if (v >= 10)
			seen[nseen++] = (char)('0' + v / 10 % 10);
		seen[nseen++] = (char)('0' + v % 10);
	}
}


static volatile int flood_got, flood_bad, flood_last;

static void on_flood(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_value.sival_int != flood_last + 1)
		flood_bad++;
	flood_last = si->si_value.sival_int;
	flood_got++;
}

static int flood(int n)
{
	struct sigaction sa;
	int sig = SIGRTMIN + 1;
	pid_t parent = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_flood;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(sig, &sa, NULL);
	pid_t child = fork();
	if (child == 0) {
		for (int i = 1; i <= n; i++) {
			while (queue_value(parent, parent, sig, i) != 0)
				if (errno != EAGAIN)
					_exit(1);
		}
		_exit(0);
	}
	while (flood_got < n)
		syscall(SYS_getppid);
	waitpid(child, NULL, 0);
	printf("flood: got %d, out of order %d\n", flood_got, flood_bad);
	return 0;
}

/* catch_values -- fn (on_sig, on_wait) for sig, stdout unbuffered */
static void catch_values(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

/* queue_blocked -- sig blocked, m instances queued to the process and then
 * n to this thread (values 1, 2, ... in that order), sig unblocked: the
 * kernel delivers them as the unblocking call returns */
static void queue_blocked(int sig, int n, int m)
{
	sigset_t set, old;
	int value = 1;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < m; i++)
		send(sig, value++, 0);
	for (int i = 0; i < n; i++)
		send(sig, value++, 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile int waited;

/* on_wait -- on_sig, and in its first run a wait for another instance of
 * sig (blocked while its handler runs): " wN", or " w-" for none */
static void on_wait(int sig, siginfo_t *si, void *uc)
{
	on_sig(sig, si, uc);
	if (waited || nseen + 5 >= sizeof(seen))
		return;
	waited = 1;
	sigset_t set;
	siginfo_t w;
	struct timespec limit = { 0, 200000000 };
	sigemptyset(&set);
	sigaddset(&set, sig);
	seen[nseen++] = ' ';
	seen[nseen++] = 'w';
	if (sigtimedwait(&set, &w, &limit) == sig && w.si_code == SI_QUEUE && w.si_value.sival_int >= 0 &&
	    w.si_value.sival_int < 10)
		seen[nseen++] = (char)('0' + w.si_value.sival_int);
	else
		seen[nseen++] = '-';
}

/* waiter -- n instances of sig queued to this thread while it blocks sig,
 * then unblocked (natively), then the same from inside the hook
 * (getppid(0x5e20, ...): the first is held back, the rest queue behind
 * it): the handler's first run waits for the next instance, which must
 * be the second, never the runtime's own mark or one further on */
static int waiter(int sig, int n)
{
	catch_values(sig, on_wait);
	queue_blocked(sig, n, 0);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);
	nseen = 0;
	waited = 0;
	syscall(SYS_getppid, 0x5e20, sig, n, 0, 0x5e20);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}


/* one_by_one -- sig sent to this thread n times, unblocked: natively each
 * runs the handler as its call returns; then the sendself hook sends as
 * many from inside itself (getppid(0x5e20, ...)): the first arrives while
 * the hook runs and is held back, the second comes while the first is
 * held, and must not be merged with it (a standard signal is pending once
 * at most, and the first is no longer pending: it was delivered) */
static int one_by_one(int sig, int n)
{
	catch_values(sig, on_sig);
	for (int i = 0; i < n; i++)
		send(sig, i + 1, 1);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);
	nseen = 0;
	syscall(SYS_getppid, 0x5e20, sig, n, 0, 0x5e20);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}

/* several -- the first k of a list of standard signals sent to this
 * thread in turn, n rounds, natively and then from inside the hook
 * (getppid(0x5e21, ...)): k standard signals held back at once (a
 * thread's slots: more than the four it once had), and the next instance
 * of each pending behind it */
static int several(int k, int n)
{
	static const int sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGURG, SIGWINCH };
	unsigned long set = 0;
	int value = 1;

	if (k < 1 || k > (int)(sizeof(sigs) / sizeof(sigs[0])))
		return 2;
	for (int j = 0; j < k; j++) {
		catch_values(sigs[j], on_sig);
		set |= 1ul << (sigs[j] - 1);
	}
	/* in the hook's order: lowest number first */
	for (int i = 0; i < n; i++)
		for (int sig = 1; sig < 32; sig++)
			if (set >> (sig - 1) & 1)
				send(sig, value++, 1);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);
	nseen = 0;
	syscall(SYS_getppid, 0x5e21, set, n, 0, 0x5e21);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}

static volatile int resent;

/* on_resend -- on_sig, and SIGUSR1's first run sends SIGUSR2 (value 9) to
 * this thread, which its handler must see besides any kept back */
static void on_resend(int sig, siginfo_t *si, void *uc)
{
	on_sig(sig, si, uc);
	if (sig == SIGUSR1 && !resent) {
		resent = 1;
		send(SIGUSR2, 9, 1);
	}
}

/* resend -- SIGUSR1 and SIGUSR2 (values 1 and 2) at once, natively (both
 * blocked, sent, unblocked) and then from inside the hook
 * (getppid(0x5e21, ...): both held back), SIGUSR1's handler sending
 * SIGUSR2 once more: natively SIGUSR2's handler runs twice (its first
 * instance was delivered already, or ran first), so it must with the
 * hook, in whatever order the release takes them */
static int resend(void)
{
	sigset_t set, old;

	catch_values(SIGUSR1, on_resend);
	catch_values(SIGUSR2, on_resend);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	send(SIGUSR1, 1, 1);
	send(SIGUSR2, 2, 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);
	nseen = 0;
	resent = 0;
	syscall(SYS_getppid, 0x5e21, 1ul << (SIGUSR1 - 1) | 1ul << (SIGUSR2 - 1), 1, 0, 0x5e21);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}

static const char *volatile found_in;
static volatile long found_rax;
static volatile int found_on_call, found_runs;

/* on_context -- where the handler found the program: the function its
 * %rip is in, and its %rax */
static void on_context(int sig, siginfo_t *si, void *v)
{
	ucontext_t *uc = v;
	Dl_info d;

	(void)sig;
	(void)si;
	found_in = dladdr((void *)uc->uc_mcontext.gregs[REG_RIP], &d) != 0 && d.dli_sname != NULL ?
			   d.dli_sname : "(no symbol)";
	found_rax = (long)uc->uc_mcontext.gregs[REG_RAX];
	/* on the instruction that makes the call: `syscall`, or the call
	 * into page 0 it became */
	const unsigned char *at = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
	found_on_call = (at[0] == 0x0f && at[1] == 0x05) || (at[0] == 0xff && at[1] == 0xd0);
	found_runs++;
}

/* context -- SIGUSR1 as a call returns, natively (it is the tgkill that
 * sends it) and from the hook's exit for getppid(0x5e22, ...) and for
 * rt_sigpending(..., 0x5e23, ...), held back until the exits are done:
 * the handler finds the program in syscall(), the call's result in %rax,
 * as natively */
static int context(void)
{
	catch_values(SIGUSR1, on_context);
	long r = syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR1);
	printf("program: in %s, rax the result: %s\n", found_in, found_rax == r ? "yes" : "no");
	found_in = "(no signal)";
	r = syscall(SYS_getppid, 0x5e22, SIGUSR1, 0, 0, 0x5e22);
	printf("hook: in %s, rax the result: %s\n", found_in, found_rax == r ? "yes" : "no");
	/* on the chain path, a number the runtime handles itself */
	uint64_t set;
	found_in = "(no signal)";
	r = syscall(SYS_rt_sigpending, &set, 8, 0x5e23, SIGUSR1, 0x5e23);
	printf("hook, chain path: in %s, rax the result: %s\n", found_in, found_rax == r ? "yes" : "no");
	return 0;
}

/* precontext -- SIGUSR1 from the hook's enter for getppid(0x5e20, ...),
 * held back until the enters are done: natively a signal that comes
 * before a call finds the program on it, in syscall(), the number in
 * %rax, and the call is made after the handler, once; the call's result
 * is getppid's */
static int precontext(void)
{
	long want = getppid();

	catch_values(SIGUSR1, on_context);
	found_in = "(no signal)";
	long r = syscall(SYS_getppid, 0x5e20, SIGUSR1, 1, 0, 0x5e20);
	/* (what it saw, before another call: a getppid() with the same
	 * registers left would send the signal again) */
	const char *in = found_in;
	int on_call = found_on_call, runs = found_runs;
	long rax = found_rax;
	printf("hook, enter: in %s, on the call: %s, rax the number: %s, handler runs %d, result right: %s\n", in,
	       on_call ? "yes" : "no", rax == SYS_getppid ? "yes" : "no", runs, r == want ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "context") == 0)
		return context();
	if (argc == 2 && strcmp(argv[1], "precontext") == 0)
		return precontext();
	if (argc == 4 && strcmp(argv[1], "waiter") == 0)
		return waiter(SIGRTMIN + atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "several") == 0)
		return several(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && strcmp(argv[1], "resend") == 0)
		return resend();
	if (argc == 3 && strcmp(argv[1], "flood") == 0)
		return flood(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "one-by-one") == 0)
		return one_by_one(atoi(argv[2]) < 0 ? SIGUSR1 : SIGRTMIN + atoi(argv[2]), atoi(argv[3]));
	if (argc != 4) {
		fprintf(stderr, "usage: sendself SIG-OFFSET N M\n");
		return 2;
	}
	int off = atoi(argv[1]), n = atoi(argv[2]), m = atoi(argv[3]);
	int sig = off < 0 ? SIGUSR1 : SIGRTMIN + off;

	catch_values(sig, on_sig);
	queue_blocked(sig, n, m);
	printf("program:%.*s\n", (int)nseen, (const char *)seen);

	nseen = 0;
	syscall(SYS_getppid, 0x5e1f, sig, n, m, 0x5e1f);
	printf("hook:%.*s\n", (int)nseen, (const char *)seen);
	return 0;
}
