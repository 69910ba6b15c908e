/* nofollow -- a thread and a forked child that call getppid, the main
 * thread getpid: under --no-follow only the main thread's calls are the
 * hooks', as strace without -f traces the first thread alone */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		getppid();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	pid_t p = fork();
	if (p == 0) {
		getppid();
		_exit(0);
	}
	waitpid(p, NULL, 0);
	getpid();
	return 0;
}
