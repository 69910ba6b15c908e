/* heldmask -- a signal's mask around calls the hooks see, where holding
 * the signal back for the call's exits would leave it unblocked (or
 * blocked) for good:
 *
 *   tmpmask    SIGALRM blocked; io_pgetevents lets it in by its own
 *              temporary mask, and a timer fires during the wait: the call
 *              fails with EINTR, the handler runs, and SIGALRM is blocked
 *              again after it; a SIGALRM sent then stays pending
 *   staleturn  a SIGSEGV sent by kill (not a fault) interrupts an open of
 *              a FIFO, and its handler leaves by siglongjmp; then, from
 *              the same place, rt_sigsuspend lets SIGUSR1 in, blocked
 *              outside it: SIGUSR1 is blocked again after it
 *
 * Prints what it found; hooked, the lines must be the native ones.
 *
 * usage: heldmask tmpmask|staleturn */
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, segvs, usr1s;
static sigjmp_buf env;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_segv(int sig)
{
	(void)sig;
	segvs++;
	siglongjmp(env, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

static void catch(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigaction(sig, &sa, NULL);
}

static int blocked(int sig)
{
	sigset_t m;

	sigprocmask(SIG_BLOCK, NULL, &m);
	return sigismember(&m, sig);
}

static void block(int sig)
{
	sigset_t b;

	sigemptyset(&b);
	sigaddset(&b, sig);
	sigprocmask(SIG_BLOCK, &b, NULL);
}

static int tmpmask(void)
{
	aio_context_t ctx = 0;

	catch(SIGALRM, on_alarm);
	block(SIGALRM);
	if (syscall(SYS_io_setup, 4, &ctx) != 0) {
		perror("io_setup");
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		struct itimerval once = { { 0, 0 }, { 0, 50000 } };
		struct io_event ev[1];
		struct timespec ts = { 1, 0 };
		uint64_t empty = 0;
		struct {
			const uint64_t *set;
			size_t len;
		} us = { &empty, 8 };
		setitimer(ITIMER_REAL, &once, NULL);
		long r = syscall(SYS_io_pgetevents, ctx, 1, 1, ev, &ts, &us);
		int e = errno;
		printf("io_pgetevents %ld%s, handler ran %d, SIGALRM blocked after: %s\n", r,
		       r < 0 && e == EINTR ? " (EINTR)" : "", (int)alarms, blocked(SIGALRM) ? "yes" : "no");
	}
	kill(getpid(), SIGALRM);
	printf("a SIGALRM sent while blocked: handler ran %d\n", (int)alarms);
	return 0;
}

/* call -- nr from one place in the code, for both calls */
static __attribute__((noinline)) void call(long nr, long a, long b)
{
	syscall(nr, a, b, 0);
}

/* later -- a child that sends sig to us after ms milliseconds */
static pid_t later(int sig, int ms)
{
	pid_t parent = getpid(), c = fork();

	if (c == 0) {
		usleep((useconds_t)ms * 1000);
		kill(parent, sig);
		_exit(0);
	}
	return c;
}

static int staleturn(void)
{
	char dir[] = "/tmp/heldmask-XXXXXX", path[64];
	uint64_t empty = 0;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) != 0)
		return 2;
	catch(SIGSEGV, on_segv);
	catch(SIGUSR1, on_usr1);
	block(SIGUSR1);
	pid_t c = later(SIGSEGV, 100);
	if (sigsetjmp(env, 1) == 0)
		call(SYS_open, (long)path, O_RDONLY);
	waitpid(c, NULL, 0);
	c = later(SIGUSR1, 100);
	call(SYS_rt_sigsuspend, (long)&empty, 8);
	waitpid(c, NULL, 0);
	printf("SIGSEGV handler %d, SIGUSR1 handler %d, SIGUSR1 blocked after rt_sigsuspend: %s\n", (int)segvs,
	       (int)usr1s, blocked(SIGUSR1) ? "yes" : "no");
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "tmpmask") == 0)
		return tmpmask();
	if (argc == 2 && strcmp(argv[1], "staleturn") == 0)
		return staleturn();
	fprintf(stderr, "usage: heldmask tmpmask|staleturn\n");
	return 2;
}
