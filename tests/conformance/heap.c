/* heap.c -- the program's allocator and heap are the program's: the calls
 * made to its malloc family before its first constructor, and whether a
 * [heap] mapping exists then, are what they are natively.
 *
 * The program defines the malloc family (forwarded to glibc's __libc_*),
 * as a program with an allocator of its own does: every call libc, the
 * loader or a preloaded library makes through malloc comes here, and says
 * where it came from.
 *
 * usage: heap MODE [late LIB | exec]
 *   MODE all: every call counts, and [heap] is looked at; MODE runtime:
 *     the calls the dynamic loader makes are left out (where its state
 *     differs from a native run's: after more than one dlmopen, a later
 *     dlopen resizes blocks of the runtime's, not the program's)
 *   late LIB: also the calls dlopen(LIB) made (the runtime rewrites LIB
 *     as it is mapped); exec: also those of an execve'd copy of itself */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

/* exported (the build hides symbols by default): the loader and libc must
 * bind their calls to these */
#define EXPORT __attribute__((visibility("default")))

enum { MALLOC, CALLOC, REALLOC, FREE, MEMALIGN, ALIGNED_ALLOC, POSIX_MEMALIGN, NFUNCS };
static const char *const names[NFUNCS] = {
	"malloc", "calloc", "realloc", "free", "memalign", "aligned_alloc", "posix_memalign",
};
static unsigned long calls[NFUNCS];
/* where the first calls came from, to tell the loader's from the rest */
static void *from[4096];
static int nfrom[4096];
static size_t nrecorded, nlost;

static void note(int f, void *ret)
{
	calls[f]++;
	if (nrecorded < sizeof(from) / sizeof(from[0])) {
		from[nrecorded] = ret;
		nfrom[nrecorded++] = f;
	} else {
		nlost++;
	}
}

EXPORT void *malloc(size_t n)
{
	note(MALLOC, __builtin_return_address(0));
	return __libc_malloc(n);
}

EXPORT void *calloc(size_t n, size_t size)
{
	note(CALLOC, __builtin_return_address(0));
	return __libc_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t n)
{
	note(REALLOC, __builtin_return_address(0));
	return __libc_realloc(p, n);
}

EXPORT void free(void *p)
{
	note(FREE, __builtin_return_address(0));
	__libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
	note(MEMALIGN, __builtin_return_address(0));
	return __libc_memalign(align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	note(ALIGNED_ALLOC, __builtin_return_address(0));
	return __libc_memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	note(POSIX_MEMALIGN, __builtin_return_address(0));
	void *p = __libc_memalign(align, n);
	if (p == NULL)
		return 12;      /* ENOMEM */
	*out = p;
	return 0;
}

/* at the first constructor: the calls not made by the loader, those the
 * loader made, and whether there was a heap */
static unsigned long at_ctor[NFUNCS], by_loader;
static size_t recorded_at_ctor;
static int heap_at_ctor;

/* has_heap -- /proc/self/maps has a [heap] line (read with no stdio: that
 * would allocate) */
static int has_heap(void)
{
	static char buf[1 << 16];
	size_t len = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	return strstr(buf, "[heap]") != NULL;
}

/* by_the_loader -- was recorded call i made by the dynamic loader (does
 * it return into the object at AT_BASE)? */
static bool by_the_loader(size_t i)
{
	Dl_info info;

	return dladdr(from[i], &info) != 0 && info.dli_fbase == (void *)getauxval(AT_BASE);
}

__attribute__((constructor(101))) static void first_ctor(void)
{
	heap_at_ctor = has_heap();
	recorded_at_ctor = nrecorded;
	memcpy(at_ctor, calls, sizeof(calls));
	/* the calls not recorded count as not the loader's */
	for (size_t i = 0; i < recorded_at_ctor; i++)
		if (by_the_loader(i)) {
			at_ctor[nfrom[i]]--;
			by_loader++;
		}
}

static unsigned long total(void)
{
	unsigned long n = 0;

	for (int i = 0; i < NFUNCS; i++)
		n += calls[i];
	return n;
}

/* say -- printf's and dprintf's buffers are mallocs of their own */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(2);
}

int main(int argc, char **argv)
{
	char line[512];
	int n = 0;

	if (argc < 2 || (strcmp(argv[1], "all") != 0 && strcmp(argv[1], "runtime") != 0)) {
		say("usage: heap all|runtime [late LIB | exec]\n");
		return 2;
	}
	bool all = strcmp(argv[1], "all") == 0;
	bool child = argc > 2 && strcmp(argv[2], "child") == 0;
	for (int i = 0; i < NFUNCS; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", i ? ", " : "", names[i], at_ctor[i]);
	say("%s, before the first constructor, calls not made by the dynamic loader: %s\n",
	    child ? "the exec'd child" : "the program", line);
	if (all)
		say("%s, before the first constructor: %lu calls made by the dynamic loader; [heap] %s\n",
		    child ? "the exec'd child" : "the program", by_loader,
		    heap_at_ctor < 0 ? "unknown" : heap_at_ctor ? "mapped" : "not mapped");
	if (argc > 3 && strcmp(argv[2], "late") == 0) {
		unsigned long before = total(), loader = 0;
		size_t first = nrecorded;
		void *h = dlopen(argv[3], RTLD_NOW);
		unsigned long during = total() - before;
		if (h == NULL) {
			say("dlopen %s: %s\n", argv[3], dlerror());
			return 1;
		}
		for (size_t i = first; i < nrecorded; i++)
			loader += by_the_loader(i);
		/* the loader's own state differs after a dlmopen */
		if (all)
			say("dlopen made %lu calls to the malloc family\n", during);
		else
			say("dlopen made %lu calls to the malloc family not from the dynamic loader\n",
			    during - loader);
	}
	if (argc > 2 && strcmp(argv[2], "exec") == 0) {
		char *args[] = { argv[0], argv[1], "child", NULL };
		execv("/proc/self/exe", args);
		say("cannot exec /proc/self/exe\n");
		return 1;
	}
	return 0;
}
