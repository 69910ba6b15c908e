/* ppid -- prints getppid() and LD_PRELOAD, for the CLI tests */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *p = getenv("LD_PRELOAD");

	printf("ppid %d\n", (int)getppid());
	printf("LD_PRELOAD=%s\n", p ? p : "");
	return 0;
}
