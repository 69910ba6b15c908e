/* twopreload -- executes itself with an environment that names
 * LD_PRELOAD twice, each entry another library (the loader takes the
 * last, getenv the first); the child lists its entries. Under zpoline the
 * runtime adds itself to each for the child, which must still see them as
 * given, in order, each its own. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (char **e = environ; *e != NULL; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
				printf("child: %s\n", *e);
		return 0;
	}
	char *env[] = { "LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6", "A=1",
			"LD_PRELOAD=/lib/x86_64-linux-gnu/libz.so.1", NULL };
	char *args[] = { argv[0], "child", NULL };
	fflush(stdout);
	execve("/proc/self/exe", args, env);
	perror("execve");
	return 1;
}
