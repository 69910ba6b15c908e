/* vforkcrash -- a clone3(CLONE_VM|CLONE_VFORK) child on a stack of its
 * own that crashes: the syscall() wrapper returns on the child's empty
 * (zeroed) stack, into address 0. Natively SIGSEGV kills the child and the
 * parent goes on; prints how the child ended. */
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char *stack = calloc(1, 1 << 16);
	struct clone_args ca;
	int st;

	if (stack == NULL)
		return 1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_VFORK;
	ca.exit_signal = SIGCHLD;
	ca.stack = (unsigned long)stack;
	ca.stack_size = 1 << 15;
	long c = syscall(SYS_clone3, &ca, sizeof(ca));
	if (c == 0)
		syscall(SYS_exit, 0);       /* not reached: the child returned into 0 */
	if (c < 0 || waitpid((pid_t)c, &st, 0) != c)
		return 1;
	if (WIFSIGNALED(st))
		printf("child killed by signal %d\n", WTERMSIG(st));
	else
		printf("child exited with %d\n", WEXITSTATUS(st));
	return 0;
}
