/* sigframe -- a handler for SIGSEGV (a signal the runtime takes first)
 * runs on the frame the kernel makes for it: it returns through the
 * program's own restorer, and an unwinder walks from the handler through
 * the signal frame into the code that faulted (a crash reporter's
 * backtrace(3)). The restorer here is the program's own (raw
 * rt_sigaction), with an unwind entry like glibc's, so it is scanned and
 * rewritten like glibc's. */
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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

__attribute__((noinline)) static void touch(int i)
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

int main(void)
{
	struct ksigaction sa = { (void *)on_segv, 0x04000000 /* SA_RESTORER */, (void *)my_restorer, 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	backtrace((void *[1]){ 0 }, 1);         /* libgcc loaded before any fault */
	syscall(SYS_rt_sigaction, SIGSEGV, &sa, NULL, 8);
	sa.handler = (void *)on_usr1;
	syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 8);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 3; i++) {
		mprotect(page, 4096, PROT_NONE);
		touch(i);
	}
	printf("SIGSEGV: the program's restorer ran %d times; backtrace() from the handler %s the faulting "
	       "function\n", restored, reached ? "reached" : "did not reach");
	restored = 0;
	for (int i = 0; i < 3; i++)
		kill(getpid(), SIGUSR1);
	printf("SIGUSR1: the program's restorer ran %d times\n", restored);

	/* the mask inside the handler and after it, as the program sees it */
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("after: SIGSEGV %s\n", sigismember(&now, SIGSEGV) ? "blocked" : "not blocked");
	return 0;
}
