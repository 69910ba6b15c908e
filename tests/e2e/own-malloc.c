/* own-malloc.c -- a program whose allocator is set up by its own
 * constructor: its malloc family aborts if called before that, and its
 * free and realloc abort if given a block it never gave. Natively the
 * dynamic loader calls none of them before the program's constructors;
 * the runtime, and what it loads through the loader (dlmopen'd hooks,
 * --catch-late's decoder, the scanner module), must not either, and must
 * never hand the program a block of its own to free.
 *
 * Then it does what makes the loader allocate, free and resize again:
 * threads (a dtv and TLS blocks each, freed at their exit), dlopen of
 * the libraries named on the command line (slotinfo, scopes, a larger
 * dtv), dlclose, and a fork whose child does the same.
 *
 * Each thread, before anything of its own that allocates, makes calls
 * the bundled hooks see (getppid: what their tests deny with p=; an open
 * for writing: an audit record), and checks that nothing called the
 * malloc family in it since it started: natively nothing does, and a
 * hook's per-thread state must not come from the program's malloc (the
 * loader allocates a hook's `__thread` data there at its first use in a
 * thread, hooks/thread.h).
 *
 * usage: own-malloc [LIB...] (each LIB's own_tls_touch, if it has one, is
 * called in every thread of the second round: TLS blocks the loader
 * allocates and frees) */
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define ARENA (64 << 20)

static char *arena;
static size_t used;
static unsigned long calls;
static __thread unsigned long thread_calls;     /* in this thread */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what)
{
	if (write(2, what, strlen(what)) < 0)
		_exit(3);
	abort();
}

__attribute__((constructor(101))) static void setup(void)
{
	static char mem[ARENA] __attribute__((aligned(16)));

	arena = mem;
}

static bool ours(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + ARENA;
}

/* each block: its size in the 16 bytes before it */
static void *get(size_t n)
{
	if (arena == NULL)
		die("own-malloc: the malloc family was called before the program's constructor\n");
	pthread_mutex_lock(&lock);
	calls++;
	thread_calls++;
	size_t need = (n + 31) & ~(size_t)15;
	if (used + need > ARENA)
		die("own-malloc: out of memory\n");
	char *p = arena + used + 16;
	used += need;
	pthread_mutex_unlock(&lock);
	*(size_t *)(p - 16) = n;
	return p;
}

EXPORT void *malloc(size_t n)
{
	return get(n);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return memset(get(total), 0, total);
}

EXPORT void free(void *p)
{
	if (p != NULL && !ours(p))
		die("own-malloc: free of a block this allocator never gave\n");
}

EXPORT void *realloc(void *p, size_t n)
{
	if (p != NULL && !ours(p))
		die("own-malloc: realloc of a block this allocator never gave\n");
	void *q = get(n);
	if (p != NULL) {
		size_t old = *(size_t *)((char *)p - 16);
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}

EXPORT void *memalign(size_t align, size_t n)
{
	char *p = get(n + align);

	return p + (align - (uintptr_t)p % align) % align;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	*out = memalign(align, n);
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

static int (*touch[16])(int);
static int ntouch;

static void *thread(void *arg)
{
	(void)getppid();
	int fd = open("/dev/null", O_WRONLY);
	if (fd >= 0)
		close(fd);
	if (thread_calls != 0)
		die("own-malloc: the malloc family was called in a new thread before the thread allocated "
		    "anything\n");
	for (int i = 0; i < ntouch; i++)
		touch[i](i);
	return arg;
}

/* work -- threads, then each library dlopen'd, threads again (their dtvs
 * now larger), and the libraries closed */
static int work(int nlibs, char **libs)
{
	pthread_t t[8];
	void *h[16];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 8; i++)
			if (pthread_create(&t[i], NULL, thread, NULL) != 0)
				return 1;
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; round == 0 && i < nlibs && i < 16; i++)
			if ((h[i] = dlopen(libs[i], RTLD_NOW)) == NULL) {
				printf("dlopen %s: %s\n", libs[i], dlerror());
				return 1;
			} else if ((*(void **)&touch[ntouch] = dlsym(h[i], "own_tls_touch")) != NULL) {
				ntouch++;
			}
	}
	ntouch = 0;
	for (int i = 0; i < nlibs && i < 16; i++)
		dlclose(h[i]);
	return 0;
}

int main(int argc, char **argv)
{
	/* how many calls the constructors made is libc's business */
	if (work(argc - 1, argv + 1) != 0)
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(work(argc - 1, argv + 1));
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("the fork child failed\n");
		return 1;
	}
	printf("the allocator was set up first, gave every block freed; threads, dlopen, dlclose and "
	       "fork ran; calls made: %s\n", calls > 0 ? "some" : "none");
	return 0;
}
