/* path-probe NR -- makes system call NR a few times, then once between two
 * int3 marks, for pathcount (run it only under pathcount: the marks would
 * kill it otherwise). The same arguments as syscall-loop. */
#include <stdlib.h>

static long call(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	long nr = argc > 1 ? atol(argv[1]) : 110;
	char buf[1];
	long a1 = nr == 318 ? (long)buf : -1, a2 = nr == 318 ? 0 : (long)buf;

	for (int i = 0; i < 100; i++)
		call(nr, a1, a2, 0);
	__asm__ volatile("int3");
	call(nr, a1, a2, 0);
	__asm__ volatile("int3");
	return 0;
}
