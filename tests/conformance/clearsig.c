/* clearsig -- a child of clone3 with CLONE_CLEAR_SIGHAND starts with every
 * action reset (an ignored signal stays ignored), the runtime's own too in
 * its hooked run: the child's system calls (trap sites, Syscall User
 * Dispatch) still work, it reads back the default actions, and a fault
 * kills it as natively instead of running its parent's handler. */
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int *volatile bad = (int *)8;

static void handler(int sig)
{
	static const char msg[] = "the parent's handler ran in the child\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(3);
}

static const char *action(int sig)
{
	struct sigaction old;

	if (sigaction(sig, NULL, &old) != 0)
		return "unreadable";
	if (old.sa_handler == SIG_DFL)
		return old.sa_flags == 0 ? "default" : "default, flags kept";
	if (old.sa_handler == SIG_IGN)
		return old.sa_flags == 0 ? "ignored" : "ignored, flags kept";
	return "a handler";
}

static void one(int fault)
{
	struct clone_args ca;
	struct sigaction sa;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGILL, &sa, NULL);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_CLEAR_SIGHAND;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		printf("child: SIGSEGV %s, SIGILL %s, SIGUSR1 %s, parent %s\n", action(SIGSEGV), action(SIGILL),
		       action(SIGUSR1), getppid() > 0 ? "known" : "unknown");
		fflush(stdout);
		if (fault)
			*bad = 1;
		_exit(0);
	}
	if (pid < 0) {
		puts("clone3 failed");
		return;
	}
	waitpid((pid_t)pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("child killed by signal %d\n", WTERMSIG(st));
	else
		printf("child exited %d\n", WEXITSTATUS(st));
	printf("parent: SIGSEGV %s, SIGILL %s\n", action(SIGSEGV), action(SIGILL));
	fflush(stdout);
}

int main(void)
{
	one(0);
	one(1);
	return 0;
}
