/* page0load -- loads from page 0 fault as natively: with protection keys
 * the runtime maps the trampoline execute only. Run hooked in fast mode;
 * exits 0 when a load at 0x10 and one at 0xff8 raised SIGSEGV and a
 * hooked call still works, 1 when a load read the trampoline, 77 (skip)
 * where the kernel or CPU gives no execute-only pages. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf back;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

static int loads(uintptr_t addr)
{
	if (sigsetjmp(back, 1) == 0) {
		volatile unsigned char c = *(volatile unsigned char *)addr;
		(void)c;
		printf("load from %#lx: read\n", (unsigned long)addr);
		return 1;
	}
	printf("load from %#lx: SIGSEGV\n", (unsigned long)addr);
	return 0;
}

int main(void)
{
	long k = syscall(SYS_pkey_alloc, 0, 0);
	if (k < 0) {
		printf("skip: no protection keys here\n");
		return 77;
	}
	syscall(SYS_pkey_free, k);
	signal(SIGSEGV, on_segv);
	int bad = loads(0x10) + loads(0xff8);
	if (getppid() <= 0)
		bad++;
	return bad != 0;
}
