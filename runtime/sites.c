/* sites.c -- where the rewritten sites are: the call-site table the stub
 * checks, the slot-output sites its bad-call path looks up, the trap sites
 * the SIGILL handler looks up, and the code of the objects the user
 * excluded. Only ever added to while threads run. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "runtime.h"

/* the call-site set, read by CHECK_SITE in stub.inc: open addressing with
 * linear probing and no wrap-around (PROBE_SLACK spare slots at the end,
 * the last always zero). It starts with room for the sites the objects
 * loaded at start-up have at most three quarters full (each page of it
 * costs a fresh page, about 3 us here: libc's and ld.so's 574 call sites
 * fit 1024 slots, three pages, where twice the sites took five; a hit is
 * still found in under two probes on average), and grows into a new set,
 * published by one pointer, when later libraries fill it; the stub reads
 * without locks, so a set is never freed or shrunk, and a reader of the
 * old one still finds every site added before the new one was
 * published. */
#define PROBE_SLACK 64
#define MIN_SLOTS 1024
/* before zp_sites_init: a set with no site (mask 0, every slot zero) */
static uintptr_t empty_words[1 + 1 + PROBE_SLACK + 1];
#define empty_set (*(struct zp_site_set *)empty_words)
struct zp_site_set *zp_site_set = &empty_set;
/* one adder at a time: a caller that finds another adding (a signal
 * handler that interrupted it included) gets -EBUSY, and makes that site
 * a trap or leaves it for later, as when the set is full */
static int adding;

/* trap sites of the objects loaded at start-up: sorted, binary-searched */
static uintptr_t *trap_sites;
static size_t ntrap_sites, trap_cap;

static inline size_t site_hash(const struct zp_site_set *set, uintptr_t a)
{
	return (a ^ (a >> 5)) & set->mask;
}

static inline size_t set_slots(const struct zp_site_set *set)
{
	return set->mask + 1 + PROBE_SLACK + 1;
}

/* new_set -- the start-up set, empty, of cap (a power of two) slots: from
 * the runtime's allocator (never freed), whose pages are already mapped
 * (an mmap with MAP_POPULATE of its own took 10-25 us here, more than the
 * faults of the pages it filled) */
static struct zp_site_set *new_set(size_t cap)
{
	size_t len = sizeof(struct zp_site_set) + (cap + PROBE_SLACK + 1) * sizeof(uintptr_t);
	struct zp_site_set *set = calloc(1, len);

	if (set == NULL)
		return NULL;
	set->mask = cap - 1;
	return set;
}

