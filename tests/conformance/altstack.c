/* altstack -- the stack a fault's handler runs on is the one the program
 * asked for: SA_ONSTACK or not, with the alternate stack usable or made
 * inaccessible (then natively a handler without SA_ONSTACK still runs, on
 * the normal stack). SIGSEGV from a real fault, SIGILL from ud2. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define ALT_SIZE (64 * 1024)

static sigjmp_buf back;
static char *alt;
static volatile int on_alt, ran;
static int *volatile bad = (int *)8;

static void handler(int sig)
{
	char here;

	(void)sig;
	ran = 1;
	on_alt = (uintptr_t)&here >= (uintptr_t)alt && (uintptr_t)&here < (uintptr_t)alt + ALT_SIZE;
	siglongjmp(back, 1);
}

static void fault(int sig)
{
	if (sig == SIGSEGV)
		*bad = 1;
	else
		__builtin_trap();
}

static void one(int sig, int onstack, int usable)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = onstack ? SA_ONSTACK : 0;
	sigaction(sig, &sa, NULL);
	mprotect(alt, ALT_SIZE, usable ? PROT_READ | PROT_WRITE : PROT_NONE);
	ran = on_alt = 0;
	if (sigsetjmp(back, 1) == 0)
		fault(sig);
	mprotect(alt, ALT_SIZE, PROT_READ | PROT_WRITE);
	printf("%s, %s, alternate stack %s: handler %s%s\n", sig == SIGSEGV ? "SIGSEGV" : "SIGILL",
	       onstack ? "SA_ONSTACK" : "no SA_ONSTACK", usable ? "usable" : "inaccessible",
	       ran ? "ran" : "did not run", ran ? (on_alt ? " on the alternate stack" : " on the normal stack") : "");
	fflush(stdout);
}

int main(void)
{
	stack_t ss;

	alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_sp = alt;
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	int sigs[] = { SIGSEGV, SIGILL };
	for (int i = 0; i < 2; i++) {
		one(sigs[i], 1, 1);
		one(sigs[i], 0, 1);
		one(sigs[i], 0, 0);
	}
	return 0;
}
