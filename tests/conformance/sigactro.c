/* sigactro -- rt_sigaction read back as the kernel keeps an action, for
 * flags of every kind (known, unknown, glibc's sign-extended int), with
 * act and oldact the same buffer, and with an oldact the kernel cannot
 * write: the call fails with EFAULT, yet the new action is taken (the
 * kernel sets it before it writes the old one), and its handler runs.
 * Last, the child of a clone3 with CLONE_CLEAR_SIGHAND reads back the
 * default action with an empty mask, though the handler it replaced
 * blocked SIGSEGV too. */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

struct kact {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static volatile int ran;

static void on_sig(int sig)
{
	(void)sig;
	ran++;
}

static void restorer(void)
{
	syscall(SYS_rt_sigreturn);
}

static long act(int sig, const struct kact *a, struct kact *o)
{
	long r = syscall(SYS_rt_sigaction, sig, a, o, 8);
	return r < 0 ? -errno : r;
}

static void show(const char *what, long r, const struct kact *o)
{
	printf("%s: %ld %s flags %#lx mask %#lx restorer %s\n", what, r,
	       o->handler == (void *)on_sig ? "handler" : o->handler == SIG_DFL ? "SIG_DFL" :
	       o->handler == SIG_IGN ? "SIG_IGN" : "another", o->flags, o->mask,
	       o->restorer == (void *)restorer ? "ours" : o->restorer == NULL ? "none" : "another");
}

int main(void)
{
	static const unsigned long flags[] = {
		0, SA_RESTART, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_SIGINFO, 0x800 /* EXPOSE_TAGBITS */,
		0x1000, 0x400, SA_NOCLDWAIT, 0xffffffff80000000ul, 0x80000000ul, ~0ul,
	};
	struct kact a, o;
	char what[64];

	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		a = (struct kact){ (void *)on_sig, flags[i] | SA_RESTORER, (void *)restorer,
				   0x5555ul | 1ul << (SIGKILL - 1) | 1ul << (SIGSTOP - 1) | 1ul << (SIGSEGV - 1) };
		memset(&o, 0x5a, sizeof(o));
		act(SIGUSR2, &a, NULL);
		long r = act(SIGUSR2, NULL, &o);
		snprintf(what, sizeof(what), "flags %#lx", flags[i]);
		show(what, r, &o);
		a = (struct kact){ SIG_DFL, 0, NULL, 0 };
		r = act(SIGUSR2, &a, &o);
		show("  replaced, old", r, &o);
	}

	/* act and oldact one buffer: the old action read back into it */
	a = (struct kact){ (void *)on_sig, SA_RESTORER | SA_RESTART, (void *)restorer, 1 };
	show("same buffer, first", act(SIGHUP, &a, &a), &a);
	a = (struct kact){ SIG_IGN, SA_RESTORER, (void *)restorer, 2 };
	show("same buffer, second", act(SIGHUP, &a, &a), &a);
	show("same buffer, now", act(SIGHUP, NULL, &o), &o);

	/* an old action the kernel cannot write: EFAULT, the new one set */
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		return 1;
	a = (struct kact){ (void *)on_sig, SA_RESTORER, (void *)restorer, 0 };
	printf("read-only oldact: %ld\n", act(SIGUSR1, &a, ro));
	show("then", act(SIGUSR1, NULL, &o), &o);
	raise(SIGUSR1);
	printf("handler ran %d\n", ran);
	a = (struct kact){ SIG_IGN, SA_RESTORER, (void *)restorer, 0 };
	printf("read-only oldact, ignored: %ld\n", act(SIGUSR1, &a, ro));
	show("then", act(SIGUSR1, NULL, &o), &o);
	raise(SIGUSR1);
	printf("raised while ignored: handler ran %d\n", ran);

	/* CLONE_CLEAR_SIGHAND: the child's actions the default, masks empty */
	struct sigaction sa, back;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGSEGV);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGUSR2, &sa, NULL);
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_CLEAR_SIGHAND;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		sigaction(SIGUSR2, NULL, &back);
		printf("cleared, in the child: %s flags %#x mask: segv %d hup %d\n",
		       back.sa_handler == SIG_DFL ? "SIG_DFL" : "another", back.sa_flags,
		       sigismember(&back.sa_mask, SIGSEGV), sigismember(&back.sa_mask, SIGHUP));
		_exit(0);
	}
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	else
		printf("clone3: %s\n", strerror(errno));
	sigaction(SIGUSR2, NULL, &back);
	printf("in the parent: %s mask: segv %d hup %d\n", back.sa_handler == on_sig ? "handler" : "another",
	       sigismember(&back.sa_mask, SIGSEGV), sigismember(&back.sa_mask, SIGHUP));
	return 0;
}
