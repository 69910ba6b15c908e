/* calls -- makes getppid N times (default 64) and prints one character a
 * call: 'x' when it failed, '.' when it did not; for the deny hook's
 * p=P:seed=S, whose failures must repeat from run to run. Then T threads
 * (default 0), one after the other, do the same, a line each: each starts
 * from the seed too. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int n;

static void *calls(void *arg)
{
	for (int i = 0; i < n; i++)
		putchar(syscall(SYS_getppid) < 0 ? 'x' : '.');
	putchar('\n');
	return arg;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 0;

	n = argc > 1 ? atoi(argv[1]) : 64;
	calls(NULL);
	for (int i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, calls, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 1;
	}
	return 0;
}
