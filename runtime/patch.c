/* patch.c -- the rewrite at start-up: the sites of the objects
 * objects.c listed (from the cache or scanner.c), rewritten in place or
 * by mapping a patched image of their pages over them.
 *
 * A site becomes `call *%rax` (ff d0) when the analysis of its function
 * says the red zone is dead there; otherwise it becomes `ud2` (0f 0b), which
 * pushes nothing: the kernel builds the signal frame below the red zone and
 * signal.c performs the call. Sites are collected first, with libc, libelf
 * and Zydis at hand; then every page is changed with raw system calls only,
 * from read-only to writable (never writable and executable) and back to
 * its exact original protection, so no code that is being rewritten runs
 * while its page is not executable. That needs this thread to be the
 * only one; with others (a library's constructor may start one before
 * ours runs), every site takes the live protocol (zp_live_patch). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

struct site {
	uintptr_t addr;         /* run-time address */
	uint32_t flags;
	uint32_t obj;
};

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* first_site -- where the sites of an object's job start (its load
 * address when it has none) */
static uintptr_t first_site(const struct zp_scan_job *j, const struct zp_object *ob)
{
	return j->got && j->scan.nsites > 0 ? j->scan.sites[0].addr + ob->bias : ob->bias;
}

/* scan_missing -- the objects the cache lacks, from the helper; a
 * function of its own (never inlined) so that a warm start's calls do not
 * run below this message buffer, pages deeper in the stack */
static __attribute__((noinline)) void scan_missing(struct zp_objects *o, struct zp_scan_job *jobs,
						    const char *cachedir, size_t nmiss)
{
	char why[PATH_MAX + 128];
	int r = zp_scan_missing(cachedir, jobs, o->n, why, sizeof(why));

	/* fail closed: the program must not run unhooked unless the
	 * user said so; before any of its code runs */
	if (r < 0 && zp_sud_on)
		zp_msg("%s; the system calls of %zu objects reach the hooks through Syscall User Dispatch, "
		       "a signal each", why, nmiss);
	else if (r < 0 && !zp_best_effort())
		zp_fatal(125, "%s; or give --best-effort (ZPOLINE_BEST_EFFORT=1) to run %zu objects "
			 "unhooked", why, nmiss);
	else if (r < 0)
		zp_msg("%s; the system calls of %zu objects are not hooked (best effort)", why, nmiss);
	for (size_t i = 0; i < o->n; i++) {
		if (!jobs[i].miss)
			continue;
		zp_stats[i].ns = jobs[i].scan.ns;      /* as the helper measured it */
		if (!jobs[i].got && r >= 0 && !o->v[i].excluded)
			zp_unrewritten(o->v[i].path, "the scanner could not read it (unreadable, not an "
				    "ELF file, or changed since it was mapped), or store what it found (a full "
				    "disk, a file size limit)");
	}
}

/* load_program -- every identified object's sites (jobs with a key, nkeyed
 * of them) from the program's entry, if the cache has one for exactly
 * these objects: one file read instead of one for each. *block then holds
 * them. */
static void load_program(struct zp_objects *o, struct zp_scan_job *jobs, size_t nkeyed, int cachefd,
			 void **block)
{
	const struct zp_cache_key **keys = malloc(nkeyed * sizeof(*keys));
	struct zp_scan *s = malloc(nkeyed * sizeof(*s));
	uint64_t t0 = zp_time();
	size_t k = 0;

	for (size_t i = 0; keys != NULL && i < o->n; i++)
		if (jobs[i].key != NULL)
			keys[k++] = jobs[i].key;
	if (keys != NULL && s != NULL && zp_cache_load_program(cachefd, keys, nkeyed, s, block) == 0) {
		bool first = true;
		k = 0;
		for (size_t i = 0; i < o->n; i++) {
			if (jobs[i].key == NULL)
				continue;
			jobs[i].scan = s[k++];
			jobs[i].got = zp_stats[i].cached = true;
			/* the one read: the program's */
			if (first)
				zp_stats[i].ns += zp_time() - t0;
			first = false;
		}
	}
	free(keys);
	free(s);
}

