/* lowrace -- calls whose pointers point into the trampoline's pages, made
 * by several threads at once while another thread forks and a timer
 * signal's handler makes calls: each such call makes the pages
 * inaccessible for its duration, and a fork can copy that state half
 * done (the lock held, the pages not yet restored). Every child makes the
 * same calls and must exit; every result is checked. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKS 100

static volatile int stop;
static volatile long handled;
static int out[2];

static void on_alarm(int sig)
{
	(void)sig;
	getppid();
	handled++;
}

/* low_write -- write() from page 0's address 0x10: EFAULT, as natively */
static int low_write(void)
{
	long r = syscall(SYS_write, out[1], (void *)0x10, 16);
	if (r != -1 || errno != EFAULT) {
		fprintf(stderr, "write from 0x10: %ld (%s)\n", r, r < 0 ? "error" : "written");
		return 1;
	}
	return 0;
}

static void *lowptr(void *arg)
{
	(void)arg;
	while (!stop)
		if (low_write())
			_exit(3);
	return NULL;
}

static void *reader(void *arg)
{
	char b;

	(void)arg;
	while (!stop) {
		/* number 0: the call lands at address 0 itself */
		if (read(-1, &b, 1) != -1 || errno != EBADF) {
			fprintf(stderr, "read(-1): no EBADF\n");
			_exit(4);
		}
		getppid();
	}
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	void *(*fn[4])(void *) = { lowptr, lowptr, reader, reader };
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	int bad = 0;

	if (pipe(out) != 0)
		return 2;
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, fn[i], NULL);
	for (int i = 0; i < FORKS; i++) {
		pid_t p = fork();
		if (p == 0) {
			char b;
			_exit(low_write() == 0 && read(-1, &b, 1) == -1 ? 7 : 8);
		}
		int st;
		while (waitpid(p, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
			bad++;
	}
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%d forks, %d children failed\n", FORKS, bad);
	return bad != 0;
}
