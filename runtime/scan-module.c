/* scan-module.c -- the scanner's store step: read an object's executable
 * sections with libelf, find its sites with Zydis, and store them in the
 * cache. Linked into zpoline-decode.so, the module the runtime loads on a
 * cache miss into a link namespace of its own (dlmopen, LM_ID_NEWLM): its
 * libelf, libdw, Zydis and libc never enter the program's link map nor use
 * its allocator, and it is unloaded once done. Linked into the helper
 * program zpoline-scan too, which runs the same steps in a process of its
 * own when the module cannot be loaded (see scanner.c). The files named
 * are trusted no more than the cache directory: each is checked against
 * its key before and after the scan. */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan-module.h"

static bool same_file(const char *path, const struct zp_cache_key *k)
{
	struct stat st;

	return stat(path, &st) == 0 && zp_cache_key_matches(&st, k);
}

bool zp_store_one(int dirfd, const struct zp_cache_key *key, const char *path)
{
	struct zp_scan scan = { 0 };
	struct zp_elf *e;
	bool vdso = strcmp(path, "[vdso]") == 0;
	bool ok;

	if (vdso) {
		if (zp_elf_open_vdso(&e) < 0)
			return false;
	} else if (!same_file(path, key) || !zp_file_has_build_id(path, key) || zp_elf_open_file(path, &e) < 0) {
		return false;
	}
	uint64_t t0 = zp_now_ns();
	ok = zp_scan_object(e, &scan) == 0;
	scan.ns = zp_now_ns() - t0;
	zp_elf_close(e);
	/* the bytes scanned must be the ones the key names */
	if (ok && !vdso)
		ok = same_file(path, key);
	if (ok)
		ok = zp_cache_store(dirfd, key, path, &scan) == 0;
	zp_scan_free(&scan);
	return ok;
}

/* The progress line, as the helper shows it (scan-helper.c) but with no
 * thread (the module runs in the program's process, at start-up): before
 * each object once the batch has run PROGRESS_AFTER_NS, or before an
 * object big enough to take that long by itself. */
#define PROGRESS_AFTER_NS 300000000ull
#define PROGRESS_BIG (32ull << 20)

static bool show_progress(const char *path, uint64_t size, uint64_t done, uint64_t total)
{
	const char *base = strrchr(path, '/');
	char line[512];
	int n = snprintf(line, sizeof(line), "\r\033[Kzpoline: scanning %s (%.1f MB), %d%%",
			 base != NULL ? base + 1 : path, (double)size / 1e6,
			 total ? (int)(100 * done / total) : 0);

	return n > 0 && write(2, line, (size_t)n) == n;
}

__attribute__((visibility("default"))) zp_scan_store_fn zpoline_scan_store;

int zpoline_scan_store(const char *dir, const struct zp_cache_key *keys, const char *const *paths, size_t n,
		       bool progress)
{
	uint64_t t0 = zp_now_ns(), done = 0, total = 0;
	bool shown = false;
	int stored = 0;
	/* the directory is checked again here: this code trusts no path */
	int dirfd = zp_cache_open_path(dir);

	if (dirfd < 0)
		return dirfd;
	progress = progress && isatty(2);
	for (size_t i = 0; progress && i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0)
			total += (uint64_t)st.st_size;
	}
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		uint64_t size = progress && stat(paths[i], &st) == 0 ? (uint64_t)st.st_size : 0;
		if (progress && (zp_now_ns() - t0 >= PROGRESS_AFTER_NS || size >= PROGRESS_BIG))
			shown |= show_progress(paths[i], size, done, total);
		stored += zp_store_one(dirfd, &keys[i], paths[i]);
		done += size;
	}
	if (shown && write(2, "\r\033[K", 4) != 4)
		shown = false;
	close(dirfd);
	return stored;
}
