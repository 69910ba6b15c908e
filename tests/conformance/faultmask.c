/* faultmask -- a fault whose signal the program blocks (sigprocmask, or
 * inside its own handler without SA_NODEFER) kills as the kernel forces
 * it, without running the handler; the handler reads the signal blocked
 * while it runs, and no longer once it returned or siglongjmp'd. Each
 * case runs in a child, which says how it ended. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile char *ro;
static volatile int depth;
static sigjmp_buf back;
static int mode;

static int blocked(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static void handler(int sig)
{
	printf("handler depth %d, signal blocked: %d\n", ++depth, blocked(sig));
	fflush(stdout);
	if (mode == 1 && depth < 3)
		*ro = 1;                /* again, inside the handler */
	if (mode == 2)
		siglongjmp(back, 1);
	if (mode == 3) {
		mprotect((void *)ro, 4096, PROT_READ | PROT_WRITE);
		return;
	}
	_exit(depth);
}

static void fault(int sig)
{
	if (sig == SIGSEGV)
		*ro = 1;
	else
		__builtin_trap();
}

/* one -- mode 0: the signal blocked by sigprocmask; 1: a fault in the
 * handler; 2: siglongjmp out of it, twice; 3: the handler returns */
static void one(int sig, int m, int flags)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;
		mode = m;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler;
		sa.sa_flags = flags;
		sigaction(sig, &sa, NULL);
		if (m == 0) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, sig);
			sigprocmask(SIG_BLOCK, &s, NULL);
		}
		if (m == 2) {
			for (int i = 0; i < 2; i++)
				if (sigsetjmp(back, 1) == 0)
					fault(sig);
			printf("after siglongjmp, signal blocked: %d\n", blocked(sig));
			fflush(stdout);
			_exit(0);
		}
		fault(sig);
		printf("after the handler returned, signal blocked: %d\n", blocked(sig));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("%s, mode %d, flags %#x: killed by signal %d\n", sig == SIGSEGV ? "SIGSEGV" : "SIGILL", m,
		       flags, WTERMSIG(st));
	else
		printf("%s, mode %d, flags %#x: exit %d\n", sig == SIGSEGV ? "SIGSEGV" : "SIGILL", m, flags,
		       WEXITSTATUS(st));
}

int main(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	one(SIGSEGV, 0, 0);
	one(SIGSEGV, 1, 0);
	one(SIGSEGV, 1, SA_NODEFER);
	one(SIGSEGV, 2, 0);
	one(SIGSEGV, 3, 0);
	one(SIGILL, 0, 0);
	one(SIGILL, 2, 0);
	return 0;
}
