/* sigpend -- SIGSEGV and SIGILL sent by another process (or by raise) to
 * a program that blocks them stay pending, show in sigpending(), are
 * taken by sigtimedwait() (also when they arrive during the wait), and
 * reach the handler only when unblocked -- though the runtime needs them
 * deliverable for its own faults. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int ran[NSIG];

static void handler(int sig)
{
	ran[sig]++;
}

static void block(int sig, int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static void show(const char *when, int sig)
{
	sigset_t p, m;

	sigpending(&p);
	sigprocmask(SIG_BLOCK, NULL, &m);
	printf("%s: %s pending %d, blocked %d, handler ran %d\n", when, strsignal(sig),
	       sigismember(&p, sig), sigismember(&m, sig), ran[sig]);
	fflush(stdout);
}

static void waited(int sig, int delay_ms)
{
	sigset_t s;
	siginfo_t si;
	struct timespec ts = { 2, 0 };
	pid_t parent = getpid(), child = -1;

	sigemptyset(&s);
	sigaddset(&s, sig);
	if (delay_ms > 0) {
		child = fork();
		if (child == 0) {
			usleep(delay_ms * 1000);
			kill(parent, sig);
			_exit(0);
		}
	}
	int r = sigtimedwait(&s, &si, &ts);
	printf("sigtimedwait for %s%s: %s, si_code %s, from %s\n", strsignal(sig),
	       delay_ms ? " (sent during the wait)" : "", r == sig ? "got it" : strerror(errno),
	       r != sig ? "-" : si.si_code == SI_USER ? "SI_USER" : si.si_code == SI_TKILL ? "SI_TKILL" : "other",
	       r != sig ? "-" : si.si_pid == parent ? "itself" : si.si_pid == child ? "the child" : "elsewhere");
	if (child > 0)
		waitpid(child, NULL, 0);
	fflush(stdout);
}

/* suspended -- sigsuspend()/ppoll() with a mask that lets sig through:
 * one pending is delivered, or one sent during the wait */
static void suspended(int sig, int use_ppoll, int delay_ms)
{
	sigset_t m;
	pid_t parent = getpid(), child = -1;
	int before = ran[sig];

	block(sig, SIG_BLOCK);
	if (delay_ms == 0) {
		kill(parent, sig);
	} else {
		child = fork();
		if (child == 0) {
			usleep(delay_ms * 1000);
			kill(parent, sig);
			_exit(0);
		}
	}
	sigprocmask(SIG_BLOCK, NULL, &m);
	sigdelset(&m, sig);
	struct timespec ts = { 2, 0 };
	int r = use_ppoll ? ppoll(NULL, 0, &ts, &m) : sigsuspend(&m);
	int e = errno;
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("%s letting %s through (%s): %s, handler ran %d\n", use_ppoll ? "ppoll" : "sigsuspend",
	       strsignal(sig), delay_ms ? "sent during the wait" : "pending before", r == -1 ? strerror(e) : "returned",
	       ran[sig] - before);
	block(sig, SIG_UNBLOCK);
	fflush(stdout);
}

/* drain -- every signal of set pending, in the order sigtimedwait takes
 * them: the thread's own (raise) before the process's (kill), and in
 * each the synchronous ones (SEGV, BUS, ILL, TRAP, FPE, SYS) lowest
 * first, then the lowest */
static void drain(const char *what, const sigset_t *set)
{
	struct timespec now = { 0, 0 };
	int sig;

	printf("%s:", what);
	while ((sig = sigtimedwait(set, NULL, &now)) > 0)
		printf(" %s", sigabbrev_np(sig));
	printf("\n");
}

static void order(void)
{
	int sigs[] = { SIGUSR1, SIGSEGV, SIGILL, SIGSYS, SIGTERM, SIGBUS };
	sigset_t set, old;

	sigemptyset(&set);
	for (int i = 0; i < 6; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < 6; i++)
		kill(getpid(), sigs[i]);
	drain("sent by kill", &set);
	kill(getpid(), SIGSEGV);
	raise(SIGSYS);
	kill(getpid(), SIGUSR1);
	raise(SIGTERM);
	drain("kill SEGV, raise SYS, kill USR1, raise TERM", &set);
	raise(SIGUSR1);
	kill(getpid(), SIGILL);
	raise(SIGSEGV);
	kill(getpid(), SIGBUS);
	drain("raise USR1, kill ILL, raise SEGV, kill BUS", &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	int sigs[] = { SIGSEGV, SIGILL };

	for (int i = 0; i < 2; i++) {
		int sig = sigs[i];
		signal(sig, handler);
		block(sig, SIG_BLOCK);
		kill(getpid(), sig);
		show("sent while blocked", sig);
		block(sig, SIG_UNBLOCK);
		show("unblocked", sig);
		block(sig, SIG_BLOCK);
		raise(sig);
		waited(sig, 0);
		show("taken by sigtimedwait", sig);
		waited(sig, 100);
		show("after the wait", sig);
		block(sig, SIG_BLOCK);
		kill(getpid(), sig);
		show("blocked again", sig);
		block(sig, SIG_UNBLOCK);
		show("unblocked again", sig);
		suspended(sig, 0, 0);
		suspended(sig, 0, 100);
		suspended(sig, 1, 0);
		suspended(sig, 1, 100);
	}
	order();
	return 0;
}
