/* sites.c -- where the rewritten sites are: the call-site table the stub
 * checks, the trap sites the SIGILL handler looks up, and the code of the
 * objects the user excluded. Only ever added to while threads run. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "runtime.h"

/* the call-site set, read by CHECK_SITE in stub.S: open addressing with
 * linear probing and no wrap-around (PROBE_SLACK spare slots at the end,
 * the last always zero) */
#define PROBE_SLACK 64
uintptr_t *zp_site_table;
uintptr_t zp_site_mask;
static size_t site_slots;

/* trap sites of the objects loaded at start-up: sorted, binary-searched */
static uintptr_t *trap_sites;
static size_t ntrap_sites, trap_cap;

static inline size_t site_hash(uintptr_t a)
{
	return (a ^ (a >> 5)) & zp_site_mask;
}

/* zp_sites_init -- room for expect call sites and ntraps start-up traps */
int zp_sites_init(size_t expect, size_t ntraps)
{
	/* room for the libraries loaded later: the table cannot grow, as the
	 * stub reads it without locks */
	size_t cap = 8192;

	while (cap < 2 * expect)
		cap *= 2;
	trap_sites = calloc(ntraps + 1, sizeof(*trap_sites));
	if (trap_sites == NULL)
		return -ENOMEM;
	trap_cap = ntraps;
	site_slots = cap + PROBE_SLACK + 1;
	/* populated at once: its pages fill at random, one fault each */
	void *t = mmap(NULL, site_slots * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (t == MAP_FAILED)
		return -errno;
	zp_site_table = t;
	zp_site_mask = cap - 1;
	return 0;
}

/* zp_sites_add_call -- ret (a site's address + 2) joins the call-site set;
 * -ENOSPC when its probe run is full */
int zp_sites_add_call(uintptr_t ret)
{
	for (size_t i = site_hash(ret); i < site_slots - 1; i++) {
		if (zp_site_table[i] == ret)
			return 0;
		if (zp_site_table[i] == 0) {
			__atomic_store_n(&zp_site_table[i], ret, __ATOMIC_RELEASE);
			return 0;
		}
	}
	return -ENOSPC;
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
	if (zp_site_table == NULL)
		return false;
	for (size_t i = site_hash(ret); i < site_slots - 1 && zp_site_table[i] != 0; i++)
		if (zp_site_table[i] == ret)
			return true;
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
