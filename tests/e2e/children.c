/* children -- one child of each kind, each calling getppid() five times
 * and writing its kind: fork, vfork, clone without CLONE_VM on a stack of
 * its own (as container runtimes do), clone with CLONE_VM|CLONE_VFORK on a
 * stack (as posix_spawn does), clone3 without a stack (fork-like), and a
 * posix_spawn of /bin/true (its child resets signals and calls execve). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char stack[2][65536] __attribute__((aligned(16)));

static void body(const char *kind)
{
	for (int i = 0; i < 5; i++)
		syscall(SYS_getppid);
	write(1, kind, strlen(kind));
}

static int cloned(void *kind)
{
	body(kind);
	return 0;
}

int main(void)
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		body("fork\n");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	if ((pid = vfork()) == 0) {
		/* a path in the trampoline's readable literal page faults as natively */
		if (syscall(SYS_openat, AT_FDCWD, (const char *)0x4000, O_RDONLY) != -1 || errno != EFAULT)
			write(1, "page 0 read\n", 12);
		body("vfork\n");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	pid = clone(cloned, stack[0] + sizeof(stack[0]), SIGCHLD, "clone, own stack\n");
	waitpid(pid, NULL, 0);
	pid = clone(cloned, stack[1] + sizeof(stack[1]), CLONE_VM | CLONE_VFORK | SIGCHLD,
		    "clone, CLONE_VM|CLONE_VFORK\n");
	waitpid(pid, NULL, 0);
	struct clone_args ca = { .exit_signal = SIGCHLD };
	if ((pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca))) == 0) {
		body("clone3, no stack\n");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char *argv[] = { "/bin/true", NULL };
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0)
		waitpid(pid, NULL, 0);
	return 0;
}