/* insert -- ret into set; false when its probe run is full */
static bool insert(struct zp_site_set *set, uintptr_t ret)
{
	for (size_t i = site_hash(set, ret); i < set_slots(set) - 1; i++) {
		if (set->slot[i] == ret)
			return true;
		if (set->slot[i] == 0) {
			__atomic_store_n(&set->slot[i], ret, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* zp_sites_init -- room for expect call sites and ntraps start-up traps */
int zp_sites_init(size_t expect, size_t ntraps)
{
	size_t cap = MIN_SLOTS;

	while (3 * cap < 4 * expect)
		cap *= 2;
	trap_sites = calloc(ntraps + 1, sizeof(*trap_sites));
	if (trap_sites == NULL)
		return -ENOMEM;
	trap_cap = ntraps;
	struct zp_site_set *set = new_set(cap);
	if (set == NULL)
		return -errno;
	__atomic_store_n(&zp_site_set, set, __ATOMIC_RELEASE);
	return 0;
}

/* grow -- a set twice as large with every site of set, published; raw
 * mmap, as a later library's sites are added from the program's mmap */
static struct zp_site_set *grow(struct zp_site_set *set)
{
	size_t cap = (set->mask + 1) * 2;
	size_t len = sizeof(struct zp_site_set) + (cap + PROBE_SLACK + 1) * sizeof(uintptr_t);
	long p = zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if ((unsigned long)p > -4096ul)
		return NULL;
	struct zp_site_set *bigger = (struct zp_site_set *)p;
	bigger->mask = cap - 1;
	for (size_t i = 0; i < set_slots(set); i++)
		if (set->slot[i] != 0 && !insert(bigger, set->slot[i])) {
			zp_raw_syscall(SYS_munmap, p, (long)len, 0, 0, 0, 0);
			return NULL;
		}
	__atomic_store_n(&zp_site_set, bigger, __ATOMIC_RELEASE);
	return bigger;
}

/* zp_sites_add_call -- ret (a site's address + 2) joins the call-site set;
 * -ENOSPC when the set is full and cannot grow, -EBUSY when another adds */
int zp_sites_add_call(uintptr_t ret)
{
	static size_t count;
	int r = 0;

	if (__atomic_exchange_n(&adding, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	struct zp_site_set *set = zp_site_set;
	/* three quarters full: grow first, so probe runs stay short */
	if (set != &empty_set && 4 * (count + 1) > 3 * (set->mask + 1))
		set = grow(set) ?: set;
	if (set == &empty_set || !insert(set, ret)) {
		set = set != &empty_set ? grow(set) : NULL;
		if (set == NULL || !insert(set, ret))
			r = -ENOSPC;
	}
	if (r == 0)
		count++;
	__atomic_store_n(&adding, 0, __ATOMIC_RELEASE);
	return r;
}

/* zp_sites_add_trap -- a start-up trap site, in increasing order */
int zp_sites_add_trap(uintptr_t site)
{
	if (ntrap_sites == trap_cap)
		return -ENOSPC;
	trap_sites[ntrap_sites++] = site;
	return 0;
}

/* zp_sites_is_call -- is ret a rewritten call's return address? */
bool zp_sites_is_call(uintptr_t ret)
{
	const struct zp_site_set *set = __atomic_load_n(&zp_site_set, __ATOMIC_ACQUIRE);

	for (size_t i = site_hash(set, ret); i < set_slots(set) - 1 && set->slot[i] != 0; i++)
		if (set->slot[i] == ret)
			return true;
	return false;
}

/* slot-output sites (the scanner's ZP_SITE_SLOTOUT): rewritten to call
 * *%rax but kept out of the call-site set, so that CHECK_SITE sends them
 * to zp_bad_call (stub.S), which looks their return addresses up here
 * with two scratch registers: a short array, zero-terminated, scanned
 * from the start; only ever appended to. Debian 12 has two (ld.so's
 * F_GETOWN_EX, libc's __longjmp_chk). */
#define MAX_SLOTOUT 64
uintptr_t zp_slotout_sites[MAX_SLOTOUT + 1];
static unsigned nslotout;

/* zp_sites_add_slotout -- ret (a slot-output site's address + 2) joins
 * the set; -ENOSPC when it is full (the site then stays a trap) */
int zp_sites_add_slotout(uintptr_t ret)
{
	unsigned i = __atomic_fetch_add(&nslotout, 1, __ATOMIC_ACQ_REL);

	if (i >= MAX_SLOTOUT)
		return -ENOSPC;
	__atomic_store_n(&zp_slotout_sites[i], ret, __ATOMIC_RELEASE);
	return 0;
}

/* zp_sites_is_slotout -- is ret a slot-output site's return address? */
bool zp_sites_is_slotout(uintptr_t ret)
{
	for (unsigned i = 0; i < MAX_SLOTOUT; i++) {
		uintptr_t a = __atomic_load_n(&zp_slotout_sites[i], __ATOMIC_ACQUIRE);
		if (a == 0)
			return false;
		if (a == ret)
			return true;
	}
	return false;
}

/* trap sites of libraries loaded later: few, looked up only on SIGILL */
#define MAX_LATE_TRAPS 256
static uintptr_t late_traps[MAX_LATE_TRAPS];
static unsigned nlate_traps;

/* zp_sites_add_late_trap -- a late library's trap site: false when full */
bool zp_sites_add_late_trap(uintptr_t site)
{
	unsigned i = __atomic_load_n(&nlate_traps, __ATOMIC_ACQUIRE);
	if (i >= MAX_LATE_TRAPS)
		return false;
	late_traps[i] = site;
	__atomic_store_n(&nlate_traps, i + 1, __ATOMIC_RELEASE);
	return true;
}

/* zp_sites_is_trap -- was site rewritten to ud2? */
bool zp_sites_is_trap(uintptr_t site)
{
	size_t lo = 0, hi = ntrap_sites;
	unsigned nl = __atomic_load_n(&nlate_traps, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < nl; i++)
		if (late_traps[i] == site)
			return true;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (trap_sites[mid] == site)
			return true;
		if (trap_sites[mid] < site)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* the code of excluded objects: calls the safety net catches there go to
 * the kernel unhooked, as the rewritten sites of other objects never
 * include theirs */
#define MAX_EXCLUDED 64
static struct { uintptr_t start, end; } excluded[MAX_EXCLUDED];
static unsigned nexcluded;

/* zp_excluded_add -- [start,end) is code of an excluded object */
void zp_excluded_add(uintptr_t start, uintptr_t end)
{
	unsigned i = __atomic_load_n(&nexcluded, __ATOMIC_ACQUIRE);
	if (i >= MAX_EXCLUDED)
		return;
	excluded[i].start = start;
	excluded[i].end = end;
	__atomic_store_n(&nexcluded, i + 1, __ATOMIC_RELEASE);
}

/* zp_in_excluded -- is addr the code of an object the user excluded? */
bool zp_in_excluded(uintptr_t addr)
{
	unsigned n = __atomic_load_n(&nexcluded, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if (addr >= excluded[i].start && addr < excluded[i].end)
			return true;
	return false;
}
