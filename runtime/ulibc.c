/* ulibc.c -- the libc calls the runtime makes that allocate inside libc,
 * done without the program's malloc (umalloc.h says how calls get here)
 *
 * glibc's opendir mallocs its DIR, asprintf its string, qsort a copy of
 * the array above 1 KiB, strerror and strsignal a string for a number
 * they do not know. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "umalloc.h"

int __wrap_asprintf(char **out, const char *fmt, ...) ZP_UMALLOC_HIDDEN;
void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
	ZP_UMALLOC_HIDDEN;
DIR *__wrap_fdopendir(int fd) ZP_UMALLOC_HIDDEN;
DIR *__wrap_opendir(const char *path) ZP_UMALLOC_HIDDEN;
struct dirent64 *__wrap_readdir64(DIR *d) ZP_UMALLOC_HIDDEN;
int __wrap_closedir(DIR *d) ZP_UMALLOC_HIDDEN;
int __wrap_dirfd(DIR *d) ZP_UMALLOC_HIDDEN;
char *__wrap_strerror(int e) ZP_UMALLOC_HIDDEN;
char *__wrap_strsignal(int sig) ZP_UMALLOC_HIDDEN;

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*out = n < 0 ? NULL : __wrap_malloc((size_t)n + 1);
	if (*out == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(*out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- qsort: a heap sort, in place ---- */

static void swap(char *a, char *b, size_t size)
{
	while (size >= 8) {
		uint64_t t;
		memcpy(&t, a, 8);
		memcpy(a, b, 8);
		memcpy(b, &t, 8);
		a += 8;
		b += 8;
		size -= 8;
	}
	while (size-- > 0) {
		char t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

static void sift_down(char *base, size_t i, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && cmp(base + c * size, base + (c + 1) * size) < 0)
			c++;
		if (cmp(base + i * size, base + c * size) >= 0)
			return;
		swap(base + i * size, base + c * size, size);
		i = c;
	}
}

/* Not stable, as qsort is not bound to be: the runtime's keys are
 * addresses and offsets, and the cache's times */
void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base;

	for (size_t i = n / 2; i-- > 0;)
		sift_down(b, i, n, size, cmp);
	for (size_t end = n; end-- > 1;) {
		swap(b, b + end * size, size);
		sift_down(b, 0, end, size, cmp);
	}
}

/* ---- directories: getdents64 into a buffer of the DIR's own ---- */

struct udir {
	int fd;
	size_t pos, len;
	/* the kernel's records are struct dirent64's layout */
	char buf[4096 - 32] __attribute__((aligned(8)));
};

DIR *__wrap_fdopendir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	struct udir *d = __wrap_malloc(sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	d->pos = d->len = 0;
	return (DIR *)d;
}

DIR *__wrap_opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *d = __wrap_fdopendir(fd);
	if (d == NULL) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

struct dirent64 *__wrap_readdir64(DIR *dir)
{
	struct udir *d = (struct udir *)dir;

	if (d->pos >= d->len) {
		long r = zp_raw_syscall(SYS_getdents64, d->fd, (long)d->buf, sizeof(d->buf), 0, 0, 0);
		if (r <= 0) {
			if (r < 0)
				errno = (int)-r;
			return NULL;
		}
		d->len = (size_t)r;
		d->pos = 0;
	}
	struct dirent64 *de = (struct dirent64 *)(d->buf + d->pos);
	d->pos += de->d_reclen;
	return de;
}

int __wrap_closedir(DIR *dir)
{
	struct udir *d = (struct udir *)dir;
	int r = close(d->fd);

	__wrap_free(d);
	return r;
}

int __wrap_dirfd(DIR *dir)
{
	return ((struct udir *)dir)->fd;
}

/* ---- messages: glibc's own texts, untranslated (the runtime speaks
 * English in any locale), and a static buffer for unknown numbers ---- */

char *__wrap_strerror(int e)
{
	static char unknown[32];
	const char *s = strerrordesc_np(e);

	if (s != NULL)
		return (char *)s;
	snprintf(unknown, sizeof(unknown), "Unknown error %d", e);
	return unknown;
}

char *__wrap_strsignal(int sig)
{
	static char unknown[32];
	const char *s = sigdescr_np(sig);

	if (s != NULL)
		return (char *)s;
	snprintf(unknown, sizeof(unknown), "Unknown signal %d", sig);
	return unknown;
}
