/* vforksig -- a vfork child shares its parent's memory but not its
 * signal actions: it resets every handler to the default before exec, as
 * Python's subprocess and posix_spawn do, and the parent's handlers must
 * still run afterwards (SIGINT sent, SIGSEGV from a real fault). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int got_int, got_segv;
static int *volatile bad = (int *)8;

static void on_int(int sig)
{
	(void)sig;
	got_int++;
}

static void on_segv(int sig)
{
	(void)sig;
	got_segv++;
	siglongjmp(back, 1);
}

static void spawn(const char *how)
{
	pid_t p = vfork();
	if (p == 0) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				sigaction(s, &dfl, NULL);
		if (how[0] == 'e')
			execl("/bin/true", "true", (char *)NULL);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("%s child: %s %d\n", how, WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void check(const char *after)
{
	struct sigaction cur;

	sigaction(SIGINT, NULL, &cur);
	printf("after %s: SIGINT handler %s\n", after, cur.sa_handler == on_int ? "ours" : "lost");
	sigaction(SIGSEGV, NULL, &cur);
	printf("after %s: SIGSEGV handler %s\n", after, cur.sa_handler == on_segv ? "ours" : "lost");
	raise(SIGINT);
	printf("after %s: SIGINT ran the handler %d time(s)\n", after, got_int);
	got_int = 0;
	if (sigsetjmp(back, 1) == 0)
		*bad = 1;       /* a real fault: page 0 is read-only or absent */
	printf("after %s: SIGSEGV ran the handler %d time(s)\n", after, got_segv);
	got_segv = 0;
	fflush(stdout);
}

int main(void)
{
	signal(SIGINT, on_int);
	signal(SIGSEGV, on_segv);
	check("start");
	spawn("exec");
	check("an exec'd vfork child");
	spawn("exiting");
	check("an exiting vfork child");
	return 0;
}
