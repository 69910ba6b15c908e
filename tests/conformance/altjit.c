/* altjit -- a handler on an 8 KiB alternate stack (SIGSTKSZ) makes system
 * calls from a page written at run time, which the runtime never
 * rewrote: with --catch-late and in sud mode each arrives by a SIGSYS,
 * whose frame the kernel puts on that stack below the handler's, and the
 * runtime's work for it (the safety net's rewrite of the site, its
 * decoder's frames deep) must fit in what is left. Natively the calls
 * need no frame at all. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALT_SIZE 8192

static long (*jit)(long nr);
static volatile long made;

static void handler(int sig)
{
	(void)sig;
	for (int i = 0; i < 5; i++)
		made += jit(110) > 0;   /* getppid */
}

int main(void)
{
	/* mov %rdi,%rax; syscall; ret */
	static const unsigned char code[] = { 0x48, 0x89, 0xf8, 0x0f, 0x05, 0xc3 };
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* the stack ends at an inaccessible page: an overflow faults */
	char *alt = mmap(NULL, (size_t)page + ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || alt == MAP_FAILED)
		return 2;
	memcpy(p, code, sizeof(code));
	mprotect(p, (size_t)page, PROT_READ | PROT_EXEC);
	mprotect(alt, (size_t)page, PROT_NONE);
	jit = (long (*)(long))p;

	stack_t ss = { .ss_sp = alt + page, .ss_size = ALT_SIZE };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		return 2;
	for (int round = 0; round < 3; round++) {
		made = 0;
		raise(SIGUSR1);
		printf("round %d: the handler made %ld calls on its %d-byte stack\n", round, made, ALT_SIZE);
	}
	return 0;
}
