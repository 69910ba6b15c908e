/* syscall-loop NR N -- time N inline `syscall` instructions with number NR
 * (arguments chosen so the call fails or returns at once) and print the
 * nanoseconds per call. The site is in this executable, so under zpoline it
 * is rewritten like any other. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long call(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	long nr = argc > 1 ? atol(argv[1]) : 39;
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	char buf[1];
	struct timespec t0, t1;

	/* read/close/process_mrelease get fd -1 (EBADF), getrandom length 0 */
	long a1 = nr == 318 ? (long)buf : -1, a2 = nr == 318 ? 0 : (long)buf, a3 = 0;
	call(nr, a1, a2, a3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		call(nr, a1, a2, a3);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%.2f\n", ns / (double)n);
	return 0;
}
