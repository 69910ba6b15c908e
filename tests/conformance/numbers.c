/* numbers -- every number from past the end of the kernel's table (as the
 * headers this was built with know it) to 4200, and a sample of negative
 * and x32 ones, made with arguments of -1 (a bad descriptor, a bad pointer) at a rewritten site. Each must
 * return what it returns natively: prints the numbers whose result is not
 * ENOSYS, and how many were. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "zp.h"

static long call(long nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(-1L), "S"(-1L), "d"(-1L)
			 : "rcx", "r11", "memory");
	return ret;
}

static int report(long nr)
{
	long r = call(nr);

	if (r == -ENOSYS)
		return 1;
	printf("nr %#lx: %s\n", (unsigned long)nr,
	       r >= 0 ? "a value" : r > -4096 ? strerror((int)-r) : "a negative value");
	return 0;
}

int main(void)
{
	static const long others[] = {
		-1, -2, -100, -4095, -4096, (long)0x8000000000000000ul, 0xffffffffL, 1L << 32,
		0x40000000L, 0x40000000L | SYS_getpid, 0x40000000L | 512, 0x40000000L | 520,
		0x40000000L | 547, 0x4000ffffL, 0x7fffffffL,
	};
	long first = zp_syscall_count, enosys = 0, n = 0;

	for (long nr = first; nr <= 4200; nr++, n++)
		enosys += report(nr);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++, n++)
		enosys += report(others[i]);
	printf("%ld numbers from %#lx, %ld of them ENOSYS\n", n, (unsigned long)first, enosys);
	return 0;
}
