/* umalloc.c -- the runtime's own allocator: the program's malloc is the
 * program's (issue 10: its heap, its counters, its getrandom are not ours
 * to touch)
 *
 * Blocks of up to 128 KiB are cut, at their size rounded to 16 bytes (a
 * 16-byte header included), one after the other from arenas mapped on
 * first use: anonymous and reserved without backing, so a page costs its
 * fault when first written, as a fresh heap page does, and blocks packed
 * as tightly as libc's leave as few pages touched. A freed block goes to
 * the free list of the largest power of two it holds, and a request takes
 * from the list of the smallest power of two that holds it, so any block
 * there fits. The block cut last grows in place. Larger blocks are
 * mappings of their own (realloc by mremap). The header says which.
 *
 * One lock, for the program's threads (the late path runs in whichever
 * thread calls dlopen). Nothing allocates in a signal handler or a vfork
 * child. Fork: every change below is made visible by one last store, so a
 * thread of the parent caught inside the lock leaves the child's copy
 * whole (at worst a block lost); zp_umalloc_forked drops the lock.
 *
 * The dynamic loader gets blocks too, for what the runtime loads
 * (rtldalloc.c), and later frees or reallocs them through the pointer it
 * uses for the program's: zp_umalloc_mine tells them apart, without the
 * lock (an arena's range, or a large block noted at zp_umalloc_loader). */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "umalloc.h"

#define NCLASS 14                       /* free lists of 16 << k bytes: 32 B .. 128 KiB, k > 0 */
#define MAX_SMALL ((size_t)16 << (NCLASS - 1))
#define SMALL 0
#define LARGE 1
#define ARENA (1024 * 1024)
#define NARENA 8                        /* 8 MiB, then every block is a mapping */

struct header {
	size_t len;                     /* the block's (LARGE: the mapping's) bytes */
	size_t kind;                    /* SMALL or LARGE */
};

struct freeblock {
	struct header h;
	struct freeblock *next;
};
_Static_assert(sizeof(struct freeblock) <= 32, "the smallest block holds its free list's link");

/* The state, small and 8-aligned (not the 32 GCC gives an array this
 * size): with --sort-section=alignment it lies with the small variables
 * start-up writes anyway, not on a page of its own (two faults more).
 * bump: where the next block is cut, the current arena's number plus one
 * (0: no arena yet) above bit 32, its offset in that arena below; high:
 * how far the current arena was ever written (above, its pages are
 * untouched zeroes). */
static struct {
	struct freeblock *free_list[NCLASS];
	uintptr_t arena[NARENA];
	uint64_t bump;
	uintptr_t high;
	int lock;
} st __attribute__((aligned(8)));

/* The large blocks given to the dynamic loader (zp_umalloc_loader), so
 * that zp_umalloc_mine knows them: the loader frees and reallocs what it
 * allocated long after, through the same pointer as the program's
 * blocks. 0: a free slot. Few: it asks for large blocks rarely. */
#define NLOADER_LARGE 32
static uintptr_t loader_large[NLOADER_LARGE];

