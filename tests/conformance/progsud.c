/* progsud -- a program that arms Syscall User Dispatch itself, as Wine
 * does: a selector byte per thread and a SIGSYS handler that answers the
 * calls it takes. A call made with the selector at BLOCK, from outside the
 * range the program allowed, is not made: the handler sees it (si_code,
 * si_syscall, si_call_addr, si_arch; %rax the number, %rcx and %rip past
 * the instruction) and its answer in %rax is what the call returns. With
 * ALLOW, from inside the range, after PR_SYS_DISPATCH_OFF, in a thread that
 * never armed it, or in a forked child (neither inherits it), calls are
 * made. A selector holding neither value kills with SIGSYS. The calls come
 * from this program's own site and from libc's. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#define AUDIT_ARCH_X86_64 0xc000003eU

static __thread volatile char sel;
static __thread volatile int caught;
static __thread volatile struct seen {
	int code, nr, arch_ok, context_ok;
	void *addr;
} last;

/* the end of our own system call instruction */
extern const char progsud_after[];

/* raw -- a system call from this program's own site */
__attribute__((noinline, noclone)) static long raw(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall\n\t.globl progsud_after\nprogsud_after:"
			 : "=a"(r)
			 : "0"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;

	(void)sig;
	sel = SYSCALL_DISPATCH_FILTER_ALLOW;
	caught++;
	last.code = si->si_code;
	last.nr = si->si_syscall;
	last.addr = si->si_call_addr;
	last.arch_ok = si->si_arch == AUDIT_ARCH_X86_64;
	last.context_ok = g[REG_RIP] == (greg_t)si->si_call_addr && g[REG_RCX] == g[REG_RIP] &&
			  g[REG_RAX] == si->si_syscall;
	/* the answer: what the call returns */
	g[REG_RAX] = 1000 + si->si_syscall;
}

static long arm(void)
{
	return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &sel) == 0 ? 0 : -errno;
}

static long disarm(void)
{
	return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) == 0 ? 0 : -errno;
}

/* in_libc -- is addr in the C library's text? */
static int in_libc(void *addr)
{
	Dl_info a, b;

	return dladdr(addr, &a) != 0 && dladdr((void *)syscall, &b) != 0 && a.dli_fbase == b.dli_fbase;
}

/* blocked -- a call with the selector at BLOCK, and what the handler saw */
static void blocked(const char *what, long nr, int own)
{
	int before = caught;
	long r;

	last = (struct seen){ 0 };
	sel = SYSCALL_DISPATCH_FILTER_BLOCK;
	r = own ? raw(nr, 0, 0, 0) : syscall(nr);
	sel = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (caught == before) {
		printf("%s: made, not taken (%s)\n", what, r == 1000 + nr ? "the handler's answer" : "a real result");
		return;
	}
	printf("%s: taken once: %d, si_code %d, si_syscall %s, si_arch %s, context %s, call address %s, "
	       "returned %ld\n", what, caught - before, last.code, last.nr == nr ? "right" : "wrong",
	       last.arch_ok ? "x86-64" : "wrong", last.context_ok ? "as the kernel leaves it" : "wrong",
	       !own ? (in_libc(last.addr) ? "in libc" : "wrong") : last.addr == (void *)progsud_after ? "our site's end" : "wrong", r);
}

/* allowed -- a call with the selector at ALLOW: made */
static void allowed(const char *what)
{
	int before = caught;
	long r = raw(SYS_getppid, 0, 0, 0);

	printf("%s: %s, %s\n", what, caught == before ? "not taken" : "taken",
	       r == getppid() ? "made" : "not made");
}

static void *thread(void *arg)
{
	(void)arg;
	/* not inherited: the selector at BLOCK changes nothing yet */
	blocked("thread, before arming", SYS_getppid, 1);
	printf("thread: arm %ld\n", arm());
	blocked("thread, own site", SYS_getppid, 1);
	blocked("thread, libc", SYS_gettid, 0);
	allowed("thread, allowed");
	printf("thread: disarm %ld\n", disarm());
	return NULL;
}

int main(void)
{
	static const char lost[] = "a blocked write was made\n";
	struct sigaction sa;
	pthread_t t;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);

	/* the kernel's checks */
	printf("off with arguments: %ld\n",
	       prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 1, 0, 0) == 0 ? 0L : (long)-errno);
	printf("unknown mode: %ld\n", prctl(PR_SET_SYSCALL_USER_DISPATCH, 9, 0, 0, &sel) == 0 ? 0L : (long)-errno);
	printf("range that wraps: %ld\n",
	       prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, -16L, 32, &sel) == 0 ? 0L : (long)-errno);
	printf("kernel selector: %ld\n",
	       prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, (void *)-4096L) == 0 ? 0L
												   : (long)-errno);

	printf("main: arm %ld\n", arm());
	allowed("main, allowed");
	blocked("main, own site", SYS_getppid, 1);
	blocked("main, libc", SYS_getpid, 0);
	/* not made: nothing written */
	sel = SYSCALL_DISPATCH_FILTER_BLOCK;
	long w = raw(SYS_write, 1, (long)lost, sizeof(lost) - 1);
	sel = SYSCALL_DISPATCH_FILTER_ALLOW;
	printf("main, blocked write: returned %ld\n", w);
	/* taken back to back, nothing in between (the tracer in sud mode was
	 * killed at the second when the handler ran on the kernel's frame) */
	long r3[3];
	for (int i = 0; i < 3; i++) {
		sel = SYSCALL_DISPATCH_FILTER_BLOCK;
		r3[i] = raw(SYS_getppid, 0, 0, 0);
		sel = SYSCALL_DISPATCH_FILTER_ALLOW;
	}
	printf("main, three in a row: %ld %ld %ld\n", r3[0], r3[1], r3[2]);

	/* another thread: its own setting; ours stays */
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	blocked("main, after the thread", SYS_getppid, 1);

	/* a forked child starts without it */
	pid_t pid = fork();
	if (pid == 0) {
		blocked("child", SYS_getppid, 1);
		_exit(0);
	}
	waitpid(pid, &st, 0);

	/* our site inside the allowed range: made; libc's outside: taken */
	printf("main: range %ld\n", prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
					  (unsigned long)progsud_after - 1, 2, &sel) == 0 ? 0L : (long)-errno);
	blocked("main, own site in the range", SYS_getppid, 1);
	blocked("main, libc outside it", SYS_getpid, 0);

	printf("main: disarm %ld\n", disarm());
	blocked("main, disarmed", SYS_getppid, 1);

	/* a selector of neither value: the kernel kills with SIGSYS */
	pid = fork();
	if (pid == 0) {
		arm();
		sel = 2;
		raw(SYS_getppid, 0, 0, 0);
		sel = 0;
		printf("child: survived a bad selector\n");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("bad selector: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}
