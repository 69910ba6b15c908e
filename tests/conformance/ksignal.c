/* ksignal -- a signal the kernel raises from inside a system call, not a
 * fault that repeats: 6.11+ kernels answer uretprobe (335) called from
 * anywhere but a uretprobe trampoline with a forced SIGILL (si_code
 * SI_KERNEL) and -1 in rax. Natively a program without a handler dies of
 * it, one that blocks or ignores it dies too (a forced signal), and a
 * handler runs and the call then returns -1. Kernels without the call
 * return ENOSYS, natively and hooked alike. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_URETPROBE 335

static volatile sig_atomic_t code = -1;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	code = si->si_code;
}

static void report(const char *what, long r, int err)
{
	printf("%s: returned %ld (%s)\n", what, r, r < 0 ? strerror(err) : "no error");
}

/* in_child -- how a child that makes the call in the given state ends */
static void in_child(const char *what, int how)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGILL);
		if (how == 1)
			sigprocmask(SIG_BLOCK, &set, NULL);
		else if (how == 2)
			signal(SIGILL, SIG_IGN);
		errno = 0;
		long r = syscall(NR_URETPROBE, 0, 0, 0, 0, 0, 0);
		report(what, r, errno);
		fflush(stdout);
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		printf("%s: no child\n", what);
		return;
	}
	if (WIFSIGNALED(st))
		printf("%s: the child was killed by %s\n", what, strsignal(WTERMSIG(st)));
	else
		printf("%s: the child exited with %d\n", what, WEXITSTATUS(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	in_child("no handler", 0);
	in_child("blocked", 1);
	in_child("ignored", 2);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	errno = 0;
	long r = syscall(NR_URETPROBE, 0, 0, 0, 0, 0, 0);
	report("with a handler", r, errno);
	if (code != -1)
		printf("the handler ran, si_code %d\n", (int)code);
	else
		printf("no handler ran\n");
	/* the handler is still the program's, and runs again */
	code = -1;
	r = syscall(NR_URETPROBE, 0, 0, 0, 0, 0, 0);
	printf("again: returned %ld, handler %s\n", r, code != -1 ? "ran" : "did not run");
	return 0;
}
