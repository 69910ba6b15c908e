/* umalloc.c -- the runtime's own allocator: the program's malloc is the
 * program's (issue 10: its heap, its counters, its getrandom are not ours
 * to touch)
 *
 * Blocks of 16 << k bytes (0 < k < NCLASS, 32 bytes to 128 KiB, the
 * header included) are cut from arenas mapped on first use (anonymous, reserved
 * without backing: a page costs its fault when first written, as a fresh
 * heap page does) and go back to a free list of their size when freed;
 * larger blocks are mappings of their own. The header before each block
 * says which.
 *
 * One lock, for the program's threads (the late path runs in whichever
 * thread calls dlopen). Nothing allocates in a signal handler or a vfork
 * child. Fork: every change below is made visible by one last store, so a
 * thread of the parent caught inside the lock leaves the child's copy
 * whole (at worst a block lost); zp_umalloc_forked drops the lock. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "umalloc.h"

#define NCLASS 14                       /* 16 << k: 32 B .. 128 KiB, k > 0 */
#define LARGE NCLASS                    /* header class of a mapping of its own */
#define ARENA (1024 * 1024)
#define NARENA 64                       /* then every block is a mapping */

struct header {
	size_t len;                     /* LARGE: the mapping's length */
	size_t cls;
};

struct freeblock {
	struct header h;
	struct freeblock *next;
};
_Static_assert(sizeof(struct freeblock) <= 32, "a free block of the smallest class holds its link");

static struct freeblock *free_list[NCLASS];
static uintptr_t arena[NARENA];
/* where the next block is cut: the current arena's number plus one (0: no
 * arena yet) above bit 32, its offset in that arena below */
static uint64_t bump;
static int lock;

static void take(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE) != 0)
		zp_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static void drop(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

void zp_umalloc_forked(void)
{
	lock = 0;
}

static void *map(size_t len)
{
	long r = zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return r < 0 && r > -4096 ? NULL : (void *)r;
}

/* class_of -- the smallest class whose blocks hold n bytes after the
 * header, NCLASS when none does; from 32 bytes: a free block holds the
 * free list's pointer after its header */
static size_t class_of(size_t n)
{
	size_t k = 1;

	if (n > ((size_t)16 << (NCLASS - 1)) - sizeof(struct header))
		return NCLASS;
	while (((size_t)16 << k) - sizeof(struct header) < n)
		k++;
	return k;
}

/* get_large -- a block of n bytes in a mapping of its own */
static void *get_large(size_t n)
{
	struct header *h;

	if (n > SIZE_MAX - sizeof(*h) - ZP_PAGE_SIZE)
		return NULL;
	size_t len = ZP_PAGE_UP(n + sizeof(*h));
	if ((h = map(len)) == NULL)
		return NULL;
	h->len = len;
	h->cls = LARGE;
	return h + 1;
}

/* get -- a block of n bytes; *fresh says it was never used (its bytes
 * are the kernel's zeroes) */
static void *get(size_t n, int *fresh)
{
	size_t k = class_of(n);
	struct header *h;

	*fresh = 1;
	if (k == NCLASS)
		return get_large(n);
	size_t size = (size_t)16 << k;
	take();
	struct freeblock *f = free_list[k];
	if (f != NULL) {
		free_list[k] = f->next;
		drop();
		*fresh = 0;
		return &f->h + 1;
	}
	uint64_t i = bump >> 32, off = bump & 0xffffffff;
	if (i == 0 || ARENA - off < size) {
		/* the rest of the old arena is lost: blocks of up to an
		 * eighth of an arena are cut from it, most much smaller */
		void *a = i < NARENA ? map(ARENA) : NULL;
		if (a == NULL) {
			drop();
			return i < NARENA ? NULL : get_large(n);
		}
		arena[i] = (uintptr_t)a;
		i++;
		off = 0;
	}
	h = (struct header *)(arena[i - 1] + off);
	bump = i << 32 | (off + size);
	drop();
	h->len = size;
	h->cls = k;
	return h + 1;
}

void *__wrap_malloc(size_t n)
{
	int fresh;

	return get(n, &fresh);
}

void *__wrap_calloc(size_t n, size_t size)
{
	int fresh;
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	void *p = get(total, &fresh);
	if (p != NULL && !fresh)
		memset(p, 0, total);
	return p;
}

void __wrap_free(void *p)
{
	if (p == NULL)
		return;
	struct header *h = (struct header *)p - 1;
	if (h->cls == LARGE) {
		zp_raw_syscall(SYS_munmap, (long)h, (long)h->len, 0, 0, 0, 0);
		return;
	}
	struct freeblock *f = (struct freeblock *)h;
	take();
	f->next = free_list[h->cls];
	free_list[h->cls] = f;
	drop();
}

void *__wrap_realloc(void *p, size_t n)
{
	if (p == NULL)
		return __wrap_malloc(n);
	if (n == 0) {
		__wrap_free(p);
		return NULL;
	}
	struct header *h = (struct header *)p - 1;
	size_t room = h->len - sizeof(*h);
	if (n <= room)
		return p;
	if (h->cls == LARGE && n <= SIZE_MAX - sizeof(*h) - ZP_PAGE_SIZE) {
		size_t len = ZP_PAGE_UP(n + sizeof(*h));
		long r = zp_raw_syscall(SYS_mremap, (long)h, (long)h->len, (long)len, MREMAP_MAYMOVE, 0, 0);
		if (r < 0 && r > -4096)
			return NULL;
		h = (struct header *)r;
		h->len = len;
		return h + 1;
	}
	void *q = __wrap_malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, room);
	__wrap_free(p);
	return q;
}

static char *copy(const char *s, size_t len)
{
	char *d = __wrap_malloc(len + 1);

	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *__wrap_strndup(const char *s, size_t n)
{
	return copy(s, strnlen(s, n));
}

char *__wrap_strdup(const char *s)
{
	return copy(s, strlen(s));
}
