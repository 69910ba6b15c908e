/* scan-verify.c -- `zpoline-scan verify -- DIR`, for `zpoline cache
 * --verify`: scan again each object whose site list the cache directory DIR
 * holds (alone, or in a program's entry), compare, and remove the lists
 * that differ: someone wrote to the cache, or it was damaged in a way its
 * checks cannot see (a list of the right form, for the right file, with
 * sites left out). Only lists whose objects are unchanged are compared
 * (the others are never used); the patched pages are checked against
 * their files at every first use anyway. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zp.h"
#include "scan-verify.h"

/* usable -- is the object of it the one its key names (the kernel's
 * release for a vDSO)? */
static bool usable(const struct zp_cache_item *it)
{
	bool vdso = strncmp(it->key.tag, "vdso ", 5) == 0;

	return (vdso || it->key.scan_version == ZP_SCAN_VERSION) && zp_cache_object_state(it) == 0;
}

/* rescan -- the object's sites as the scanner finds them now */
static int rescan(const struct zp_cache_item *it, struct zp_scan *s)
{
	struct zp_elf *e;
	int r = strncmp(it->key.tag, "vdso ", 5) == 0 ? zp_elf_open_vdso(&e) : zp_elf_open_file(it->path, &e);

	if (r < 0)
		return r;
	r = zp_scan_object(e, s);
	zp_elf_close(e);
	return r;
}

/* differs -- 1 if the list s (from the cache) is not what the scanner
 * finds in it's object now (and says how), 0 if it is, -1 if the object
 * cannot be compared (changed, gone, unreadable) */
static int differs(const struct zp_cache_item *it, const struct zp_scan *s, const char *kind)
{
	struct zp_scan now = { 0 };

	if (!usable(it) || rescan(it, &now) < 0) {
		zp_scan_free(&now);
		return -1;
	}
	size_t same = 0;
	while (same < s->nsites && same < now.nsites && s->sites[same].addr == now.sites[same].addr &&
	       s->sites[same].flags == now.sites[same].flags)
		same++;
	int r = same != s->nsites || same != now.nsites;
	if (r) {
		printf("altered: %s list of %s: %zu sites where a scan finds %zu", kind, it->path, s->nsites,
		       now.nsites);
		if (same < s->nsites || same < now.nsites)
			printf(", first apart at 0x%llx",
			       (unsigned long long)(same < now.nsites ? now.sites[same].addr : s->sites[same].addr));
		printf("\n");
	}
	zp_scan_free(&now);
	return r;
}

/* verify_program -- the objects of a program's entry: 1 when one differs */
static int verify_program(int dirfd, const struct zp_cache_item *it, unsigned *checked)
{
	struct zp_cache_item *obj;
	size_t n;
	void *block = NULL;
	int r = -ENOMEM;

	if (zp_cache_program_objects(dirfd, it->name, &obj, &n) < 0)
		return -EINVAL;
	const struct zp_cache_key **keys = calloc(n, sizeof(*keys));
	struct zp_scan *s = calloc(n, sizeof(*s));
	if (keys != NULL && s != NULL) {
		for (size_t i = 0; i < n; i++)
			keys[i] = &obj[i].key;
		r = zp_cache_load_program(dirfd, keys, n, s, &block);
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		int d = differs(&obj[i], &s[i], "a program's");
		if (d > 0)
			r = 1;
		*checked += d >= 0;
	}
	free(block);
	free(s);
	free(keys);
	free(obj);
	return r;
}

int zp_verify_cache(const char *dir)
{
	struct zp_cache_item *v;
	size_t n;
	unsigned checked = 0, altered = 0;

	int dirfd = zp_cache_open_path(dir);
	if (dirfd < 0 || zp_cache_list(dirfd, false, &v, &n) < 0) {
		fprintf(stderr, "zpoline-scan: cannot read the cache %s\n", dir);
		return 125;
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].valid || v[i].image)
			continue;
		int r;
		if (v[i].program) {
			r = verify_program(dirfd, &v[i], &checked);
		} else {
			struct zp_scan s = { 0 };
			r = zp_cache_load(dirfd, &v[i].key, &s) < 0 ? -1 : differs(&v[i], &s, "the");
			checked += r >= 0;
			zp_scan_free(&s);
		}
		if (r > 0 && zp_cache_remove(dirfd, &v[i]) == 0)
			altered++;
	}
	free(v);
	close(dirfd);
	printf("verified %u site lists against a new scan of their objects: %u %s%s\n", checked, altered,
	       altered == 1 ? "list differed" : "lists differed",
	       altered ? ", removed (the next run scans their objects again)" : "");
	return altered > 0 ? 1 : 0;
}
