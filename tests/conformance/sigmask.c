/* sigmask -- the signal mask a program reads back is the one it set, also
 * for SIGSEGV and SIGILL, which the runtime keeps deliverable underneath
 * (the kernel kills a thread that faults with them blocked). */
#include <signal.h>
#include <stdio.h>

int main(void)
{
	sigset_t s, o;

	sigfillset(&s);
	sigprocmask(SIG_BLOCK, &s, &o);
	sigprocmask(SIG_SETMASK, &o, &s);
	printf("after blocking all: SEGV %d ILL %d USR1 %d\n", sigismember(&s, SIGSEGV),
	       sigismember(&s, SIGILL), sigismember(&s, SIGUSR1));
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	sigprocmask(SIG_UNBLOCK, &s, &o);
	printf("SEGV blocked, then unblocked: the old mask has it %d\n", sigismember(&o, SIGSEGV));
	sigprocmask(SIG_SETMASK, NULL, &o);
	printf("now: SEGV %d ILL %d\n", sigismember(&o, SIGSEGV), sigismember(&o, SIGILL));
	return 0;
}
