/* alarmcalls -- a handler's calls while the program's other calls go on:
 * SIGALRM every 50 us, a getppid in the handler and getppid in a loop
 * outside it, until the handler ran 2000 times. Prints how often the
 * handler ran, how many of its calls failed with EACCES (a hook denying
 * getppid must see each), and how many getppid calls were made in all (a
 * counter must count each). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define LOOPS 20
#define NESTED 100

static volatile long handled, denied;
static long pid, tid;

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (syscall(SYS_getppid) == -1 && errno == EACCES)
		denied++;
	handled++;
	errno = e;
}

static void on_usr1(int sig)
{
	int e = errno;

	(void)sig;
	for (int i = 0; i < NESTED; i++)
		syscall(SYS_tgkill, pid, tid, 0);
	handled++;
	errno = e;
}

static int nested(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	long sent = 0;

	pid = getpid();
	tid = syscall(SYS_gettid);
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < LOOPS; i++)
		if (syscall(SYS_tgkill, pid, tid, SIGUSR1) == 0)
			sent++;
	printf("nested: sent %ld, handled %ld, %d calls each\n", sent, handled, NESTED);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval every = { { 0, 50 }, { 0, 50 } }, off = { { 0, 0 }, { 0, 0 } };
	long calls = 0;

	if (argc > 1 && strcmp(argv[1], "nested") == 0)
		return nested();
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	while (handled < 2000) {
		syscall(SYS_getppid);
		calls++;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	printf("handled %ld, denied %ld, getppid calls %ld\n", handled, denied, calls + handled);
	return 0;
}
