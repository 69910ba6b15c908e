/* nofollow-thread -- a thread that vforks (its child runs /bin/true),
 * then calls getppid and closes every descriptor above 2; the main
 * thread then calls getpid. Under --no-follow none of the thread's calls
 * are the hooks', after its vfork too, and in every mode the runtime's
 * descriptors survive its close_range. */
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *run(void *arg)
{
	(void)arg;
	pid_t p = vfork();
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, NULL, 0) != p)
		return (void *)1;
	for (int i = 0; i < 3; i++)
		getppid();
	syscall(SYS_close_range, 3, ~0u, 0);
	return NULL;
}

int main(void)
{
	pthread_t t;
	void *r;

	if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, &r) != 0 || r != NULL)
		return 1;
	getpid();
	return 0;
}
