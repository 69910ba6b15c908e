/* nofollow-mainexit -- the main thread ends with pthread_exit while
 * another thread runs on; that one's return ends the process (glibc's
 * exit_group, on the last thread). Under --no-follow the trace ends
 * once: "exit(0) = ?" of the first thread, then one +++ line. */
#include <pthread.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	usleep(50000);
	getppid();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0)
		return 1;
	getpid();
	pthread_exit(NULL);
}
