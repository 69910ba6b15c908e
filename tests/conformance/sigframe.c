/* sigframe -- a handler for SIGSEGV (a signal the runtime takes first)
 * runs on the frame the kernel makes for it: it returns through the
 * program's own restorer, and an unwinder walks from the handler through
 * the signal frame into the code that faulted (a crash reporter's
 * backtrace(3)). The restorer here is the program's own (raw
 * rt_sigaction), with an unwind entry like glibc's, so it is scanned and
 * rewritten like glibc's. */
#include <execinfo.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

volatile int restored;
static char *page;
static volatile int reached;

void my_restorer(void);
__asm__(".text\n"
	".globl my_restorer\n"
	".type my_restorer, @function\n"
	"my_restorer:\n"
	".cfi_startproc\n"
	"\tincl restored(%rip)\n"
	"\tmovq $15, %rax\n"
	"\tsyscall\n"
	"\thlt\n"
	".cfi_endproc\n"
	".size my_restorer, .-my_restorer\n");

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

__attribute__((noinline, noipa)) static void touch(int i)
{
	page[i] = 1;
	__asm__ volatile("" ::: "memory");
}

static void on_segv(int sig)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	(void)sig;
	for (int i = 0; i < n; i++)
		if ((uintptr_t)frames[i] >= (uintptr_t)touch && (uintptr_t)frames[i] < (uintptr_t)touch + 64)
			reached = 1;
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int blocked(int sig)
{
	sigset_t now;

	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, sig);
}

/* a handler left by siglongjmp leaves no trace: a later handler's frame
 * at the same address (the top of the same alternate stack) is another
 * frame, and the mask the program set meanwhile holds */
static sigjmp_buf out;

static void leave(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	siglongjmp(out, 1);
}

static void quiet(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void stale(void)
{
	static char alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) }, old;
	struct sigaction sa, was_segv, was_usr1;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_ONSTACK | SA_SIGINFO;
	sigaltstack(&ss, &old);
	sa.sa_sigaction = leave;
	sigaction(SIGSEGV, &sa, &was_segv);
	sa.sa_sigaction = quiet;
	sigaction(SIGUSR1, &sa, &was_usr1);
	if (sigsetjmp(out, 1) == 0)
		*(volatile int *)0 = 1;
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	printf("after a handler left by siglongjmp and one returned: SIGSEGV %s\n",
	       blocked(SIGSEGV) ? "blocked" : "not blocked");
	signal(SIGSEGV, SIG_DFL);
	kill(getpid(), SIGSEGV);
	sigpending(&set);
	printf("SIGSEGV sent while blocked: %s\n", sigismember(&set, SIGSEGV) ? "pending" : "not pending");
	sigtimedwait(&(sigset_t){ 0 }, NULL, &(struct timespec){ 0, 0 });
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigtimedwait(&set, NULL, &(struct timespec){ 0, 0 });
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigaction(SIGSEGV, &was_segv, NULL);
	sigaction(SIGUSR1, &was_usr1, NULL);
	sigaltstack(&old, NULL);
}

/* handlers nested deeper than the runtime's list of frames: a SIGILL
 * handler (SIGILL blocked inside) faulting into SIGSEGV handlers 20 deep,
 * each returning past its faulting instruction */
static int depth;

#define FAULT7() __asm__ volatile("movl $1, 0x10(%%rax)" ::"a"(0L) : "memory")

static void nested_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	if (++depth < 20)
		FAULT7();
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] += 7;
}

static void nested_ill(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	FAULT7();
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] += 2;
}

static void deep(void)
{
	struct sigaction sa, was_segv, was_ill;

	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sa.sa_sigaction = nested_segv;
	sigaction(SIGSEGV, &sa, &was_segv);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = nested_ill;
	sigaction(SIGILL, &sa, &was_ill);
	for (int round = 0; round < 2; round++) {
		depth = 0;
		__asm__ volatile("ud2");
		printf("nested handlers %d deep, then back: SIGILL %s, SIGSEGV %s\n", depth,
		       blocked(SIGILL) ? "blocked" : "not blocked", blocked(SIGSEGV) ? "blocked" : "not blocked");
	}
	sigaction(SIGSEGV, &was_segv, NULL);
	sigaction(SIGILL, &was_ill, NULL);
}

int main(void)
{
	struct ksigaction sa = { (void *)on_segv, 0x04000000 /* SA_RESTORER */, (void *)my_restorer, 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	backtrace((void *[1]){ 0 }, 1);         /* libgcc loaded before any fault */
	/* glibc's restorer, which unwinders know */
	struct sigaction glibc;
	memset(&glibc, 0, sizeof(glibc));
	glibc.sa_handler = on_segv;
	sigaction(SIGSEGV, &glibc, NULL);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	touch(0);
	printf("backtrace() from the handler %s the faulting function\n", reached ? "reached" : "did not reach");
	/* the program's own */
	syscall(SYS_rt_sigaction, SIGSEGV, &sa, NULL, 8);
	sa.handler = (void *)on_usr1;
	syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 8);
	for (int i = 0; i < 3; i++) {
		mprotect(page, 4096, PROT_NONE);
		touch(i);
	}
	printf("SIGSEGV: the program's restorer ran %d times\n", restored);
	restored = 0;
	for (int i = 0; i < 3; i++)
		kill(getpid(), SIGUSR1);
	printf("SIGUSR1: the program's restorer ran %d times\n", restored);

	/* the mask inside the handler and after it, as the program sees it */
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("after: SIGSEGV %s\n", sigismember(&now, SIGSEGV) ? "blocked" : "not blocked");
	stale();
	deep();
	return 0;
}
