/* swap-lib -- a library that renames $SWAP_FROM over its own file (the
 * libswap.so in the same directory) while the loader relocates it, as a
 * package upgrade may between the loader's mapping and the runtime's scan:
 * its name then names another object. Its leak (leak-lib.c) stays the
 * code in memory.
 *
 * The runtime's constructor runs before every other initialiser, so this
 * is done where code runs earlier still: an IFUNC resolver, called while
 * the loader relocates this library, with raw system calls and no libc
 * (not initialised yet: the variable is read from /proc/self/environ). */
#include <fcntl.h>
#include <sys/syscall.h>

static long raw(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix != '\0')
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int swapped(void)
{
	return 1;
}

typedef int swapped_fn(void);

static swapped_fn *resolve_swapped(void)
{
	static char env[65536], to[4096];
	long fd = raw(SYS_open, (long)"/proc/self/environ", O_RDONLY, 0), n = 0, r;

	if (fd < 0)
		return swapped;
	while (n < (long)sizeof(env) - 1 && (r = raw(SYS_read, fd, (long)env + n, sizeof(env) - 1 - n)) > 0)
		n += r;
	raw(SYS_close, fd, 0, 0);
	env[n] = '\0';
	for (long i = 0; i < n;) {
		const char *e = env + i;
		long len = 0;
		while (e[len] != '\0')
			len++;
		if (starts(e, "SWAP_FROM=") && len < (long)sizeof(to) - 16) {
			const char *from = e + 10;
			long slash = -1, k = 0;
			for (; from[k] != '\0'; k++) {
				to[k] = from[k];
				if (from[k] == '/')
					slash = k;
			}
			const char *name = "/libswap.so";
			k = slash;
			for (long j = 0; name[j] != '\0'; j++)
				to[k++] = name[j];
			to[k] = '\0';
			if (slash >= 0)
				raw(SYS_rename, (long)from, (long)to, 0);
		}
		i += len + 1;
	}
	return swapped;
}

int swap_lib_swapped(void) __attribute__((ifunc("resolve_swapped")));
/* a pointer in data: its relocation calls the resolver as the loader
 * relocates this library, whether or not anything calls the function */
int (*volatile swap_lib_ref)(void) = swap_lib_swapped;
