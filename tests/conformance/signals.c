/* signals -- system calls interrupted by signals: SA_RESTART restarts a
 * blocking read, its absence gives EINTR, siglongjmp leaves a handler,
 * handlers on a small sigaltstack make system calls, and a handler's
 * return (rt_sigreturn) resumes the program exactly. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static sigjmp_buf jb;
static int pipefd[2];

static void count(int sig)
{
	(void)sig;
	hits++;
	/* system calls from a handler */
	(void)getpid();
	(void)write(pipefd[1], "", 0);
}

static void jump(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static void *writer(void *arg)
{
	usleep(300 * 1000);
	(void)!write(pipefd[1], arg, 1);
	return NULL;
}

static void blocking_read(int flags, const char *what)
{
	struct sigaction sa = { .sa_handler = count, .sa_flags = flags };
	struct itimerval it = { { 0, 0 }, { 0, 50 * 1000 } };
	pthread_t t;
	char c = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	hits = 0;
	pthread_create(&t, NULL, writer, "x");
	setitimer(ITIMER_REAL, &it, NULL);
	ssize_t n = read(pipefd[0], &c, 1);
	int err = errno;
	pthread_join(t, NULL);
	if (n < 0) {
		printf("%s: read failed: %s (handler ran %d)\n", what, strerror(err), (int)hits);
		(void)!read(pipefd[0], &c, 1);
	} else {
		printf("%s: read %zd byte '%c' (handler ran %d)\n", what, n, c, (int)hits);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(pipefd) != 0)
		return 1;
	blocking_read(SA_RESTART, "SA_RESTART");
	blocking_read(0, "no SA_RESTART");

	/* siglongjmp out of a handler restores the mask */
	struct sigaction sa = { .sa_handler = jump };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (sigsetjmp(jb, 1) == 0) {
		raise(SIGUSR1);
		puts("siglongjmp: not taken");
	} else {
		sigset_t cur;
		sigprocmask(SIG_BLOCK, NULL, &cur);
		printf("siglongjmp: back, SIGUSR1 %s\n", sigismember(&cur, SIGUSR1) ? "blocked" : "unblocked");
	}

	/* handlers on an alternate stack of SIGSTKSZ bytes (8 KiB), with a
	 * guard page below: the hook path must fit in what is left of it after
	 * the kernel's signal frame (gdb allocates its stack this way) */
	long sz = SIGSTKSZ;
	char *mem = mmap(NULL, (size_t)sz + 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(mem, 4096, PROT_NONE);
	stack_t ss = { .ss_size = (size_t)sz, .ss_sp = mem + 4096 };
	sigaltstack(&ss, NULL);
	struct sigaction alt = { .sa_handler = count, .sa_flags = SA_ONSTACK };
	sigemptyset(&alt.sa_mask);
	sigaction(SIGUSR2, &alt, NULL);
	hits = 0;
	for (int i = 0; i < 100; i++)
		raise(SIGUSR2);
	printf("sigaltstack: handler ran %d times\n", (int)hits);

	/* a mask set through the hooks is the one the kernel applies */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	hits = 0;
	raise(SIGUSR2);
	printf("blocked: handler ran %d times\n", (int)hits);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: handler ran %d times\n", (int)hits);
	return 0;
}
