/* threads -- thousands of threads created and joined, and 8 threads
 * making system calls at once; every result is checked. A thread blocked
 * in read() is cancelled: the unwinder must find its way out of the stub,
 * running the thread's cleanup handler. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WAVES 40
#define PER_WAVE 50
#define HAMMERS 8
#define CALLS 20000

static pid_t pid;
static int cancel_pipe[2];
static int cleanups;

static void cleanup(void *arg)
{
	(void)arg;
	cleanups++;
}

static void *blocked(void *arg)
{
	char b;

	pthread_cleanup_push(cleanup, arg);
	read(cancel_pipe[0], &b, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *short_lived(void *arg)
{
	return (void *)(long)(syscall(SYS_getpid) == pid) + (long)arg * 0;
}

static void *hammer(void *arg)
{
	long bad = 0;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	for (int i = 0; i < CALLS; i++) {
		bad += getpid() != pid;
		bad += syscall(SYS_gettid) != tid;
	}
	return (void *)bad;
}

/* a thread on the smallest stack pthreads allow (with its guard page)
 * making the kinds of calls a tracer formats at length */
static void *small_stack(void *arg)
{
	char path[256];

	(void)arg;
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	long bad = open(path, O_RDONLY) != -1;
	bad += write(-1, path, sizeof(path)) != -1;
	bad += access("/nonexistent/a/rather/long/path/name/to/print", F_OK) != -1;
	return (void *)bad;
}

int main(void)
{
	pthread_t t[PER_WAVE > HAMMERS ? PER_WAVE : HAMMERS];
	long ok = 0, bad = 0;

	pid = getpid();
	for (int w = 0; w < WAVES; w++) {
		for (int i = 0; i < PER_WAVE; i++)
			if (pthread_create(&t[i], NULL, short_lived, NULL) != 0)
				return 1;
		for (int i = 0; i < PER_WAVE; i++) {
			void *r;
			pthread_join(t[i], &r);
			ok += (long)r;
		}
	}
	printf("%ld of %d threads saw the right pid\n", ok, WAVES * PER_WAVE);
	for (int i = 0; i < HAMMERS; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < HAMMERS; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("%d threads x %d calls: %ld wrong results\n", HAMMERS, 2 * CALLS, bad);

	pthread_attr_t attr;
	void *r;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
	pthread_create(&t[0], &attr, small_stack, NULL);
	pthread_join(t[0], &r);
	printf("a thread on a %d-byte stack: %ld wrong results\n", (int)PTHREAD_STACK_MIN, (long)r);

	if (pipe(cancel_pipe) != 0)
		return 1;
	pthread_create(&t[0], NULL, blocked, NULL);
	usleep(50000);
	pthread_cancel(t[0]);
	pthread_join(t[0], &r);
	printf("a thread cancelled in read(): %s, %d cleanup handler(s) ran\n",
	       r == PTHREAD_CANCELED ? "cancelled" : "not cancelled", cleanups);
	return 0;
}
