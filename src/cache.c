/* cache.c -- site lists kept on disk, keyed by what identifies an object's
 * code, so that start-up does not decode the same libc again and again.
 *
 * An entry is one file named after a hash of its key: a header holding the
 * whole key (checked on load, so a hash collision or a stale entry is a
 * miss), the scan's counters, then the sites. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zp.h"

#define MAGIC 0x5a50534954454331ull     /* "ZPSITEC1" */

struct header {
	uint64_t magic;
	struct zp_cache_key key;
	uint64_t nsites, bytes_scanned, bytes_decoded;
	uint32_t lookalikes, pad;
};

struct entry {
	uint64_t addr;
	uint32_t flags, pad;
};

/* trusted -- a cache file this user wrote and no one else can change: an
 * image becomes the program's code, a site list says where to write */
static bool trusted(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

void zp_scan_free(struct zp_scan *s)
{
	free(s->sites);
	memset(s, 0, sizeof(*s));
}

/* fnv1a -- the file name of an entry */
static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void entry_path(char *buf, size_t len, const char *dir, const struct zp_cache_key *key)
{
	snprintf(buf, len, "%s/%016llx.sites", dir, (unsigned long long)fnv1a(key, sizeof(*key)));
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -errno;
	}
	return mkdir(path, 0755) != 0 && errno != EEXIST ? -errno : 0;
}

const char *zp_cache_dir(char *buf, size_t len)
{
	const char *off = getenv("ZPOLINE_CACHE");
	const char *dir = getenv("ZPOLINE_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (off != NULL && strcmp(off, "0") == 0)
		return NULL;
	if (dir != NULL && dir[0] == '/')
		snprintf(buf, len, "%s", dir);
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, len, "%s/zpoline", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(buf, len, "%s/.cache/zpoline", home);
	else
		return NULL;
	if (access(buf, W_OK | X_OK) == 0)
		return buf;
	return mkdirs(buf) == 0 ? buf : NULL;
}

int zp_cache_load(const char *dir, const struct zp_cache_key *key, struct zp_scan *s)
{
	char path[4096];
	struct header h;
	struct stat st;
	int fd, r = -EINVAL;

	entry_path(path, sizeof(path), dir, key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) != 0 || !trusted(&st) || read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    h.magic != MAGIC ||
	    memcmp(&h.key, key, sizeof(*key)) != 0 || h.nsites > (1u << 24) ||
	    (uint64_t)st.st_size != sizeof(h) + h.nsites * sizeof(struct entry))
		goto out;
	struct entry *e = malloc(h.nsites ? h.nsites * sizeof(*e) : 1);
	struct zp_site *sites = malloc(h.nsites ? h.nsites * sizeof(*sites) : 1);
	if (e == NULL || sites == NULL || read(fd, e, h.nsites * sizeof(*e)) != (ssize_t)(h.nsites * sizeof(*e))) {
		free(e);
		free(sites);
		goto out;
	}
	for (uint64_t i = 0; i < h.nsites; i++)
		sites[i] = (struct zp_site){ e[i].addr, e[i].flags };
	free(e);
	zp_scan_free(s);
	s->sites = sites;
	s->nsites = s->cap = h.nsites;
	s->bytes_scanned = h.bytes_scanned;
	s->bytes_decoded = h.bytes_decoded;
	s->lookalikes = h.lookalikes;
	r = 0;
out:
	close(fd);
	return r;
}

/* finish_tmp -- close a file written under a temporary name and, if all
 * went well (r == 0), rename it into place; else remove it */
static int finish_tmp(int fd, const char *tmp, const char *final, int r)
{
	if (close(fd) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, final) != 0)
		r = -errno;
	if (r != 0)
		unlink(tmp);
	return r;
}

