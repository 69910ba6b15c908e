/* nullcall -- a call through a NULL function pointer crashes with SIGSEGV,
 * as natively, instead of running system call 0 (read) from the sled. */
#include <stdio.h>

int main(int argc, char **argv)
{
	void (*volatile fn)(void) = NULL;

	(void)argv;
	printf("calling through NULL\n");
	fflush(stdout);
	if (argc > 0)
		fn();
	printf("still running\n");
	return 0;
}
