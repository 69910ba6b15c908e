/* vmclone -- starts a child with clone(CLONE_VM) and no CLONE_SETTLS, as
 * old thread libraries did: it runs beside its parent on the parent's
 * thread-local memory. The child makes getppid; prints "child ran". */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long got = 1;

static int child(void *arg)
{
	(void)arg;
	got = syscall(SYS_getppid);
	return 0;
}

int main(void)
{
	size_t size = 1 << 16;
	char *stack = malloc(size);

	if (stack == NULL)
		return 2;
	int pid = clone(child, stack + size, CLONE_VM | SIGCHLD, NULL);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return 2;
	printf("child ran: getppid %s\n", got < 0 ? "failed" : "succeeded");
	return 0;
}
