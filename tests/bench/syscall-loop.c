/* syscall-loop NR N [PAGES] -- time N inline `syscall` instructions with
 * number NR (arguments chosen so the call fails or returns at once) and
 * print the nanoseconds per call. The site is in this executable, so under
 * zpoline it is rewritten like any other. With PAGES, each call is followed
 * by a load from each of PAGES other pages: natively, what touching a page
 * after a kernel entry costs on this machine (with page-table isolation and
 * no PCID every entry empties the TLB, so each page costs a page walk).
 *
 * syscall-loop NR N 0 PATH -- the same with PATH as the call's path: stat
 * (4: into a buffer), access (21), and open (2), each open followed by its
 * close (the time is that of the pair).
 *
 * syscall-loop --rss -- print this process's resident memory and its peak
 * in KiB (VmRSS, VmHWM), for the memory figure: a small program, measured
 * after the launcher's exec, so only what the program's image holds counts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long call(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

static int print_rss(void)
{
	char line[256];
	long rss = -1, hwm = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			hwm = atol(line + 6);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			rss = atol(line + 6);
	}
	printf("%ld %ld\n", rss, hwm);
	return rss < 0 || hwm < 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--rss") == 0)
		return print_rss();
	long nr = argc > 1 ? atol(argv[1]) : 39;
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	long pages = argc > 3 ? atol(argv[3]) : 0;
	char buf[256];
	const char *path = argc > 4 ? argv[4] : NULL;
	/* one cache line per page, at different offsets (no set conflicts) */
	volatile char *mem = pages > 0 ? calloc((size_t)pages + 1, 4096 + 64) : NULL;
	struct timespec t0, t1;

	/* read/close/process_mrelease get fd -1 (EBADF), getrandom length 0 */
	long a1 = nr == 318 ? (long)buf : -1, a2 = nr == 318 ? 0 : (long)buf, a3 = 0;
	if (path != NULL) {
		a1 = (long)path;
		a2 = nr == 4 ? (long)buf : 0;   /* stat's buffer; access F_OK, open O_RDONLY */
	}
	bool closing = path != NULL && nr == 2;
	call(nr, a1, a2, a3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		long r = call(nr, a1, a2, a3);
		if (closing && r >= 0)
			call(3, r, 0, 0);
		for (long p = 0; p < pages; p++)
			(void)mem[p * (4096 + 64)];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%.2f\n", ns / (double)n);
	return 0;
}
