/* redzone -- data kept in the 8 bytes below %rsp across a system call by
 * hand-written code (redzone-asm.S) survives hooking: in a function that
 * calls others, and where the kernel itself writes there. Prints one line
 * per case. */
#include <signal.h>
#include <stdio.h>

long rz_nonleaf(long v);
long rz_kernel_writes(void);
long rz_kernel_reads(long sig);

int main(void)
{
	sigset_t set;
	struct sigaction sa;

	printf("non-leaf keeps %#lx\n", (unsigned long)rz_nonleaf(0x1234567890abcdefL));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_SETMASK, &set, NULL);
	printf("kernel writes below rsp: %ld\n", rz_kernel_writes());
	printf("kernel reads below rsp: %ld\n", rz_kernel_reads(SIGUSR1));
	sigaction(SIGUSR1, NULL, &sa);
	printf("SIGUSR1 ignored: %s\n", sa.sa_handler == SIG_IGN ? "yes" : "no");
	fflush(stdout);
	return 0;
}
