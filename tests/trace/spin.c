/* spin -- threads in a loop of system calls, to be killed by SIGKILL in
 * the middle of one. `spin N CALL` starts N threads besides the main one,
 * says "looping" once all are in the loop, and loops forever in each:
 *   getppid  a call that does not block, over and over;
 *   wait     rt_sigtimedwait for 100 ms, so a thread is in one nearly all
 *            the time;
 *   read     read from a pipe nobody writes, for ever;
 *   vfork    vfork a child that sleeps 200 ms and exits: the parent is in
 *            vfork nearly all the time;
 *   spawn    the same with clone(CLONE_VM|CLONE_VFORK), as posix_spawn,
 *            the child on a stack of its own;
 *   handler  (no threads) read from a pipe nobody writes; a SIGALRM 100 ms
 *            later runs a handler (SA_RESTART) that calls pause();
 *   exec     (no threads) execve /bin/true with an environment string in a
 *            page of a userfaultfd nobody serves: the kernel waits in the
 *            call for ever. Prints "no userfaultfd" and exits if it
 *            cannot have one (it needs privilege), or, with a third
 *            argument, only whether it can.
 * `spin N CALL then-exec`: the main thread, 100 ms after "looping", execs
 * /bin/true instead, which ends the other threads in their calls;
 * `spin N CALL thread-exec`: a thread of its own does, 100 ms after. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char child_stack[64 * 1024];

static int child(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	_exit(0);
}

static void *exec_true(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char *args[] = { "/bin/true", NULL };

	(void)arg;
	nanosleep(&ts, NULL);
	execv(args[0], args);
	return NULL;
}

static void in_handler(int sig)
{
	(void)sig;
	pause();
}

static const char *call = "getppid";
static int started;
static int fds[2];

static void *loop(void *arg)
{
	sigset_t set;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char c;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (;;) {
		if (strcmp(call, "wait") == 0)
			sigtimedwait(&set, NULL, &ts);
		else if (strcmp(call, "vfork") == 0 && vfork() == 0)
			child(NULL);
		else if (strcmp(call, "vfork") == 0)
			wait(NULL);
		else if (strcmp(call, "spawn") == 0 &&
			 clone(child, child_stack + sizeof(child_stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL) > 0)
			wait(NULL);
		else if (strcmp(call, "read") == 0)
			(void)!read(fds[0], &c, 1);
		else
			getppid();
	}
	return NULL;
}

/* stuck_exec -- an execve that never gets past reading its environment */
static int stuck_exec(int probe)
{
	struct uffdio_api api = { .api = UFFD_API };
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (u < 0 || page == MAP_FAILED || ioctl(u, UFFDIO_API, &api) < 0) {
		printf("no userfaultfd\n");
		return 77;
	}
	struct uffdio_register reg = { .range = { (unsigned long)page, 4096 },
				       .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(u, UFFDIO_REGISTER, &reg) < 0) {
		printf("no userfaultfd\n");
		return 77;
	}
	if (probe)
		return 0;
	char *args[] = { "/bin/true", NULL }, *env[] = { page, NULL };
	printf("looping\n");
	fflush(stdout);
	execve(args[0], args, env);
	return 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	pthread_t th;

	if (argc > 2)
		call = argv[2];
	if (strcmp(call, "exec") == 0)
		return stuck_exec(argc > 3);
	if (strcmp(call, "handler") == 0) {
		struct sigaction sa = { .sa_handler = in_handler, .sa_flags = SA_RESTART };
		char c;
		sigaction(SIGALRM, &sa, NULL);
		if (pipe(fds) != 0)
			return 1;
		printf("looping\n");
		fflush(stdout);
		ualarm(100 * 1000, 0);
		for (;;)
			(void)!read(fds[0], &c, 1);
	}
	if (pipe(fds) != 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (pthread_create(&th, NULL, loop, NULL) != 0)
			return 1;
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < n)
		sched_yield();
	printf("looping\n");
	fflush(stdout);
	if (argc > 3 && strcmp(argv[3], "then-exec") == 0) {
		exec_true(NULL);
		return 1;
	}
	if (argc > 3 && strcmp(argv[3], "thread-exec") == 0 && pthread_create(&th, NULL, exec_true, NULL) != 0)
		return 1;
	loop(NULL);
}
