/* environ -- the environment a program sees: every variable, sorted, then
 * the same for a child it executes with an empty environment (as `env -i`
 * does). Under zpoline the runtime's variables and its LD_PRELOAD entry
 * must not show in either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_environ(const char *who)
{
	size_t n = 0;

	while (environ[n] != NULL)
		n++;
	char **copy = malloc((n + 1) * sizeof(char *));
	memcpy(copy, environ, (n + 1) * sizeof(char *));
	qsort(copy, n, sizeof(char *), cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s: %s\n", who, copy[i]);
	printf("%s: %zu variables\n", who, n);
	free(copy);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		print_environ(argv[1]);
		return 0;
	}
	print_environ("program");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = { argv[0], "child with an empty environment", NULL };
		char *none[] = { NULL };
		execve("/proc/self/exe", args, none);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
