/* threadexit -- exit() called from a thread other than the main one, which
 * waits in pause(): the process's exit_group (and the hooks' fini) runs on
 * that thread, as a JVM's System.exit does */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	puts("thread exits");
	fflush(stdout);
	exit(4);
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0)
		return 1;
	pause();
	return 0;
}
