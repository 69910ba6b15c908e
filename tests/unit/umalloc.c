/* umalloc.c -- the runtime's allocator (runtime/umalloc.c): blocks of
 * every size keep what was written to them through realloc and free of
 * other blocks, calloc zeroes, more than the arenas hold is served,
 * threads allocate at once, a child forked while other threads hold the
 * allocator's lock can allocate, and the blocks given to the dynamic
 * loader are told from libc's. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"
#include "umalloc.h"

/* stub.S's, with libc's syscall(2) */
long zp_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long r = syscall(nr, a1, a2, a3, a4, a5, a6);
	return r == -1 ? -errno : r;
}

#define NTHREADS 4
#define SLOTS 64
#define ROUNDS 10000

static int failed;

static void fail(const char *what, size_t n)
{
	printf("FAIL: %s (size %zu)\n", what, n);
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

/* size -- mostly small, some up to 300 KiB (mapped alone) */
static size_t size(unsigned *seed)
{
	unsigned r = rand_r(seed);
	return r % 16 == 0 ? (size_t)r % (300 * 1024) : r % 16 == 1 ? (size_t)r % 20000 : (size_t)r % 300;
}

static bool check(const unsigned char *p, size_t n, unsigned char tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != tag)
			return false;
	return true;
}

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned char *p[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };

	for (int round = 0; round < ROUNDS && !__atomic_load_n(&failed, __ATOMIC_RELAXED); round++) {
		int i = rand_r(&seed) % SLOTS;
		unsigned char tag = (unsigned char)(i + 1);
		if (p[i] != NULL && !check(p[i], len[i], tag))
			fail("a block changed", len[i]);
		size_t n = size(&seed);
		switch (rand_r(&seed) % 4) {
		case 0:
			__wrap_free(p[i]);
			p[i] = __wrap_malloc(n);
			break;
		case 1:
			__wrap_free(p[i]);
			p[i] = __wrap_calloc(n, 1);
			if (p[i] != NULL && !check(p[i], n, 0))
				fail("calloc's block is not zero", n);
			break;
		default: {
			unsigned char *q = __wrap_realloc(p[i], n ? n : 1);
			if (q != NULL && !check(q, len[i] < n ? len[i] : n, tag))
				fail("realloc lost the contents", n);
			p[i] = q;
			n = n ? n : 1;
		}
		}
		if (p[i] == NULL) {
			fail("out of memory", n);
			break;
		}
		if (((uintptr_t)p[i] & 15) != 0)
			fail("a block not aligned to 16", n);
		memset(p[i], tag, n);
		len[i] = n;
	}
	for (int i = 0; i < SLOTS; i++)
		__wrap_free(p[i]);
	return NULL;
}

/* arenas -- more small blocks than 8 arenas hold (the rest are mappings
 * of their own), freed out of order and cut again */
static void arenas(void)
{
	enum { N = 3000, SIZE = 4000 };
	static unsigned char *p[N];

	for (int i = 0; i < N; i++) {
		if ((p[i] = __wrap_malloc(SIZE)) == NULL) {
			fail("out of memory", SIZE);
			return;
		}
		memset(p[i], (unsigned char)i, SIZE);
	}
	for (int i = N - 1; i >= 0; i -= 2) {
		__wrap_free(p[i]);
		p[i] = __wrap_calloc(1, SIZE / 2);
		if (p[i] == NULL || !check(p[i], SIZE / 2, 0))
			fail("calloc's block is not zero", SIZE / 2);
		memset(p[i], (unsigned char)i, SIZE / 2);
	}
	for (int i = 0; i < N; i++)
		if (!check(p[i], i % 2 == N % 2 ? SIZE : SIZE / 2, (unsigned char)i))
			fail("a block changed", SIZE);
	for (int i = 0; i < N; i++)
		__wrap_free(p[i]);
}

/* loader -- the blocks given to the dynamic loader (rtldalloc.c) are
 * known as this allocator's, small and large, zeroed when asked, also
 * once every arena is used up; libc's blocks and the stack are not, nor a
 * large block once freed */
static void loader(void)
{
	enum { N = 3000, SIZE = 4000 };
	static unsigned char *p[N];
	unsigned char *small = zp_umalloc_loader(100, true);
	unsigned char *large = zp_umalloc_loader(300 * 1024, true);
	void *theirs = malloc(100);
	int local;

	if (small == NULL || !zp_umalloc_mine(small) || !check(small, 100, 0) || zp_umalloc_room(small) < 100)
		fail("a small block for the loader", 100);
	if (large == NULL || !zp_umalloc_mine(large) || !check(large, 300 * 1024, 0) ||
	    zp_umalloc_room(large) < 300 * 1024)
		fail("a large block for the loader", 300 * 1024);
	if (zp_umalloc_mine(theirs) || zp_umalloc_mine(&local))
		fail("libc's block or the stack taken for ours", 100);
	__wrap_free(large);
	if (zp_umalloc_mine(large))
		fail("a freed large block still taken for ours", 300 * 1024);
	__wrap_free(small);
	free(theirs);
	/* with the arenas full (a block of SIZE bytes is a mapping of its
	 * own, a page's room), a small request is one too */
	int n = 0;
	while (n < N && (p[n] = __wrap_malloc(SIZE)) != NULL && zp_umalloc_room(p[n++]) < 4000 + 16)
		;
	if (n == N)
		fail("the arenas never filled up", SIZE);
	/* (of a size no free block holds) */
	small = zp_umalloc_loader(20000, true);
	if (small == NULL || !zp_umalloc_mine(small) || !check(small, 20000, 0))
		fail("a block for the loader with every arena used", 20000);
	__wrap_free(small);
	for (int i = 0; i < n; i++)
		__wrap_free(p[i]);
}

int main(void)
{
	pthread_t t[NTHREADS];

	char *s = __wrap_strndup("zpoline-runtime", 7);
	char *d = __wrap_strdup("umalloc");
	if (s == NULL || d == NULL || strcmp(s, "zpoline") != 0 || strcmp(d, "umalloc") != 0)
		fail("strdup or strndup", 0);
	__wrap_free(s);
	__wrap_free(d);

	arenas();
	loader();
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	/* fork while the threads allocate: the child, alone, allocates */
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			zp_umalloc_forked();
			alarm(5);
			for (int k = 0; k < 100; k++)
				__wrap_free(__wrap_malloc((size_t)k * 37));
			_exit(0);
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail("a forked child could not allocate", 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	if (failed)
		return 1;
	printf("%d threads, %d rounds each, 100 forks: ok\n", NTHREADS, ROUNDS);
	return 0;
}
