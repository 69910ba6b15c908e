/* sigexec -- execve keeps the blocked mask and the pending signals: a
 * program that blocks SIGSEGV, SIGILL, SIGBUS and SIGUSR1 and has some of
 * them pending executes itself; the new image finds them blocked and
 * pending, and they reach its handlers when it unblocks them. Also from a
 * vfork child (its parent's pending signals are not its own), from a
 * forked one (it starts with none), and after an execve that failed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int sigs[] = { SIGSEGV, SIGILL, SIGBUS, SIGUSR1 };
#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))
static volatile sig_atomic_t ran[NSIG];

static void handler(int sig)
{
	ran[sig]++;
}

static void show(const char *who)
{
	sigset_t m, p;

	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	printf("%s:", who);
	for (size_t i = 0; i < NSIGS; i++)
		printf(" %s blocked %d pending %d;", strsignal(sigs[i]), sigismember(&m, sigs[i]),
		       sigismember(&p, sigs[i]));
	printf("\n");
	fflush(stdout);
}

/* image -- the new image: what it inherited, then what unblocking does */
static int image(const char *who)
{
	sigset_t all;

	show(who);
	for (size_t i = 0; i < NSIGS; i++)
		signal(sigs[i], handler);
	sigemptyset(&all);
	for (size_t i = 0; i < NSIGS; i++)
		sigaddset(&all, sigs[i]);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	printf("%s unblocked:", who);
	for (size_t i = 0; i < NSIGS; i++)
		printf(" %s ran %d;", strsignal(sigs[i]), (int)ran[sigs[i]]);
	printf("\n");
	show(who);
	return 0;
}

static void run(const char *self, const char *how, const char *who)
{
	char *argv[] = { (char *)self, (char *)who, NULL };
	pid_t pid = 0;

	fflush(stdout);
	if (strcmp(how, "vfork") == 0)
		pid = vfork();
	else if (strcmp(how, "fork") == 0)
		pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("%s: exit status %d\n", who, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	sigset_t all;

	if (argc > 1)
		return image(argv[1]);
	sigemptyset(&all);
	for (size_t i = 0; i < NSIGS; i++)
		sigaddset(&all, sigs[i]);
	sigprocmask(SIG_BLOCK, &all, NULL);
	kill(getpid(), SIGSEGV);
	kill(getpid(), SIGUSR1);
	show("before");
	/* pending in the parent, not in its children */
	run(argv[0], "vfork", "vfork child");
	run(argv[0], "fork", "forked child");
	show("after the children");
	/* a failed execve changes nothing */
	char *none[] = { "/nonexistent/sigexec", NULL };
	int r = execv(none[0], none);
	printf("failed execve: %d %s\n", r, strerror(errno));
	show("after it");
	/* SIGILL pending to the thread */
	raise(SIGILL);
	char *again[] = { argv[0], "new image", NULL };
	execv(argv[0], again);
	perror("execv");
	return 1;
}