/* store_program -- the program's entry, once every identified object has
 * its sites (from their entries or the helper) */
static void store_program(struct zp_objects *o, struct zp_scan_job *jobs, size_t nkeyed, int cachefd)
{
	const struct zp_cache_key **keys = malloc(nkeyed * sizeof(*keys));
	const char **paths = malloc(nkeyed * sizeof(*paths));
	const struct zp_scan **s = malloc(nkeyed * sizeof(*s));
	size_t k = 0;

	for (size_t i = 0; keys != NULL && paths != NULL && s != NULL && i < o->n; i++) {
		if (jobs[i].key == NULL)
			continue;
		if (!jobs[i].got)
			break;
		keys[k] = jobs[i].key;
		paths[k] = jobs[i].path;
		s[k++] = &jobs[i].scan;
	}
	if (k == nkeyed && zp_cache_store_program(cachefd, keys, paths, s, nkeyed) == 0)
		zp_cache_grew();
	free(keys);
	free(paths);
	free(s);
}

/* scan_objects -- every site of every object that is not excluded: from
 * the cache, and what it lacks from the helper, all objects at once */
static int scan_objects(struct zp_objects *o, int cachefd, const char *cachedir, struct site **out,
			size_t *nout)
{
	struct zp_scan_job *jobs = calloc(o->n ? o->n : 1, sizeof(*jobs));
	struct site *sites = NULL;
	size_t *order = NULL;
	size_t n = 0, cap = 0, nmiss = 0, nkeyed = 0;
	void *block = NULL;     /* the program's entry, which the sites point into */
	int r = -ENOMEM;

	zp_stats = calloc(o->n ? o->n : 1, sizeof(*zp_stats));
	if (zp_stats == NULL || jobs == NULL)
		goto out;
	zp_nstats = o->n;
	for (size_t i = 0; i < o->n; i++) {
		struct zp_object *ob = &o->v[i];
		struct zp_objstat *st = &zp_stats[i];
		uint64_t t0 = zp_time();

		snprintf(st->path, sizeof(st->path), "%s", ob->path);
		if (ob->excluded && !o->count_excluded)
			continue;
		if (!zp_object_key(ob)) {
			if (!ob->excluded)
				zp_unrewritten(ob->path, "cannot identify its file (gone, or no longer the one mapped)");
			continue;
		}
		jobs[i].key = &ob->key;
		jobs[i].path = ob->image != NULL ? "[vdso]" : ob->scan_path[0] != '\0' ? ob->scan_path : ob->path;
		st->ns = zp_time() - t0;
		nkeyed++;
	}
	/* a warm start: the whole program's sites in one file. Not there:
	 * the program's file, taken from its name, confirmed first (another
	 * key, another entry) */
	if (cachefd >= 0 && nkeyed > 0)
		load_program(o, jobs, nkeyed, cachefd, &block);
	int confirmed = block == NULL && jobs[0].key != NULL ? zp_objects_confirm_program(o) : 0;
	if (confirmed < 0) {
		if (!o->v[0].excluded)
			zp_unrewritten(o->v[0].path, "cannot identify its file (gone, or no longer the one mapped)");
		jobs[0].key = NULL;
		nkeyed--;
	} else if (confirmed > 0) {
		jobs[0].path = o->v[0].scan_path[0] != '\0' ? o->v[0].scan_path : o->v[0].path;
		snprintf(zp_stats[0].path, sizeof(zp_stats[0].path), "%s", o->v[0].path);
	}
	if (confirmed != 0 && cachefd >= 0 && nkeyed > 0)
		load_program(o, jobs, nkeyed, cachefd, &block);
	for (size_t i = 0; block == NULL && i < o->n; i++) {
		struct zp_object *ob = &o->v[i];
		struct zp_objstat *st = &zp_stats[i];
		uint64_t t0 = zp_time();

		if (jobs[i].key == NULL)
			continue;
		if (cachefd >= 0 && zp_cache_load(cachefd, &ob->key, &jobs[i].scan) == 0) {
			jobs[i].got = st->cached = true;
			st->ns += zp_time() - t0;
			continue;
		}
		jobs[i].miss = true;
		nmiss++;
	}
	if (nmiss > 0)
		scan_missing(o, jobs, cachedir, nmiss);
	if (block == NULL && cachefd >= 0 && nkeyed > 0)
		store_program(o, jobs, nkeyed, cachefd);
	r = -ENOMEM;
	/* the objects in address order: their sites then come sorted (the
	 * scanner stores each object's in order), and need no qsort */
	for (size_t i = 0; i < o->n; i++)
		if (jobs[i].got && !o->v[i].excluded)
			cap += jobs[i].scan.nsites;
	order = malloc((o->n ? o->n : 1) * sizeof(*order));
	sites = malloc((cap ? cap : 1) * sizeof(*sites));
	if (order == NULL || sites == NULL)
		goto out;
	for (size_t i = 0; i < o->n; i++) {
		size_t k = i;
		for (; k > 0 && first_site(&jobs[order[k - 1]], &o->v[order[k - 1]]) >
					first_site(&jobs[i], &o->v[i]); k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	for (size_t oi = 0; oi < o->n; oi++) {
		size_t i = order[oi];
		struct zp_object *ob = &o->v[i];
		struct zp_objstat *st = &zp_stats[i];
		struct zp_scan *scan = &jobs[i].scan;

		if (!jobs[i].got)
			continue;
		st->bytes = scan->bytes_scanned;
		st->decoded = scan->bytes_decoded;
		bool int80 = false;
		for (size_t k = 0; k < scan->nsites; k++) {
			int80 |= scan->sites[k].flags & ZP_SITE_INT80;
			if (!(scan->sites[k].flags & ZP_SITE_INT80))
				*(scan->sites[k].flags & ZP_SITE_SYSENTER ? &st->sysenter : &st->syscall) += 1;
		}
		if (int80 && !ob->excluded)
			zp_unhooked(ob->path, ZP_INT80_WHY);
		if (ob->excluded) {
			/* counted for the report, left alone */
			st->excluded = (unsigned)scan->nsites;
			continue;
		}
		for (size_t k = 0; k < scan->nsites; k++)
			if (!(scan->sites[k].flags & ZP_SITE_INT80))
				sites[n++] = (struct site){ scan->sites[k].addr + ob->bias, scan->sites[k].flags,
							    (uint32_t)i };
	}
	for (size_t i = 1; i < n; i++)
		if (sites[i].addr < sites[i - 1].addr) {
			qsort(sites, n, sizeof(*sites), cmp_site);
			break;
		}
	*out = sites;
	*nout = n;
	sites = NULL;
	r = 0;
out:
	for (size_t i = 0; jobs != NULL && i < o->n; i++) {
		if (block != NULL)
			jobs[i].scan.sites = NULL;      /* in block */
		zp_scan_free(&jobs[i].scan);
	}
	free(block);
	free(jobs);
	free(order);
	free(sites);
	return r;
}

/* poke -- write through /proc/self/mem, which the kernel allows for a
 * private mapping it will not make writable (the vDSO on recent kernels,
 * W^X policies): the page is copied on write, as for a debugger's
 * breakpoint. The file is opened at the first such site (*memfd -2 until
 * then), by a raw call: libc may be the mapping being changed. */
static bool poke(int *memfd, uintptr_t addr, const uint8_t *bytes)
{
	if (*memfd == -2)
		*memfd = (int)zp_raw_syscall(SYS_openat, AT_FDCWD, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0,
					     0, 0);
	return *memfd >= 0 && zp_raw_syscall(SYS_pwrite64, *memfd, (long)bytes, 2, (long)addr, 0, 0) == 2;
}

#define SITE_DONE (1u << 31)      /* rewritten by mapping an image */

/* clean_file_pages -- is every page of [start,end) still the file's own,
 * none copied on write (relocated text, a debugger's breakpoint)? Pages
 * never touched are not present, and are the file's too. The new mapping
 * starts with none present: the pages the runtime's own start-up used are
 * not mapped again unless the program uses them. */
static bool clean_file_pages(int pagemap, uintptr_t start, uintptr_t end)
{
	/* on the heap (where the cache files just read were freed): 4 KiB
	 * of stack would be pages deeper than the rest of start-up goes */
	size_t max = (end - start) / ZP_PAGE_SIZE < 512 ? (end - start) / ZP_PAGE_SIZE : 512;
	uint64_t *e = malloc((max ? max : 1) * sizeof(*e));
	bool ok = e != NULL;

	for (uintptr_t a = start; ok && a < end;) {
		size_t n = (end - a) / ZP_PAGE_SIZE < max ? (end - a) / ZP_PAGE_SIZE : max;
		ok = pread(pagemap, e, n * 8, (off_t)(a / ZP_PAGE_SIZE * 8)) == (ssize_t)(n * 8);
		for (size_t i = 0; ok && i < n; i++) {
			bool here = e[i] >> 63 & 1, swapped = e[i] >> 62 & 1, file = e[i] >> 61 & 1;
			ok = !swapped && !(here && !file);
		}
		a += n * ZP_PAGE_SIZE;
	}
	free(e);
	return ok;
}

/* zp_image_map -- map, over [start,start+len) (path at file offset off),
 * the patched pages of its image (cache.c): no page is written, so none is
 * copied, and the pages with no site stay the file's own. A run that
 * cannot be mapped gets the file's own pages back. */
bool zp_image_map(int cachefd, int imgfd, int pagemap, const struct zp_cache_key *key, const char *path,
		      struct zp_patch *p, size_t n, uintptr_t start, size_t len, uint64_t off, int prot)
{
	struct zp_image im;
	bool ok = true;

	if (zp_image_open(cachefd, imgfd, key, path, p, n, &im) < 0)
		return false;
	if (im.made)
		zp_cache_grew();
	for (size_t i = 0; ok && i < im.nruns; i++) {
		const struct zp_image_run *r = &im.runs[i];
		ok = r->file_off >= off && r->file_off + r->len <= off + len;
	}
	if (ok && pagemap >= 0 && im.nruns > 0) {
		/* one read of the page map, from the first run to the last */
		const struct zp_image_run *a = &im.runs[0], *b = &im.runs[im.nruns - 1];
		ok = clean_file_pages(pagemap, start + (uintptr_t)(a->file_off - off),
				      start + (uintptr_t)(b->file_off + b->len - off));
	}
	/* raw mmap: a hooked one would come back here (zp_late_mapped) */
	for (size_t i = 0; ok && i < im.nruns; i++) {
		const struct zp_image_run *r = &im.runs[i];
		uintptr_t at = start + (uintptr_t)(r->file_off - off);
		if (zp_raw_syscall(SYS_mmap, (long)at, (long)r->len, prot, MAP_PRIVATE | MAP_FIXED, im.fd,
				   (long)r->image_off) == (long)at)
			continue;
		/* the range may be unmapped now: the file's pages back, and the
		 * runs mapped so far stay (their sites are rewritten) */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || zp_raw_syscall(SYS_mmap, (long)at, (long)r->len, prot, MAP_PRIVATE | MAP_FIXED, fd,
					    (long)r->file_off) != (long)at)
			zp_fatal(125, "cannot map %s back after its image failed", path);
		close(fd);
		zp_image_close(&im);
		return false;
	}
	zp_image_close(&im);
	return ok;
}

/* zp_site_patch -- the two bytes for the site at off: ud2 or call *%rax */
struct zp_patch zp_site_patch(uint64_t off, bool trap)
{
	return (struct zp_patch){ .off = off, .bytes = { trap ? 0x0f : 0xff, trap ? 0x0b : 0xd0 } };
}

/* image_mapping -- zp_image_map for one executable mapping of an object
 * loaded at start-up, whose sites are s[0..n), if its pages are still the
 * file's own */
static bool image_mapping(const struct zp_object *ob, int cachefd, int imgfd, int pagemap, const struct zp_map *m,
			  struct site *s, size_t n)
{
	bool ok = !m->shared && (m->prot & PROT_EXEC) && m->path[0] == '/' && m->dev == ob->key.dev &&
		  m->ino == ob->key.ino;
	struct zp_patch *p = ok ? calloc(n, sizeof(*p)) : NULL;
	if (p != NULL) {
		for (size_t k = 0; k < n; k++)
			p[k] = zp_site_patch(s[k].addr - m->start + m->offset, s[k].flags & ZP_SITE_REDZONE);
		ok = zp_image_map(cachefd, imgfd, pagemap, &ob->key, m->path, p, n, m->start, m->end - m->start, m->offset,
			       m->prot);
	}
	free(p);
	return p != NULL && ok;
}

/* map_images_of -- the executable mappings that can take an image: those
 * holding the code at libc (want_libc), or all the others */
static void map_images_of(const struct zp_objects *o, int cachefd, int imgfd, int pagemap, struct site *s,
			  size_t n, const struct zp_map *maps, size_t nmaps, uintptr_t libc, bool want_libc)
{
	for (size_t i = 0; i < n;) {
		const struct zp_map *m = zp_maps_find(maps, nmaps, s[i].addr);
		const struct zp_object *ob = &o->v[s[i].obj];
		size_t j = i + 1;
		while (j < n && m != NULL && s[j].addr + 2 <= m->end && s[j].obj == s[i].obj)
			j++;
		bool is_libc = m != NULL && libc >= m->start && libc < m->end;
		if (m != NULL && is_libc == want_libc && ob->image == NULL && ob->key.ino != 0 &&
		    s[j - 1].addr + 2 <= m->end && image_mapping(ob, cachefd, imgfd, pagemap, m, s + i, j - i)) {
			for (size_t k = i; k < j; k++) {
				struct zp_objstat *st = &zp_stats[s[k].obj];
				s[k].flags |= SITE_DONE;
				if (s[k].flags & ZP_SITE_REDZONE)
					st->trapped++;
				else
					st->called++;
			}
		}
		i = j;
	}
}

/* map_images -- every object's executable mappings that can take an image,
 * libc's last: the mapping drops its pages from the page tables, and every
 * page of libc the runtime then runs (to open the next image: snprintf,
 * openat, fstat) faults in again, a few microseconds each (about 30 us of
 * the constructor for /bin/true, the loader's image opened before) */
static void map_images(const struct zp_objects *o, int cachefd, struct site *s, size_t n,
		       const struct zp_map *maps, size_t nmaps)
{
	const char *off = getenv(ZP_ENV_IMAGES);
	const uintptr_t libc = (uintptr_t)&close;

	struct statvfs sv;

	if (cachefd < 0 || (off != NULL && strcmp(off, "0") == 0))
		return;
	/* a noexec mount refuses executable mappings of the cache (and the
	 * kernel checks that before MAP_FIXED unmaps what is there) */
	int imgfd = zp_image_dir(cachefd, true);
	if (imgfd < 0)
		return;
	int pagemap = fstatvfs(imgfd, &sv) == 0 && !(sv.f_flag & ST_NOEXEC)
			      ? open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) : -1;
	if (pagemap < 0) {
		close(imgfd);
		return;
	}
	map_images_of(o, cachefd, imgfd, pagemap, s, n, maps, nmaps, libc, false);
	map_images_of(o, cachefd, imgfd, pagemap, s, n, maps, nmaps, libc, true);
	close(pagemap);
	close(imgfd);
}