int zp_cache_store(const char *dir, const struct zp_cache_key *key, const struct zp_scan *s)
{
	char path[4096], tmp[4160];
	struct header h = {
		.magic = MAGIC,
		.key = *key,
		.nsites = s->nsites,
		.bytes_scanned = s->bytes_scanned,
		.bytes_decoded = s->bytes_decoded,
		.lookalikes = s->lookalikes,
	};
	int fd, r = 0;

	entry_path(path, sizeof(path), dir, key);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	struct entry *e = calloc(s->nsites ? s->nsites : 1, sizeof(*e));
	if (e == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->nsites; i++)
		e[i] = (struct entry){ s->sites[i].addr, s->sites[i].flags, 0 };
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    write(fd, e, s->nsites * sizeof(*e)) != (ssize_t)(s->nsites * sizeof(*e)))
		r = -EIO;
	free(e);
out:
	return finish_tmp(fd, tmp, path, r);
}

/* Patched images: a copy of an object's file with its sites rewritten,
 * mapped over the original code instead of rewriting it in place. The
 * pages then come from the page cache, shared by every run, instead of
 * being copied on write in each process (a few hundred for libc).
 *
 * An image lives at DIR/images/HASH/NAME, NAME being the file's own name
 * (so /proc/self/maps still ends in libc.so.6) and HASH covering the key
 * and the patches. It is created whole under a temporary name and renamed
 * into place, and only if every patched site held a system call in the file
 * and the file did not change while it was copied. */
static void image_path(char *buf, size_t len, const char *dir, const struct zp_cache_key *key,
		       const char *file, const struct zp_patch *p, size_t n)
{
	uint64_t h = fnv1a(key, sizeof(*key)) ^ (fnv1a(p, n * sizeof(*p)) * 31);
	const char *name = strrchr(file, '/');

	name = name != NULL ? name + 1 : file;
	snprintf(buf, len, "%s/images/%016llx/%s", dir, (unsigned long long)h, name);
}

/* copy_file -- all of in to out, in the kernel where it can */
static int copy_file(int in, int out, uint64_t size)
{
	uint64_t done = 0;
	char buf[65536];

	while (done < size) {
		ssize_t r = copy_file_range(in, NULL, out, NULL, size - done, 0);
		if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			r = pread(in, buf, sizeof(buf), (off_t)done);
			if (r > 0 && pwrite(out, buf, (size_t)r, (off_t)done) != r)
				return -EIO;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;        /* shorter than it was */
		done += (uint64_t)r;
	}
	return 0;
}

bool zp_cache_key_matches(const struct stat *st, const struct zp_cache_key *key)
{
	return st->st_dev == key->dev && st->st_ino == key->ino && (uint64_t)st->st_size == key->size &&
	       (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec == key->mtime_ns &&
	       (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec == key->ctime_ns;
}

static int image_create(const char *final, const char *file, const struct zp_cache_key *key,
			const struct zp_patch *p, size_t n)
{
	char tmp[4160];
	struct stat st;
	int in, out, r = 0;

	in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", final, (int)getpid());
	out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -errno;
	}
	if (fstat(in, &st) != 0 || !zp_cache_key_matches(&st, key))
		r = -ESTALE;
	if (r == 0)
		r = copy_file(in, out, key->size);
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint8_t was[2];
		if (pread(out, was, 2, (off_t)p[i].off) != 2 || was[0] != 0x0f ||
		    (was[1] != 0x05 && was[1] != 0x34))
			r = -EILSEQ;        /* not a system call in the file */
		else if (pwrite(out, p[i].bytes, 2, (off_t)p[i].off) != 2)
			r = -EIO;
	}
	if (r == 0 && (fstat(in, &st) != 0 || !zp_cache_key_matches(&st, key)))
		r = -ESTALE;                /* changed while it was copied */
	close(in);
	return finish_tmp(out, tmp, final, r);
}

int zp_image_open(const char *dir, const struct zp_cache_key *key, const char *file,
		  const struct zp_patch *p, size_t n)
{
	char path[4096];
	struct stat st;
	int fd, r;

	image_path(path, sizeof(path), dir, key, file, p, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s", path);
		*strrchr(sub, '/') = '\0';
		if ((r = mkdirs(sub)) < 0 || (r = image_create(path, file, key, p, n)) < 0)
			return r;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	if (fstat(fd, &st) != 0 || !trusted(&st) || (uint64_t)st.st_size != key->size) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
