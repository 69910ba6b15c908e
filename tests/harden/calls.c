/* calls -- makes getppid N times (default 64) and prints one character a
 * call: 'x' when it failed, '.' when it did not; for the deny hook's
 * p=P:seed=S, whose failures must repeat from run to run */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 64;

	for (int i = 0; i < n; i++)
		putchar(syscall(SYS_getppid) < 0 ? 'x' : '.');
	putchar('\n');
	return 0;
}
