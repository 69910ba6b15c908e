/* rtldalloc.c -- what the dynamic loader allocates for what the runtime
 * loads comes from the runtime's allocator, not from the program's malloc
 *
 * glibc's ld.so allocates link maps, scope arrays, TLS slotinfo and dtvs
 * through four pointers of its own, __rtld_malloc, __rtld_calloc,
 * __rtld_realloc and __rtld_free (elf/dl-minimal.c): its minimal
 * allocator until start-up relocation is done, then (rtld.c,
 * __rtld_malloc_init_real) the malloc family the main namespace resolves,
 * the program's own if it defines one. So every dlmopen the runtime makes
 * (a hook that needs libc, --catch-late's decoder, the scanner module on
 * a cache miss) would call the program's allocator before the program's
 * first constructor.
 *
 * ld.so has no symbol table to find those pointers by on every
 * distribution, but it imports nothing, so in its RELRO segment (where
 * they live, attribute_relro) the words equal to the main namespace's
 * malloc, calloc, realloc and free are them. Exactly one of each must be
 * found, else nothing is changed (ZPOLINE_VERBOSE says so). They are
 * pointed at the functions below, for good:
 *
 *   malloc, calloc   umalloc while the runtime loads (zp_rtld_alloc_begin
 *                    .. _end, in that thread), else the program's, as
 *                    natively
 *   free, realloc    umalloc for its own blocks (zp_umalloc_mine), the
 *                    program's for the rest: the loader frees and resizes
 *                    what it allocated long after (a dtv on a later dlopen,
 *                    on thread exit; a dlclose)
 *
 * A block the loader asks umalloc to grow moves to a new umalloc block. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "runtime.h"
#include "umalloc.h"

enum { MALLOC, CALLOC, REALLOC, FREE, NFUNCS };

static const char *const names[NFUNCS] = { "malloc", "calloc", "realloc", "free" };

/* the program's (the main namespace's) malloc family, as ld.so had it */
static void *(*prog_malloc)(size_t);
static void *(*prog_calloc)(size_t, size_t);
static void *(*prog_realloc)(void *, size_t);
static void (*prog_free)(void *);

/* > 0: this thread is loading something through the loader for the
 * runtime (per thread: another thread's pthread_create or dlopen then is
 * the program's, and a fork child has no other thread's window) */
static __thread int loading __attribute__((tls_model("initial-exec")));

static void *rtld_malloc(size_t n)
{
	if (loading > 0) {
		void *p = zp_umalloc_loader(n, false);
		if (p != NULL)
			return p;
	}
	return prog_malloc(n);
}

static void *rtld_calloc(size_t n, size_t size)
{
	size_t total;

	if (loading > 0 && !__builtin_mul_overflow(n, size, &total)) {
		void *p = zp_umalloc_loader(total, true);
		if (p != NULL)
			return p;
	}
	return prog_calloc(n, size);
}

static void rtld_free(void *p)
{
	if (p == NULL)
		return;
	if (zp_umalloc_mine(p))
		__wrap_free(p);
	else
		prog_free(p);
}

static void *rtld_realloc(void *p, size_t n)
{
	if (p == NULL)
		return rtld_malloc(n);
	if (!zp_umalloc_mine(p))
		return prog_realloc(p, n);
	if (n == 0) {
		__wrap_free(p);
		return NULL;
	}
	size_t room = zp_umalloc_room(p);
	if (n <= room)
		return p;
	void *q = zp_umalloc_loader(n, false);
	if (q == NULL)
		return NULL;
	memcpy(q, p, room);
	__wrap_free(p);
	return q;
}

/* the x86-64 ABI's: the loader's TLS for a module, allocated on first use */
struct tls_index {
	unsigned long module, offset;
};
extern void *__tls_get_addr(struct tls_index *ti);

/* find_ldso -- dl_iterate_phdr's callback: ld.so's RELRO segment */
struct relro {
	uintptr_t base, start, end;
};

static int find_ldso(struct dl_phdr_info *info, size_t size, void *data)
{
	struct relro *r = data;

	(void)size;
	if (info->dlpi_addr != r->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			r->start = r->base + info->dlpi_phdr[i].p_vaddr;
			r->end = r->start + info->dlpi_phdr[i].p_memsz;
			return 1;
		}
	return 1;
}

/* put -- store v at word w of ld.so's RELRO; pages below protected end
 * were made read-only by the loader, the partial page after stays
 * writable (as glibc's _dl_protect_relro leaves it) */
static bool put(uintptr_t *w, uintptr_t v, uintptr_t protected_end)
{
	uintptr_t page = (uintptr_t)w & ~(uintptr_t)(ZP_PAGE_SIZE - 1);
	bool ro = page < protected_end;

	if (ro && zp_raw_syscall(SYS_mprotect, (long)page, ZP_PAGE_SIZE, PROT_READ | PROT_WRITE, 0, 0, 0) != 0)
		return false;
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	if (ro && zp_raw_syscall(SYS_mprotect, (long)page, ZP_PAGE_SIZE, PROT_READ, 0, 0, 0) != 0)
		zp_fatal(125, "cannot protect the dynamic loader's relocated data again");
	return true;
}