/* patch_sites -- the rewrite itself: raw system calls only, no libc, and
 * nothing runs from the pages being changed (signals are blocked, and this
 * code is not rewritten), so a whole mapping changes protection at once:
 * two system calls a mapping, not two a page. That holds while this is the
 * only thread. With others (started by a library's constructor, say), a
 * page they run must never lose PROT_EXEC nor show half a site: then every
 * site goes through zp_live_patch, given live (room for n). */
static void patch_sites(struct site *s, size_t n, const struct zp_map *maps, size_t nmaps,
			int *memfd, struct zp_live *live)
{
	const uintptr_t pg = ZP_PAGE_SIZE;
	size_t i = 0, nlive = 0;

	while (i < n) {
		const struct zp_map *m = zp_maps_find(maps, nmaps, s[i].addr);
		/* the sites of this mapping; one straddling its end is refused */
		size_t j = i;
		while (j < n && m != NULL && s[j].addr + 2 <= m->end)
			j++;
		if (j == i)
			j = i + 1;
		if (s[i].flags & SITE_DONE && s[j - 1].flags & SITE_DONE) {
			i = j;          /* the whole mapping took an image */
			continue;
		}
		uintptr_t first = s[i].addr & ~(pg - 1), last = (s[j - 1].addr + 1 + pg) & ~(pg - 1);
		bool usable = m != NULL && !m->shared && (m->prot & PROT_EXEC) && s[i].addr + 2 <= m->end;
		bool writable = usable && live == NULL &&
				zp_raw_mprotect(first, last - first, PROT_READ | PROT_WRITE) == 0;
		for (size_t k = i; k < j; k++) {
			struct zp_objstat *st = &zp_stats[s[k].obj];
			uint8_t *p = (uint8_t *)s[k].addr;
			if (s[k].flags & SITE_DONE)
				continue;
			bool trap = s[k].flags & ZP_SITE_REDZONE;
			/* ud2, or call *%rax; the stub's site table is filled
			 * before any site can reach it */
			const struct zp_patch pt = zp_site_patch(s[k].addr, trap);
			const uint8_t *bytes = pt.bytes;
			bool done = false;
			if (usable && !(p[0] == 0x0f && (p[1] == 0x05 || p[1] == 0x34))) {
				st->changed++;
				continue;
			}
			if (usable && live != NULL) {
				live[nlive++] = (struct zp_live){ s[k].addr, { bytes[0], bytes[1] }, false, (uint32_t)k };
				continue;
			} else if (usable && writable) {
				p[0] = bytes[0];
				p[1] = bytes[1];
				done = true;
			} else if (usable) {
				done = poke(memfd, s[k].addr, bytes);
			}
			if (!done)
				st->noprot++;
			else if (trap)
				st->trapped++;
			else
				st->called++;
		}
		if (writable)
			zp_raw_mprotect(first, last - first, m->prot);
		i = j;
	}
	if (nlive > 0)
		zp_live_patch(live, nlive);
	for (size_t k = 0; k < nlive; k++) {
		struct zp_objstat *st = &zp_stats[s[live[k].tag].obj];
		if (!live[k].done)
			st->noprot++;
		else if (live[k].bytes[0] == 0x0f)
			st->trapped++;
		else
			st->called++;
	}
}

