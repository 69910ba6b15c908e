/* procs -- processes: fork, vfork, clone(CLONE_VM|CLONE_VFORK) with no
 * stack, clone with a new stack, posix_spawn, execve. Children exit with
 * chosen statuses; the parent reports what it saw. The vfork child writes
 * to the parent's memory, which the parent must see. */
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int status_of(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, __WALL) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child_fn(void *arg)
{
	*(volatile int *)arg = 42;
	return 7;
}

/* clone_shared_stack -- clone(CLONE_VM|CLONE_VFORK) with stack 0, the
 * shape of posix_spawn's fallback. The child runs on the parent's stack,
 * so it does all its work inside this one asm block, touching no stack. */
static long clone_shared_stack(volatile int *shared)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $2, (%[sh])\n\t"
			 "movl $60, %%eax\n\t"
			 "movl $8, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone), "D"((long)(CLONE_VM | CLONE_VFORK | SIGCHLD)), "S"(0L),
			   "d"(0L), "r"(r10), "r"(r8), [sh] "r"(shared)
			 : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	volatile int shared = 0;
	pid_t pid;

	if (argc > 1) {
		printf("exec'd child with %s\n", argv[1]);
		return 5;
	}
	setvbuf(stdout, NULL, _IONBF, 0);

	pid = fork();
	if (pid == 0)
		_exit(3);
	printf("fork: child exited %d\n", status_of(pid));

	pid = vfork();
	if (pid == 0) {
		shared = 1;
		_exit(4);
	}
	printf("vfork: child exited %d, wrote %d\n", status_of(pid), shared);

	pid = vfork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 6", (char *)NULL);
		_exit(127);
	}
	printf("vfork+exec: child exited %d\n", status_of(pid));

	shared = 0;
	pid = (pid_t)clone_shared_stack(&shared);
	printf("clone(CLONE_VM|CLONE_VFORK, stack 0): child exited %d, wrote %d\n", status_of(pid), shared);

	/* a new stack; CLONE_VFORK so the parent reads after the child is done */
	size_t sz = 256 * 1024;
	char *stack = malloc(sz);
	static volatile int flag;
	pid = clone(child_fn, stack + sz, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&flag);
	printf("clone with a new stack: child exited %d, wrote %d\n", status_of(pid), flag);

	char *args[] = { argv[0], "posix_spawn", NULL };
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) == 0)
		printf("posix_spawn: child exited %d\n", status_of(pid));

	fflush(stdout);
	char *eargs[] = { argv[0], "execve", NULL };
	execve("/proc/self/exe", eargs, environ);
	perror("execve");
	return 1;
}