/* install -- point ld.so's four pointers here; false, and a reason in
 * *why, if they cannot be found for sure */
static bool install(const char **why)
{
	struct relro r = { .base = getauxval(AT_BASE) };
	uintptr_t want[NFUNCS], *at[NFUNCS] = { NULL };
	int found[NFUNCS] = { 0 };
	Dl_info info;

	/* 0 when ld.so was run as the program: then the object that
	 * defines __tls_get_addr (ld.so alone does) */
	if (r.base == 0 && dladdr((void *)__tls_get_addr, &info) != 0)
		r.base = (uintptr_t)info.dli_fbase;
	if (r.base == 0 || dl_iterate_phdr(find_ldso, &r) == 0 || r.start == 0) {
		*why = "no RELRO segment of the dynamic loader found";
		return false;
	}
	for (int k = 0; k < NFUNCS; k++) {
		/* looked up as ld.so did: in the main namespace's global
		 * scope (the runtime exports none of these: its own calls go
		 * to the --wrap'd umalloc.c) */
		want[k] = (uintptr_t)dlsym(RTLD_DEFAULT, names[k]);
		if (want[k] == 0) {
			*why = "the program has no malloc family";
			return false;
		}
	}
	for (uintptr_t *w = (uintptr_t *)((r.start + 7) & ~(uintptr_t)7); (uintptr_t)(w + 1) <= r.end; w++)
		for (int k = 0; k < NFUNCS; k++)
			if (*w == want[k]) {
				found[k]++;
				at[k] = w;
			}
	for (int k = 0; k < NFUNCS; k++)
		if (found[k] != 1) {
			*why = found[k] == 0 ? "a pointer of the loader's malloc family was not found"
					     : "a pointer of the loader's malloc family is not the only one of its value";
			return false;
		}
	prog_malloc = (void *(*)(size_t))want[MALLOC];
	prog_calloc = (void *(*)(size_t, size_t))want[CALLOC];
	prog_realloc = (void *(*)(void *, size_t))want[REALLOC];
	prog_free = (void (*)(void *))want[FREE];
	uintptr_t ours[NFUNCS] = {
		[MALLOC] = (uintptr_t)rtld_malloc,
		[CALLOC] = (uintptr_t)rtld_calloc,
		[REALLOC] = (uintptr_t)rtld_realloc,
		[FREE] = (uintptr_t)rtld_free,
	};
	uintptr_t protected_end = r.end & ~(uintptr_t)(ZP_PAGE_SIZE - 1);
	/* free and realloc first: from then on a block of ours is never
	 * handed to the program's allocator */
	static const int order[NFUNCS] = { FREE, REALLOC, CALLOC, MALLOC };
	for (int i = 0; i < NFUNCS; i++)
		if (!put(at[order[i]], ours[order[i]], protected_end)) {
			/* nothing of ours was given out yet (loading is 0):
			 * what was changed may stay */
			*why = "cannot make the dynamic loader's relocated data writable";
			return i > 0;
		}
	return true;
}

void zp_rtld_alloc_begin(void)
{
	/* 1: installed; -1: left as it was; 2: being installed by another
	 * thread (the late path), whose install this one does not wait for */
	static int state;
	int none = 0;

	if (__atomic_compare_exchange_n(&state, &none, 2, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		const char *why = NULL;
		bool done = install(&why);
		__atomic_store_n(&state, done ? 1 : -1, __ATOMIC_RELEASE);
		const char *v = getenv(ZP_ENV_VERBOSE);
		if (why != NULL && v != NULL && *v != '\0' && strcmp(v, "0") != 0)
			zp_msg("%s: what the dynamic loader allocates for the hooks comes from the "
			       "program's malloc", why);
	}
	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 1)
		loading++;
}

void zp_rtld_alloc_end(void)
{
	if (loading > 0)
		loading--;
}

void zp_rtld_alloc_tls(void *handle)
{
	struct link_map *l = NULL;

	if (loading == 0 || dlinfo(handle, RTLD_DI_LINKMAP, &l) != 0)
		return;
	/* every object of the handle's namespace (dl_iterate_phdr shows
	 * only the caller's); a link map is a handle to dlinfo */
	while (l != NULL && l->l_prev != NULL)
		l = l->l_prev;
	for (; l != NULL; l = l->l_next) {
		size_t modid = 0;
		void *data = NULL;
		if (dlinfo(l, RTLD_DI_TLS_MODID, &modid) != 0 || modid == 0 ||
		    dlinfo(l, RTLD_DI_TLS_DATA, &data) != 0 || data != NULL)
			continue;
		struct tls_index ti = { .module = modid, .offset = 0 };
		__tls_get_addr(&ti);
	}
}
