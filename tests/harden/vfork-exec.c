/* vfork-exec -- `vfork-exec STACK PROG [ARG...]`: PROG executed by a child
 * that shares this process's memory (CLONE_VM | CLONE_VFORK), as
 * posix_spawn makes one, on a stack of STACK bytes with an unmapped page
 * below it; then prints the child's exit status (or signal) and errno as
 * the exec left it here, which a child that succeeds never sets */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int child(void *arg)
{
	char **argv = arg;

	execve(argv[0], argv, environ);
	_exit(127);
}

int main(int argc, char **argv)
{
	int st;

	if (argc < 3)
		return 2;
	size_t size = strtoul(argv[1], NULL, 0);
	char *m = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) != 0)
		return 2;
	errno = 0;
	int pid = clone(child, m + 4096 + size, CLONE_VM | CLONE_VFORK | SIGCHLD, argv + 2);
	int e = errno;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 2;
	printf("%s %d, errno %d\n", WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
	       e);
	return 0;
}
