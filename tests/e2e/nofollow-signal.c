/* nofollow-signal -- a task --no-follow does not follow dies of SIGTERM
 * (its default action): "child", a forked child, after which the parent
 * calls getpid and exits 0; "thread", another thread, which kills the
 * process (status 143 from a shell, -15 here). "sigkill": another thread
 * handles SIGUSR1, then the process is killed by SIGKILL (whose +++ line
 * is the watcher's). */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got;

static void *run(void *arg)
{
	(void)arg;
	raise(SIGTERM);
	pause();
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

static void *wait_usr1(void *arg)
{
	(void)arg;
	while (!got)
		usleep(1000);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc > 1 && strcmp(argv[1], "sigkill") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		if (sigaction(SIGUSR1, &sa, NULL) != 0 || pthread_create(&t, NULL, wait_usr1, NULL) != 0)
			return 1;
		pthread_kill(t, SIGUSR1);
		pthread_join(t, NULL);
		kill(getpid(), SIGKILL);
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		if (pthread_create(&t, NULL, run, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
		return 1;
	}
	pid_t p = fork();
	if (p == 0) {
		raise(SIGTERM);
		_exit(1);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
		return 1;
	getpid();
	return 0;
}
