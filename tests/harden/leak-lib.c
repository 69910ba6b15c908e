/* leak-lib -- leak(path): open (SYS_open, which libc no longer uses), read and print a file with system call
 * instructions of its own (no libc), as hostile code would; 0 when the
 * file was printed, 1 when the open failed (the hooks denied it) */
#include <fcntl.h>
#include <sys/syscall.h>

static long raw(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

__attribute__((visibility("default"))) int leak(const char *path);
int leak(const char *path)
{
	char buf[4096];
	long fd = raw(SYS_open, (long)path, O_RDONLY, 0);

	if (fd < 0) {
		raw(SYS_write, 2, (long)"leak: open denied\n", 18);
		return 1;
	}
	long n = raw(SYS_read, fd, (long)buf, sizeof(buf));
	if (n > 0)
		raw(SYS_write, 1, (long)buf, n);
	raw(SYS_close, fd, 0, 0);
	return 0;
}
