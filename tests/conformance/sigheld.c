/* sigheld -- what a program sees of its signal actions and of a delivery,
 * now that the kernel holds the runtime's wrapper for each handler: the
 * action read back as set (handler, flags, mask, restorer), SA_RESETHAND
 * (the action after the first delivery), SA_NODEFER, a signal raised in
 * its own handler left pending until it returns, sigqueue's siginfo,
 * real-time signals in the kernel's order, the mask a handler reads in
 * uc_sigmask (with SIGSEGV blocked too) and one it changes there. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct kact {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* written by handlers nested in one another */
static volatile char log_[512];
static volatile size_t loglen;

static void note(const char *s)
{
	for (; *s != '\0' && loglen + 1 < sizeof(log_); s++)
		log_[loglen++] = *s;
}

static void flush_log(const char *what)
{
	printf("%s: %.*s\n", what, (int)loglen, (const char *)log_);
	loglen = 0;
}

/* the action as the kernel's rt_sigaction gives it, named */
static void show(const char *what, int sig, void *expect)
{
	struct kact k;

	if (syscall(SYS_rt_sigaction, sig, NULL, &k, 8) != 0) {
		printf("%s: rt_sigaction failed\n", what);
		return;
	}
	const char *h = k.handler == SIG_DFL ? "SIG_DFL" : k.handler == SIG_IGN ? "SIG_IGN" :
			k.handler == expect ? "the handler" : "another handler";
	printf("%s: %s flags %#lx mask %#lx restorer %s\n", what, h, k.flags, k.mask,
	       k.restorer == NULL ? "none" : "set");
}

static void on_plain(int sig)
{
	char b[16];

	snprintf(b, sizeof(b), "[%d]", sig);
	note(b);
}

static volatile int depth;

static void on_nested(int sig)
{
	char b[16];

	snprintf(b, sizeof(b), "<%d", depth);
	note(b);
	if (depth++ == 0)
		raise(sig);
	note(">");
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	char b[96];

	(void)uc;
	snprintf(b, sizeof(b), "(%d code %d value %d own pid %d)", sig - SIGRTMIN, si->si_code,
		 si->si_value.sival_int, si->si_pid == getpid());
	note(b);
}

static void on_mask(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char b[96];

	(void)si;
	snprintf(b, sizeof(b), "segv %d usr2 %d self %d", sigismember(&uc->uc_sigmask, SIGSEGV),
		 sigismember(&uc->uc_sigmask, SIGUSR2), sigismember(&uc->uc_sigmask, sig));
	note(b);
	/* taken out here: unblocked when the handler returns */
	sigdelset(&uc->uc_sigmask, SIGSEGV);
	sigdelset(&uc->uc_sigmask, SIGUSR2);
}

int main(void)
{
	struct sigaction sa;
	sigset_t set, old;

	setvbuf(stdout, NULL, _IONBF, 0);

	/* read back as set, by libc and by the kernel's call */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_plain;
	sa.sa_flags = SA_RESTART | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGSEGV);
	sigaddset(&sa.sa_mask, SIGRTMIN + 3);
	sigaction(SIGUSR1, &sa, NULL);
	show("usr1 as set", SIGUSR1, (void *)on_plain);
	struct sigaction back;
	sigaction(SIGUSR1, NULL, &back);
	printf("usr1 by libc: %s, SA_SIGINFO %d, segv in mask %d, usr2 %d\n",
	       back.sa_handler == on_plain ? "the handler" : "another", (back.sa_flags & SA_SIGINFO) != 0,
	       sigismember(&back.sa_mask, SIGSEGV), sigismember(&back.sa_mask, SIGUSR2));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, &back);
	printf("usr1 replaced: old %s\n", back.sa_handler == on_plain ? "the handler" : "another");
	show("usr1 ignored", SIGUSR1, NULL);
	raise(SIGUSR1);
	printf("usr1 raised while ignored: the process lived\n");

	/* SA_RESETHAND: once, then the default, the flags and mask kept */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_plain;
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(SIGHUP, &sa, NULL);
	show("hup as set", SIGHUP, (void *)on_plain);
	raise(SIGHUP);
	flush_log("hup once");
	show("hup after", SIGHUP, (void *)on_plain);

	/* SA_NODEFER: raised in its own handler, entered at once; without,
	 * pending until the handler returns */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_nested;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	depth = 0;
	raise(SIGUSR2);
	flush_log("usr2 nodefer");
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	depth = 0;
	raise(SIGUSR2);
	flush_log("usr2 deferred");

	/* real-time signals: the lowest number first, each in its order */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 1 });
	sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 2 });
	sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 3 });
	sigprocmask(SIG_SETMASK, &old, NULL);
	flush_log("rt order");

	/* the mask a handler reads, and one it changes */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_mask;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGWINCH, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGWINCH);
	flush_log("winch mask");
	sigprocmask(SIG_SETMASK, NULL, &set);
	printf("after: segv blocked %d, usr2 blocked %d, winch %d\n", sigismember(&set, SIGSEGV),
	       sigismember(&set, SIGUSR2), sigismember(&set, SIGWINCH));
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
