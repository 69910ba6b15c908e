/* alarmcalls -- a handler's calls while the program's other calls go on:
 * SIGALRM every 50 us, a getppid in the handler and getppid in a loop
 * outside it, until the handler ran 2000 times. Prints how often the
 * handler ran, how many of its calls failed with EACCES (a hook denying
 * getppid must see each), and how many getppid calls were made in all (a
 * counter must count each). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile long handled, denied;

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (syscall(SYS_getppid) == -1 && errno == EACCES)
		denied++;
	handled++;
	errno = e;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval every = { { 0, 50 }, { 0, 50 } }, off = { { 0, 0 }, { 0, 0 } };
	long calls = 0;

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