static void take(void)
{
	while (__atomic_exchange_n(&st.lock, 1, __ATOMIC_ACQUIRE) != 0)
		zp_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static void drop(void)
{
	__atomic_store_n(&st.lock, 0, __ATOMIC_RELEASE);
}

void zp_umalloc_forked(void)
{
	st.lock = 0;
}

static void *map(size_t len)
{
	long r = zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return r < 0 && r > -4096 ? NULL : (void *)r;
}

/* class_up -- the smallest k with 16 << k >= size; class_down -- the
 * largest with 16 << k <= size (size from 32 to MAX_SMALL) */
static size_t class_up(size_t size)
{
	size_t k = 1;

	while (((size_t)16 << k) < size)
		k++;
	return k;
}

static size_t class_down(size_t size)
{
	size_t k = NCLASS - 1;

	while (((size_t)16 << k) > size)
		k--;
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
	h->kind = LARGE;
	return h + 1;
}

/* the block cut last, and the arena's room after it (under the lock) */
static struct header *top(size_t *room)
{
	uint64_t i = st.bump >> 32, off = st.bump & 0xffffffff;

	*room = i == 0 ? 0 : ARENA - off;
	return i == 0 ? NULL : (struct header *)(st.arena[i - 1] + off);
}

/* at_top -- is h the block cut last in the current arena (not one that
 * ends where another arena, mapped right after its own, begins)? */
static bool at_top(const struct header *h, size_t *room)
{
	uintptr_t t = (uintptr_t)top(room);

	return t != 0 && (uintptr_t)h >= st.arena[(st.bump >> 32) - 1] && (uintptr_t)h + h->len == t;
}

/* reach -- the current arena was written up to end (under the lock) */
static void reach(uintptr_t end)
{
	if (end > st.high)
		st.high = end;
}

/* take_free -- a free block of size bytes or more: from the list whose
 * blocks all fit, else the first that fits among the next smaller ones */
static struct header *take_free(size_t size)
{
	size_t k = class_up(size);
	struct freeblock *f = st.free_list[k];

	if (f != NULL) {
		st.free_list[k] = f->next;
		return &f->h;
	}
	if (k == 1)
		return NULL;
	for (struct freeblock **at = &st.free_list[k - 1]; *at != NULL; at = &(*at)->next)
		if ((*at)->h.len >= size) {
			f = *at;
			*at = f->next;
			return &f->h;
		}
	return NULL;
}

/* get -- a block of n bytes; *dirty: how many of its first bytes may be
 * other than zero (the rest are the kernel's zeroes, never written) */
static void *get(size_t n, size_t *dirty)
{
	struct header *h;
	size_t room;

	*dirty = 0;
	if (n > MAX_SMALL - sizeof(*h))
		return get_large(n);
	size_t size = (n + sizeof(*h) + 15) & ~(size_t)15;
	if (size < 32)
		size = 32;      /* the smallest list's, which holds a free block's link */
	take();
	if ((h = take_free(size)) != NULL) {
		drop();
		*dirty = n;
		return h + 1;
	}
	h = top(&room);
	if (room < size) {
		/* the rest of the old arena is lost: blocks of up to an
		 * eighth of an arena are cut from it, most much smaller */
		uint64_t i = st.bump >> 32;
		void *a = i < NARENA ? map(ARENA) : NULL;
		if (a == NULL) {
			drop();
			return i < NARENA ? NULL : get_large(n);
		}
		/* high last: a fork between these stores leaves it
		 * saying too much was written, never too little */
		st.arena[i] = (uintptr_t)a;
		st.bump = (i + 1) << 32;
		st.high = (uintptr_t)a;
		h = a;
	}
	st.bump += size;
	/* a block given back at the top was cut again */
	uintptr_t data = (uintptr_t)(h + 1);
	*dirty = st.high > data ? st.high - data : 0;
	reach((uintptr_t)h + size);
	drop();
	h->len = size;
	h->kind = SMALL;
	return h + 1;
}

void *__wrap_malloc(size_t n)
{
	size_t dirty;

	return get(n, &dirty);
}

void *__wrap_calloc(size_t n, size_t size)
{
	size_t total, dirty;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	void *p = get(total, &dirty);
	if (p != NULL)
		memset(p, 0, dirty < total ? dirty : total);
	return p;
}

void __wrap_free(void *p)
{
	if (p == NULL)
		return;
	struct header *h = (struct header *)p - 1;
	if (h->kind == LARGE) {
		for (size_t i = 0; i < NLOADER_LARGE; i++) {
			uintptr_t want = (uintptr_t)h;
			__atomic_compare_exchange_n(&loader_large[i], &want, 0, false, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
		}
		zp_raw_syscall(SYS_munmap, (long)h, (long)h->len, 0, 0, 0, 0);
		return;
	}
	struct freeblock *f = (struct freeblock *)h;
	size_t k = class_down(h->len), room;
	take();
	if (at_top(h, &room)) {
		/* the block cut last: cut again from its start, as libc
		 * merges a chunk into its top (start-up frees in about the
		 * order it allocated, and touches fewer pages) */
		st.bump -= h->len;
	} else {
		f->next = st.free_list[k];
		st.free_list[k] = f;
	}
	drop();
}

/* grow_top -- the block cut last grows to size in place, if the arena
 * has the room */
static bool grow_top(struct header *h, size_t size)
{
	size_t room;
	bool done = false;

	take();
	if (at_top(h, &room) && room >= size - h->len) {
		st.bump += size - h->len;
		reach((uintptr_t)h + size);
		h->len = size;
		done = true;
	}
	drop();
	return done;
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
	if (h->kind == SMALL && n <= MAX_SMALL - sizeof(*h) &&
	    grow_top(h, (n + sizeof(*h) + 15) & ~(size_t)15))
		return p;
	if (h->kind == LARGE && n <= SIZE_MAX - sizeof(*h) - ZP_PAGE_SIZE) {
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

void *zp_umalloc_loader(size_t n, bool zero)
{
	size_t dirty;
	void *p = get(n, &dirty);

	if (p == NULL)
		return NULL;
	if (((struct header *)p - 1)->kind == SMALL) {
		if (zero)
			memset(p, 0, dirty < n ? dirty : n);
		return p;
	}
	/* a mapping of its own (a large block, or every arena used up):
	 * the kernel's zeroes, and noted */
	for (size_t i = 0; i < NLOADER_LARGE; i++) {
		uintptr_t none = 0;
		if (__atomic_compare_exchange_n(&loader_large[i], &none, (uintptr_t)p - sizeof(struct header),
						false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return p;
	}
	__wrap_free(p);
	return NULL;
}

bool zp_umalloc_mine(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	for (size_t i = 0; i < NARENA; i++) {
		uintptr_t base = __atomic_load_n(&st.arena[i], __ATOMIC_ACQUIRE);
		if (base == 0)
			break;
		if (a - base < ARENA)
			return true;
	}
	for (size_t i = 0; i < NLOADER_LARGE; i++)
		if (a - sizeof(struct header) == __atomic_load_n(&loader_large[i], __ATOMIC_ACQUIRE))
			return true;
	return false;
}

size_t zp_umalloc_room(const void *p)
{
	return ((const struct header *)p - 1)->len - sizeof(struct header);
}
