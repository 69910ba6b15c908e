/* ret-cost -- what returning costs right after a kernel entry, on this
 * machine: the calibration rows of the benchmark.
 *
 * With return-stack mitigations in the kernel (RSB filling, AMD's "Safe
 * RET"), the return-stack buffer holds nothing the program pushed once a
 * system call returns, so a `ret` into a frame made before the call
 * mispredicts; going back by an indirect jump, or returning from a call
 * made after the kernel entry, does not. Prints ns per iteration of each
 * way, for getppid: median of 5 rounds of N iterations. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long plain(long nr)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

__attribute__((noinline)) static long ret1(long nr)
{
	return plain(nr);
}

__attribute__((noinline)) static long ret2(long nr)
{
	long r = ret1(nr);
	__asm__ volatile("" ::: "memory");
	return r;
}

__attribute__((noinline)) static long ret3(long nr)
{
	long r = ret2(nr);
	__asm__ volatile("" ::: "memory");
	return r;
}

/* jump_back -- the call, then back to the caller by pop and jmp */
long jump_back(long nr);
/* call_then_jump -- the call, a call/ret made after it, then pop and jmp */
long call_then_jump(long nr);
long after_entry(long x);
__attribute__((noinline)) long after_entry(long x)
{
	__asm__ volatile("" ::: "memory");
	return x;
}
__asm__(".text\n"
	".globl jump_back\n"
	"jump_back:\n"
	"	movq	%rdi, %rax\n"
	"	syscall\n"
	"	popq	%rcx\n"
	"	jmp	*%rcx\n"
	".globl call_then_jump\n"
	"call_then_jump:\n"
	"	movq	%rdi, %rax\n"
	"	syscall\n"
	"	movq	%rax, %rdi\n"
	"	call	after_entry\n"
	"	popq	%rcx\n"
	"	jmp	*%rcx\n");

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define WAY(label, stmt)                                                  \
	do {                                                              \
		double t[5];                                              \
		for (int k = 0; k < 5; k++) {                             \
			double t0 = now();                                \
			for (long i = 0; i < n; i++) {                    \
				stmt;                                     \
			}                                                 \
			t[k] = (now() - t0) / (double)n;                  \
		}                                                         \
		qsort(t, 5, sizeof(t[0]), cmp);                           \
		printf("  %-46s %8.1f ns  [%.1f..%.1f]\n", label, t[2], t[0], t[4]); \
	} while (0)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500000;

	WAY("getppid, inline", plain(110));
	WAY("getppid, then 1 ret into an older frame", ret1(110));
	WAY("getppid, then 3 rets into older frames", ret3(110));
	WAY("getppid, then pop + jmp back", jump_back(110));
	WAY("getppid, then a new call/ret, then pop + jmp", call_then_jump(110));
	return 0;
}
