/* callsite -- where a signal that interrupts a system call shows the
 * handler the program was: in read(), the libc function that made the
 * call (its %rip there, or at the call itself when the kernel restarts
 * it), with %rsp the program's. A child writes to a pipe after 300 ms;
 * SIGALRM comes after 100 ms, while read() waits on it: without
 * SA_RESTART the read fails with EINTR, with it the kernel restarts it and
 * it reads the byte. Prints, for each, the read's result and where the
 * handler found the program.
 *
 * usage: callsite */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static const char *where;
static uintptr_t stack_gap;
static volatile uintptr_t reader_sp;

static void on_alarm(int sig, siginfo_t *si, void *v)
{
	ucontext_t *uc = v;
	Dl_info d;

	(void)sig;
	(void)si;
	if (dladdr((void *)uc->uc_mcontext.gregs[REG_RIP], &d) != 0 && d.dli_sname != NULL)
		where = d.dli_sname;
	else
		where = "(no symbol)";
	stack_gap = reader_sp - (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

static void one(int flags)
{
	struct sigaction sa;
	struct itimerval once = { { 0, 0 }, { 0, 100000 } };
	int p[2];
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(p) != 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		usleep(300000);
		(void)write(p[1], "x", 1);
		_exit(0);
	}
	where = "(no signal)";
	reader_sp = (uintptr_t)__builtin_frame_address(0);
	setitimer(ITIMER_REAL, &once, NULL);
	ssize_t r = read(p[0], &c, 1);
	int e = errno;
	waitpid(child, NULL, 0);
	close(p[0]);
	close(p[1]);
	/* the stack pointer the handler saw: the program's, below this frame
	 * by read()'s own (a few words), not by the return address the call
	 * into page 0 pushed */
	printf("%s: read %zd%s, handler found the program in %s, %s, %lu bytes below this frame\n",
	       flags ? "SA_RESTART" : "no SA_RESTART", r, r < 0 && e == EINTR ? " (EINTR)" : "", where,
	       stack_gap < 512 ? "on its stack" : "elsewhere", (unsigned long)stack_gap);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	one(0);
	one(SA_RESTART);
	return 0;
}
