/* cache-forge -- alters a cache as someone who can write it could: every
 * site list (an object's entry, or a program's entry) that covers an
 * object whose path ends in NAME is rewritten to list no site of that
 * object, through the project's own reader and writer, so the entry stays
 * well-formed and matches its key.
 *
 * usage: cache-forge CACHE_DIR NAME   (CACHE_DIR as ZPOLINE_CACHE_DIR)
 * Prints how many lists it altered; exit status 1 when none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zp.h"

static bool names(const char *path, const char *name)
{
	size_t lp = strlen(path), ln = strlen(name);

	return lp >= ln && strcmp(path + lp - ln, name) == 0;
}

/* forge_program -- the program entry it: NAME's objects lose their sites */
static bool forge_program(int dirfd, const struct zp_cache_item *it, const char *name)
{
	struct zp_cache_item *obj;
	size_t n;
	void *block;
	bool hit = false;

	if (zp_cache_program_objects(dirfd, it->name, &obj, &n) < 0)
		return false;
	const struct zp_cache_key **keys = calloc(n, sizeof(*keys));
	const char **paths = calloc(n, sizeof(*paths));
	struct zp_scan *s = calloc(n, sizeof(*s));
	const struct zp_scan **sp = calloc(n, sizeof(*sp));
	if (keys == NULL || paths == NULL || s == NULL || sp == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		keys[i] = &obj[i].key;
		paths[i] = obj[i].path;
		sp[i] = &s[i];
	}
	if (zp_cache_load_program(dirfd, keys, n, s, &block) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (names(obj[i].path, name) && s[i].nsites > 0) {
			s[i].nsites = 0;
			hit = true;
		}
	if (hit && zp_cache_store_program(dirfd, keys, paths, sp, n) < 0)
		hit = false;
	free(block);
out:
	free(sp);
	free(s);
	free(paths);
	free(keys);
	free(obj);
	return hit;
}

int main(int argc, char **argv)
{
	struct zp_cache_item *v;
	size_t n;
	unsigned altered = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: cache-forge CACHE_DIR NAME\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", argv[1], ZP_CACHE_FORMAT);
	int dirfd = zp_cache_open_path(dir);
	if (dirfd < 0 || zp_cache_list(dirfd, false, &v, &n) < 0) {
		fprintf(stderr, "cache-forge: cannot read the cache %s\n", argv[1]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].valid || v[i].image)
			continue;
		if (v[i].program) {
			altered += forge_program(dirfd, &v[i], argv[2]);
			continue;
		}
		struct zp_scan s = { 0 };
		if (names(v[i].path, argv[2]) && zp_cache_load(dirfd, &v[i].key, &s) == 0 && s.nsites > 0) {
			s.nsites = 0;
			altered += zp_cache_store(dirfd, &v[i].key, v[i].path, &s) == 0;
		}
		zp_scan_free(&s);
	}
	free(v);
	close(dirfd);
	printf("%u site lists altered\n", altered);
	return altered > 0 ? 0 : 1;
}
