/* swapname.c -- libswapname.so, linked -z initfirst into leak-swapname: its
 * initialiser, which runs before every other (the runtime's too), points
 * the symlink named by ZP_SWAP_LINK at ZP_SWAP_TO, so the name the program
 * was started by names another file by the time the runtime looks at it */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *value(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (char **e = envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void swap(int argc, char **argv, char **envp)
{
	const char *link = value(envp, "ZP_SWAP_LINK"), *to = value(envp, "ZP_SWAP_TO");
	char tmp[4096];

	(void)argc;
	(void)argv;
	if (link == NULL || to == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.new", link);
	if (symlink(to, tmp) != 0 || rename(tmp, link) != 0)
		_exit(3);
}

/* (the loader gives an initialiser the program's arguments and environment) */
__attribute__((section(".init_array"), used)) static void (*const swap_at_start)(int, char **, char **) = swap;

/* what the program calls, so that the linker keeps this library */
__attribute__((visibility("default"))) void swapname_linked(void);
void swapname_linked(void)
{
}