/* the cache directory start-up used, or NULL */
static char *start_cache_dir;

const char *zp_patch_cache_dir(void)
{
	return start_cache_dir;
}

/* zp_patch_all -- scan the objects zp_objects_collect listed and rewrite
 * their sites (all to traps in trap mode) */
int zp_patch_all(bool all_traps)
{
	struct zp_objects o = zp_objs;
	struct site *sites = NULL;
	struct zp_map *maps = NULL;
	size_t nsites = 0, nmaps = 0, ncall = 0;
	sigset_t all, old;
	int fd, r;

	/* on the heap: on the stack, every call below would run a page deeper;
	 * then cut to its length, so that what start-up allocates next
	 * shares its page instead of starting a fresh one past PATH_MAX */
	char *cachebuf = malloc(PATH_MAX);
	int cachefd = cachebuf != NULL ? zp_cache_open(cachebuf, PATH_MAX, true) : -ENOMEM;
	if (cachefd >= 0) {
		char *fit = realloc(cachebuf, strlen(cachebuf) + 1);
		if (fit != NULL)
			cachebuf = fit;
	}
	const char *cachedir = cachefd >= 0 ? cachebuf : NULL;

	zp_best_effort();       /* read now: late.c asks after environ lost it */
	r = scan_objects(&o, cachefd, cachedir, &sites, &nsites);
	if (r < 0)
		goto out;
	if (all_traps)
		for (size_t i = 0; i < nsites; i++)
			sites[i].flags |= ZP_SITE_REDZONE;
	/* slot-output sites become calls outside the call-site set, which
	 * holds the fixup they return through instead (sites.c, stub.S) */
	bool slotout = false;
	for (size_t i = 0; i < nsites && !all_traps; i++) {
		if ((sites[i].flags & ZP_SITE_SLOTOUT) && zp_sites_add_slotout(sites[i].addr + 2) == 0) {
			sites[i].flags &= ~(uint32_t)ZP_SITE_REDZONE;
			slotout = true;
		}
	}

	for (size_t i = 0; i < nsites; i++)
		ncall += !(sites[i].flags & ZP_SITE_REDZONE);
	r = zp_sites_init(ncall + slotout, nsites - ncall);
	if (r < 0)
		goto out;
	if (slotout)
		r = zp_sites_add_call((uintptr_t)zp_slotout_fixup);
	for (size_t i = 0; i < nsites && r == 0; i++) {
		if (sites[i].flags & ZP_SITE_REDZONE)
			r = zp_sites_add_trap(sites[i].addr);
		else if (!(sites[i].flags & ZP_SITE_SLOTOUT))
			r = zp_sites_add_call(sites[i].addr + 2);
	}
	if (r < 0)
		goto out;

	r = zp_objects_maps(&o, &maps, &nmaps);
	if (r == -EAGAIN) {
		fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		r = zp_maps_read(fd, &maps, &nmaps);
		close(fd);
	}
	if (r < 0)
		goto out;

	/* from here the runtime's own calls into libc may pass rewritten
	 * sites: they go to the kernel without the hooks */
	uint64_t guard = zp_tls.guard;
	zp_tls.guard = 1;
	zp_phase_done(ZP_PHASE_SITES);
	map_images(&o, cachefd, sites, nsites, maps, nmaps);
	zp_phase_done(ZP_PHASE_IMAGES);
	int memfd = -2;
	/* another thread may be running the code (a library's constructor
	 * started it): only the live protocol then; no other thread can
	 * appear meanwhile unless one exists. Before the program's code ran,
	 * one started with pthread_create shows in libc's flag, and only an
	 * audit module's code or the program's preinit functions ran before
	 * this (-z initfirst), and they may start one with a raw clone: /proc
	 * is asked (a path lookup, microseconds) only then */
	bool threads = (!__libc_single_threaded || getenv("LD_AUDIT") != NULL || zp_program_has_preinit()) && zp_other_threads();
	long blocker = threads ? zp_threads_settle() : 0;
	/* in fast mode only red-zone sites trap, and a half-rewritten site
	 * lasts microseconds */
	if (blocker != 0 && all_traps)
		zp_msg("thread %ld blocks SIGILL: a rewritten site it meets will kill the process", blocker);
	struct zp_live *live = threads ? calloc(nsites ? nsites : 1, sizeof(*live)) : NULL;
	if (threads && live == NULL)
		zp_fatal(125, "cannot rewrite system calls: %s", strerror(ENOMEM));
	sigfillset(&all);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	patch_sites(sites, nsites, maps, nmaps, &memfd, live);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	zp_phase_done(ZP_PHASE_REWRITE);
	free(live);
	if (memfd >= 0)
		close(memfd);
	zp_cache_keep_bound(cachefd);
	zp_tls.guard = guard;
	zp_check_rewritten();

out:
	if (cachefd >= 0)
		close(cachefd);
	/* kept for libraries loaded later: the variables naming it leave
	 * environ */
	start_cache_dir = cachefd >= 0 ? cachebuf : NULL;
	if (cachefd < 0)
		free(cachebuf);
	free(maps);
	free(sites);
	free(o.v);
	zp_objs.v = NULL;
	zp_objs.n = zp_objs.cap = 0;
	return r;
}
