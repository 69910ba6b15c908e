/* ctor-leak-lib -- a library whose constructor, in a program called cat,
 * opens $LEAK_FILE (default /etc/hostname) with instructions of its own,
 * prints it and ends the process with status 0: what a hostile LD_PRELOAD
 * entry does if the loader runs its constructor before the runtime's.
 * Denied, it returns. (Not in other programs: zpoline itself, env.) */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static long raw(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

__attribute__((constructor)) static void leak_early(void)
{
	const char *path = getenv("LEAK_FILE");
	char buf[4096];

	if (strcmp(program_invocation_short_name, "cat") != 0)
		return;
	long fd = raw(SYS_openat, AT_FDCWD, (long)(path != NULL ? path : "/etc/hostname"), O_RDONLY);

	if (fd < 0)
		return;
	long n = raw(SYS_read, fd, (long)buf, sizeof(buf));
	if (n > 0)
		raw(SYS_write, 1, (long)buf, n);
	raw(SYS_exit_group, 0, 0, 0);
}
