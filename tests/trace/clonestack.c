/* clonestack -- a fork-like child made by clone() with a stack of its own
 * and no CLONE_VM: it names a path kept on its own stack, then exits 3.
 * Prints "parent P child C" for the trace to be checked against. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK (1 << 16)

static int child(void *arg)
{
	char path[32];

	(void)arg;
	snprintf(path, sizeof(path), "/child-%d", 42);
	syscall(SYS_faccessat, AT_FDCWD, path, 0);
	return 3;
}

int main(void)
{
	char *stack = malloc(STACK);
	int st;

	if (stack == NULL)
		return 1;
	/* the parent's copy of the stack holds other bytes */
	memset(stack, 'x', STACK);
	pid_t c = clone(child, stack + STACK, SIGCHLD, NULL);
	if (c < 0 || waitpid(c, &st, 0) != c)
		return 1;
	printf("parent %d child %d status %d\n", (int)getpid(), (int)c, WEXITSTATUS(st));
	return 0;
}
