/* cache.c -- site lists and patched pages kept on disk, keyed by what
 * identifies an object's code, so that start-up does not decode the same
 * libc again and again.
 *
 * The cache is input: its files may be symlinks, truncated, or written by
 * someone else. So the directory is reached one component at a time from
 * `/` without following symlinks, every component must belong to root or
 * to this user and be writable by no one else (a sticky directory such as
 * /tmp excepted, above the cache itself), and every file in it is opened
 * relative to that verified descriptor, O_NOFOLLOW, and used only if this
 * user owns it and no one else can write it. New files are written under
 * no name (O_TMPFILE) or a fresh O_EXCL one, then linked into place.
 *
 * Layout, under ROOT ($ZPOLINE_CACHE_DIR, $XDG_CACHE_HOME/zpoline or
 * ~/.cache/zpoline):
 *   ROOT/v2/HASH.sites            a site list: header (whole key, the
 *                                 object's path, counters), then the sites
 *   ROOT/v2/HASH.prog             a program's site lists: every object it
 *                                 loads at start (whole key, path,
 *                                 counters), then all their sites; one file
 *                                 for a warm start instead of one each
 *   ROOT/v2/images/HASH/NAME      a patched image: header, then only the
 *                                 pages that hold rewritten sites
 *                                 (its modification time is the stamp:
 *                                 checked against the original; see
 *                                 stamp_time)
 * The v2 component is the format: builds of another format never read
 * these files, nor these builds theirs. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "nosig.h"
#include "zp.h"

#define MAGIC 0x3243455449535a50ull        /* "ZPSITEC2" */
#define IMAGE_MAGIC 0x32474d4950505a50ull  /* "ZPPIMG2" */
#define STAMP_MAGIC 0x33504d4154535a50ull  /* "ZPSTAMP3" */
#define PROG_MAGIC 0x3253474f52505a50ull   /* "ZPPROGS2" */
#define PAGE ((unsigned)ZP_PAGE_SIZE)
#define STALE_TMP_S 600                     /* a temporary file older than this was abandoned */

struct header {
	uint64_t magic;
	struct zp_cache_key key;
	char path[256];
	uint64_t nsites, bytes_scanned, bytes_decoded, scan_ns;
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

/* trusted_dir -- a directory of the chain: root's or ours, and writable by
 * no one else; unless `last`, a sticky one (/tmp) is allowed too */
static bool trusted_dir(const struct stat *st, bool last)
{
	if (!S_ISDIR(st->st_mode) || (st->st_uid != 0 && st->st_uid != geteuid()))
		return false;
	if (last)
		return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
	return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

void zp_scan_free(struct zp_scan *s)
{
	free(s->sites);
	memset(s, 0, sizeof(*s));
}

/* fnv1a -- file names, and the digest of an image's pages */
static uint64_t fnv1a_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv1a(const void *p, size_t n)
{
	return fnv1a_more(0xcbf29ce484222325ull, p, n);
}

/* fnv1a_words -- the same mixing eight bytes at a time (a ragged tail
 * byte by byte): what names an image and its stamp, from its patches
 * (8 KiB for libc: 12 us a start byte by byte, 1.5 us so) */
static uint64_t fnv1a_words(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	return fnv1a_more(h, b + i, n - i);
}

static int64_t ns_of(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- the directory ---- */

/* keep_trusted -- fd, a directory just opened, when it is trusted_dir
 * (and, given seen, the one stat saw); else it is closed: -errno, or
 * -EPERM */
static int keep_trusted(int fd, const struct stat *seen, bool last)
{
	struct stat st;
	int r = -EPERM;

	if (fstat(fd, &st) != 0) {
		if (seen == NULL)
			r = -errno;
		goto out;
	}
	if ((seen != NULL && (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino)) || !trusted_dir(&st, last))
		goto out;
	return fd;
out:
	close(fd);
	return r;
}

/* open_sub -- the directory name in dirfd, made (mode 0700) if create and
 * missing, checked as trusted_dir; a descriptor or -errno */
static int open_sub(int dirfd, const char *name, bool create, bool last)
{
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0700) != 0 && errno != EEXIST)
			return -errno;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	return keep_trusted(fd, NULL, last);
}

/* open_quick -- the whole chain when it exists: each directory above the
 * last checked with one fstatat (no symlink followed: root's or ours, and
 * writable by no one else unless sticky), then the last opened with
 * openat2 refusing symlinks and checked through its descriptor. A
 * directory cannot be swapped between its check and the open: each one's
 * parent is writable only by root or this user (or sticky). Not checking
 * those above is not safe: whoever may rename in one of them can put in
 * the last one's place another of this user's directories, holding what
 * they had this user write there (an archive unpacked, a checkout: site
 * lists that leave calls out). -ENOENT when a component is missing (the
 * caller then walks and makes it); -ENOSYS without openat2. */
static int open_quick(char *path)
{
	struct stat st;
	size_t len = strlen(path);
	int fd;

	if (path[0] != '/')
		return -ENAMETOOLONG;
	if (fstatat(AT_FDCWD, "/", &st, 0) != 0 || !trusted_dir(&st, false))
		return -EPERM;
	/* each prefix in place: path cut at the slash, then put back */
	for (size_t i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		int r = fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
		path[i] = '/';
		if (r != 0)
			return -errno;
		if (!trusted_dir(&st, false))
			return S_ISLNK(st.st_mode) ? -ENOTDIR : -EPERM;
	}
	struct {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0x04 /* RESOLVE_NO_SYMLINKS */ | 0x02 /* NO_MAGICLINKS */ };
	fd = (int)syscall(437 /* openat2 */, AT_FDCWD, path, &how, sizeof(how));
	/* the last one a symlink, or not a directory: as its stat said */
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : errno == ENOTDIR ? -EPERM : -errno;
	return keep_trusted(fd, NULL, true);
}

/* plain -- an absolute path with no empty, . or .. component and no
 * slash at its end: when no component is a symlink either, it is its own
 * realpath */
static bool plain(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c != '\0'; c++) {
		if (c[0] != '/')
			continue;
		if (c[1] == '/' || c[1] == '\0' || (c[1] == '.' && (c[2] == '/' || c[2] == '\0')) ||
		    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0')))
			return false;
	}
	return true;
}

static int open_chain_at(const char *real, const char *rest, bool create);

/* open_chain -- walk the absolute path `base` (which must exist; its
 * symlinks resolved first, as the user's own), then `rest` (components
 * made if create), checking every directory on the way. A plain base is
 * walked as it is, with no call to resolve it (a readlink a component):
 * the walk refuses a symlink, and only then is base resolved and walked
 * again. */
static int open_chain(const char *base, const char *rest, bool create)
{
	int r = -ENOTDIR;

	if (plain(base))
		r = open_chain_at(base, rest, create);
	if (r != -ENOTDIR)
		return r;
	/* into a buffer of ours: realpath(base, NULL) mallocs in libc,
	 * which the runtime must not (glibc's mallocs nothing more for a
	 * path under 1 KiB) */
	char *real = malloc(PATH_MAX);
	if (real == NULL)
		return -ENOMEM;
	if (realpath(base, real) == NULL)
		r = -errno;
	else
		r = open_chain_at(real, rest, create);
	free(real);
	return r;
}

/* open_chain_at -- open_chain of a base that is its own realpath. The
 * paths are on the heap: on the stack they would take start-up's calls
 * pages deeper, a page fault each. */
static int open_chain_at(const char *real, const char *rest, bool create)
{
	char *buf = NULL;
	int fd, r;

	size_t blen = strlen(real);
	r = -ENAMETOOLONG;
	if (blen + 1 + strlen(rest) >= PATH_MAX + 64)
		goto out;
	r = -ENOMEM;
	if ((buf = malloc(blen + 1 + strlen(rest) + 1)) == NULL)
		goto out;
	memcpy(buf, real, blen);
	buf[blen] = '/';
	memcpy(buf + blen + 1, rest, strlen(rest) + 1);
	r = open_quick(buf);
	if (r >= 0 || (r != -ENOENT && r != -ENOSYS))
		goto out;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = -errno;
	if (fd < 0)
		goto out;
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
		bool mine = c >= buf + blen;        /* in rest: may be made */
		bool last = *save == '\0';
		int next = open_sub(fd, c, create && mine, last);
		close(fd);
		if (next < 0) {
			r = next;
			goto out;
		}
		fd = next;
	}
	r = fd;
out:
	free(buf);
	return r;
}

int zp_cache_root(char *buf, size_t len, const char **base, const char **rest)
{
	/* in a secure-execution process (set-user-ID, capabilities) these
	 * come from a less privileged user: no cache is named by them */
	const char *off = getenv(ZP_ENV_CACHE);
	const char *dir = secure_getenv(ZP_ENV_CACHE_DIR);
	const char *xdg = secure_getenv("XDG_CACHE_HOME");
	const char *home = secure_getenv("HOME");
	static char parent[PATH_MAX];
	int n;

	if (off != NULL && strcmp(off, "0") == 0)
		return -ENOENT;
	if (dir != NULL && dir[0] == '/') {
		/* the directory itself may be made, in a parent that exists */
		n = snprintf(buf, len, "%s", dir);
		while (n > 1 && buf[n - 1] == '/')
			buf[--n] = '\0';
		const char *slash = strrchr(buf, '/');
		snprintf(parent, sizeof(parent), "%.*s", slash == buf ? 1 : (int)(slash - buf), buf);
		*base = parent;
		*rest = slash + 1;
	} else if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(buf, len, "%s/zpoline", xdg);
		*base = xdg;
		*rest = "zpoline";
	} else if (home != NULL && home[0] == '/') {
		n = snprintf(buf, len, "%s/.cache/zpoline", home);
		*base = home;
		*rest = ".cache/zpoline";
	} else {
		return -ENOENT;
	}
	return n < 0 || (size_t)n >= len || **rest == '\0' ? -ENAMETOOLONG : 0;
}

int zp_cache_open(char *buf, size_t len, bool create)
{
	const char *base, *r0;
	int r = zp_cache_root(buf, len, &base, &r0);

	if (r < 0)
		return r;
	size_t n = strlen(buf), nrest = strlen(r0);
	if (n + sizeof(ZP_CACHE_FORMAT) + 1 > len)
		return -ENAMETOOLONG;
	/* zp_cache_root's rest is buf's tail: with /FORMAT added, it is the
	 * rest to walk (no copy of it on the stack) */
	strcat(buf, "/" ZP_CACHE_FORMAT);
	return open_chain(base, buf + n - nrest, create);
}

int zp_cache_open_path(const char *dir)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(dir, '/');

	if (dir[0] != '/' || slash == NULL || slash[1] == '\0')
		return -EINVAL;
	snprintf(parent, sizeof(parent), "%.*s", slash == dir ? 1 : (int)(slash - dir), dir);
	return open_chain(parent, slash + 1, false);
}

/* ---- writing: no name until whole ---- */

struct tmp {
	int fd;
	bool anon;              /* O_TMPFILE: no name to remove */
	char name[64];
};

static unsigned tmp_seq;

/* tmp_name -- a name of this process's own for a file being made */
static void tmp_name(char *buf, size_t len)
{
	snprintf(buf, len, ".%d.%u.%llx.tmp", (int)getpid(), tmp_seq++, (unsigned long long)zp_now_ns());
}

/* tmp_open -- a new file in dirfd that no one can have prepared */
static int tmp_open(int dirfd, struct tmp *t)
{
	t->anon = true;
	t->fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (t->fd >= 0)
		return 0;
	t->anon = false;
	for (int tries = 0; tries < 16; tries++) {
		tmp_name(t->name, sizeof(t->name));
		t->fd = openat(dirfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (t->fd >= 0 || errno != EEXIST)
			break;
	}
	return t->fd >= 0 ? 0 : -errno;
}

/* link_over -- the file with no name at proc (its /proc/self/fd link)
 * under name in dirfd, over the file there, at once: linked under a name
 * of its own, then renamed over it, so that a reader never finds the
 * entry missing (one that has just stored it looks it up) */
static int link_over(int dirfd, const char *proc, const char *name)
{
	char tmp[64];

	for (int tries = 0; tries < 16; tries++) {
		tmp_name(tmp, sizeof(tmp));
		if (linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW) == 0) {
			if (renameat(dirfd, tmp, dirfd, name) == 0)
				return 0;
			int r = -errno;
			unlinkat(dirfd, tmp, 0);
			return r;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* tmp_finish -- if r == 0, give the file its name (replacing what held
 * it); else drop it. Closes the file. */
static int tmp_finish(int dirfd, struct tmp *t, const char *name, int r)
{
	char proc[64];

	if (r == 0 && t->anon) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
		if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) != 0)
			r = -errno;
		/* one there already (another process's store of the same
		 * entry, a stale one): replaced at once */
		if (r == -EEXIST)
			r = link_over(dirfd, proc, name);
	} else if (r == 0 && renameat(dirfd, t->name, dirfd, name) != 0) {
		r = -errno;
	}
	if (r != 0 && !t->anon)
		unlinkat(dirfd, t->name, 0);
	close(t->fd);
	t->fd = -1;
	return r;
}

/* write_all -- all n bytes, or false. The runtime writes the cache in the
 * program's process, under the program's file size limit (`ulimit -f`):
 * past it, the write fails with EFBIG alone (the entry is not made), not
 * the program with SIGXFSZ (nosig.h). */
static bool write_all(int fd, const void *p, size_t n)
{
	sigset_t xfsz;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	return zp_write_nosig(fd, p, n, &xfsz);
}

/* read_at -- exactly n bytes at off, or false */
static bool read_at(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r <= 0)
			return false;
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return true;
}

/* ---- site lists ---- */

static void entry_name(char *buf, size_t len, const struct zp_cache_key *key)
{
	snprintf(buf, len, "%016llx.sites", (unsigned long long)fnv1a(key, sizeof(*key)));
}

/* open_trusted -- a file of the cache: ours, and only ours to change */
static int open_trusted(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0 || !trusted(st)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int zp_cache_load(int dirfd, const struct zp_cache_key *key, struct zp_scan *s)
{
	char name[64];
	struct header h;
	struct stat st;
	struct entry *e = NULL;
	struct zp_site *sites = NULL;
	int fd, r = -EINVAL;

	entry_name(name, sizeof(name), key);
	fd = open_trusted(dirfd, name, &st);
	if (fd < 0)
		return fd == -EPERM ? -EINVAL : -ENOENT;
	/* the whole file in one read: header and sites */
	if ((uint64_t)st.st_size < sizeof(h) || (uint64_t)st.st_size > sizeof(h) + ((uint64_t)1 << 24) * sizeof(*e))
		goto out;
	uint8_t *all = malloc((size_t)st.st_size);
	if (all == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (!read_at(fd, all, (size_t)st.st_size, 0)) {
		free(all);
		goto out;
	}
	memcpy(&h, all, sizeof(h));
	e = (struct entry *)all;    /* freed as e; the sites start after the header */
	if (h.magic != MAGIC || memcmp(&h.key, key, sizeof(*key)) != 0 || h.nsites > (1u << 24) ||
	    (uint64_t)st.st_size != sizeof(h) + h.nsites * sizeof(struct entry))
		goto out;
	/* the sites, in place of what was read: each one lands at or before
	 * the entry it is read from (a second buffer, and its pages, cost
	 * more than the copy) */
	_Static_assert(sizeof(struct zp_site) <= sizeof(struct entry), "a site fits in an entry");
	const struct entry *ent = (const struct entry *)(all + sizeof(h));
	sites = (struct zp_site *)all;
	for (uint64_t i = 0; i < h.nsites; i++) {
		struct entry x = ent[i];
		sites[i] = (struct zp_site){ x.addr, x.flags };
	}
	e = NULL;
	zp_scan_free(s);
	s->sites = sites;
	sites = NULL;
	s->nsites = s->cap = h.nsites;
	s->bytes_scanned = h.bytes_scanned;
	s->bytes_decoded = h.bytes_decoded;
	s->lookalikes = h.lookalikes;
	s->ns = h.scan_ns;
	r = 0;
out:
	free(e);
	free(sites);
	close(fd);
	return r;
}

int zp_cache_store(int dirfd, const struct zp_cache_key *key, const char *path, const struct zp_scan *s)
{
	char name[64];
	struct header h = {
		.magic = MAGIC,
		.key = *key,
		.nsites = s->nsites,
		.bytes_scanned = s->bytes_scanned,
		.bytes_decoded = s->bytes_decoded,
		.lookalikes = s->lookalikes,
		.scan_ns = s->ns,
	};
	struct tmp t;
	struct entry *e = NULL;
	int r;

	snprintf(h.path, sizeof(h.path), "%s", path);
	entry_name(name, sizeof(name), key);
	if ((r = tmp_open(dirfd, &t)) < 0)
		return r;
	e = calloc(s->nsites ? s->nsites : 1, sizeof(*e));
	if (e == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->nsites; i++)
		e[i] = (struct entry){ s->sites[i].addr, s->sites[i].flags, 0 };
	if (!write_all(t.fd, &h, sizeof(h)) || !write_all(t.fd, e, s->nsites * sizeof(*e)))
		r = -EIO;
out:
	free(e);
	return tmp_finish(dirfd, &t, name, r);
}

/* ---- a program's site lists, in one file ----
 *
 *   prog_header | prog_object[nobj] | entries of the first, the second...
 *
 * Named after the hash of every object's key, in order; used only when
 * every key is the one the runtime made for the object loaded now. */

struct prog_header {
	uint64_t magic;
	uint64_t nobj, nsites;
	char path[256];         /* the first object's: the program */
};

struct prog_object {
	struct zp_cache_key key;
	char path[256];
	uint64_t nsites, bytes_scanned, bytes_decoded, scan_ns;
	uint32_t lookalikes, pad;
};

#define PROG_MAX_OBJECTS 4096

static void prog_name(char *buf, size_t len, const struct zp_cache_key *const *keys, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = fnv1a_more(h, keys[i], sizeof(*keys[i]));
	snprintf(buf, len, "%016llx.prog", (unsigned long long)h);
}

/* has_file -- a regular file name in dirfd, ours (a stat, no read) */
static bool has_file(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && trusted(&st);
}

bool zp_cache_has(int dirfd, const struct zp_cache_key *key)
{
	char name[64];

	entry_name(name, sizeof(name), key);
	return has_file(dirfd, name);
}

void zp_cache_program_name(char *buf, size_t len, const struct zp_cache_key *const *keys, size_t n)
{
	prog_name(buf, len, keys, n);
}

bool zp_cache_has_program(int dirfd, const struct zp_cache_key *const *keys, size_t n)
{
	char name[64];

	prog_name(name, sizeof(name), keys, n);
	return has_file(dirfd, name);
}

int zp_cache_load_program(int dirfd, const struct zp_cache_key *const *keys, size_t n, struct zp_scan *s,
			  void **block)
{
	char name[64];
	struct prog_header h;
	struct stat st;
	uint8_t *all = NULL;
	int fd, r = -EINVAL;

	*block = NULL;
	if (n == 0 || n > PROG_MAX_OBJECTS)
		return -ENOENT;
	prog_name(name, sizeof(name), keys, n);
	fd = open_trusted(dirfd, name, &st);
	if (fd < 0)
		return fd == -EPERM ? -EINVAL : -ENOENT;
	uint64_t fixed = sizeof(h) + n * sizeof(struct prog_object);
	if ((uint64_t)st.st_size < fixed || (uint64_t)st.st_size > fixed + ((uint64_t)1 << 24) * sizeof(struct entry))
		goto out;
	r = -ENOMEM;
	if ((all = malloc((size_t)st.st_size)) == NULL)
		goto out;
	r = -EINVAL;
	if (!read_at(fd, all, (size_t)st.st_size, 0))
		goto out;
	memcpy(&h, all, sizeof(h));
	if (h.magic != PROG_MAGIC || h.nobj != n || h.nsites > (1u << 24) ||
	    (uint64_t)st.st_size != fixed + h.nsites * sizeof(struct entry))
		goto out;
	const struct prog_object *ob = (const struct prog_object *)(all + sizeof(h));
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(&ob[i].key, keys[i], sizeof(*keys[i])) != 0 || ob[i].nsites > h.nsites - total)
			goto out;
		total += ob[i].nsites;
	}
	if (total != h.nsites)
		goto out;
	/* each site in place of the entry it is read from (the same size) */
	_Static_assert(sizeof(struct zp_site) == sizeof(struct entry), "a site is an entry's size");
	struct zp_site *sites = (struct zp_site *)(all + fixed);
	for (uint64_t i = 0; i < total; i++) {
		struct entry x;
		memcpy(&x, &sites[i], sizeof(x));
		sites[i] = (struct zp_site){ x.addr, x.flags };
	}
	for (size_t i = 0; i < n; i++) {
		s[i] = (struct zp_scan){
			.sites = sites,
			.nsites = ob[i].nsites,
			.cap = ob[i].nsites,
			.bytes_scanned = ob[i].bytes_scanned,
			.bytes_decoded = ob[i].bytes_decoded,
			.lookalikes = ob[i].lookalikes,
			.ns = ob[i].scan_ns,
		};
		sites += ob[i].nsites;
	}
	*block = all;
	all = NULL;
	r = 0;
out:
	free(all);
	close(fd);
	return r;
}

int zp_cache_store_program(int dirfd, const struct zp_cache_key *const *keys, const char *const *paths,
			   const struct zp_scan *const *s, size_t n)
{
	char name[64];
	struct prog_header h = { .magic = PROG_MAGIC, .nobj = n };
	struct prog_object *ob = NULL;
	struct entry *e = NULL;
	struct tmp t;
	int r;

	if (n == 0 || n > PROG_MAX_OBJECTS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		h.nsites += s[i]->nsites;
	snprintf(h.path, sizeof(h.path), "%s", paths[0]);
	prog_name(name, sizeof(name), keys, n);
	if ((r = tmp_open(dirfd, &t)) < 0)
		return r;
	ob = calloc(n, sizeof(*ob));
	e = calloc(h.nsites ? h.nsites : 1, sizeof(*e));
	if (ob == NULL || e == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, k = 0; i < n; i++) {
		ob[i] = (struct prog_object){
			.key = *keys[i],
			.nsites = s[i]->nsites,
			.bytes_scanned = s[i]->bytes_scanned,
			.bytes_decoded = s[i]->bytes_decoded,
			.scan_ns = s[i]->ns,
			.lookalikes = s[i]->lookalikes,
		};
		snprintf(ob[i].path, sizeof(ob[i].path), "%s", paths[i]);
		for (size_t j = 0; j < s[i]->nsites; j++)
			e[k++] = (struct entry){ s[i]->sites[j].addr, s[i]->sites[j].flags, 0 };
	}
	if (!write_all(t.fd, &h, sizeof(h)) || !write_all(t.fd, ob, n * sizeof(*ob)) ||
	    !write_all(t.fd, e, h.nsites * sizeof(*e)))
		r = -EIO;
out:
	free(ob);
	free(e);
	return tmp_finish(dirfd, &t, name, r);
}

int zp_cache_program_objects(int dirfd, const char *name, struct zp_cache_item **out, size_t *nout)
{
	struct prog_header h;
	struct stat st;
	struct prog_object *ob = NULL;
	struct zp_cache_item *v = NULL;
	int fd = open_trusted(dirfd, name, &st), r = -EINVAL;

	*out = NULL;
	*nout = 0;
	if (fd < 0)
		return fd;
	if (!read_at(fd, &h, sizeof(h), 0) || h.magic != PROG_MAGIC || h.nobj == 0 || h.nobj > PROG_MAX_OBJECTS)
		goto out;
	r = -ENOMEM;
	ob = calloc(h.nobj, sizeof(*ob));
	v = calloc(h.nobj, sizeof(*v));
	if (ob == NULL || v == NULL)
		goto out;
	r = -EINVAL;
	if (!read_at(fd, ob, h.nobj * sizeof(*ob), sizeof(h)))
		goto out;
	for (size_t i = 0; i < h.nobj; i++) {
		v[i].key = ob[i].key;
		v[i].valid = true;
		v[i].nsites = ob[i].nsites;
		snprintf(v[i].path, sizeof(v[i].path), "%.255s", ob[i].path);
	}
	*out = v;
	*nout = h.nobj;
	v = NULL;
	r = 0;
out:
	free(ob);
	free(v);
	close(fd);
	return r;
}

/* ---- patched images ----
 *
 * An image holds, of an object's file, only the pages that hold rewritten
 * sites (and the few pages between two close ones, to map fewer runs), each
 * with its sites rewritten. The runtime maps each run of pages over the
 * original mapping, so those pages come from the page cache, shared by
 * every run, instead of being copied on write in each process; the rest of
 * the mapping stays the file's own.
 *
 *   header | runs[nruns] | patches[npatches] | pad to a page | pages...
 *
 * It lives at images/HASH/NAME, NAME being the file's own name (so
 * /proc/self/maps still ends in libc.so.6) and HASH covering the key and
 * the patches. It is made only if every patched site held a system call in
 * the file and the file did not change while it was read. Before its first
 * use, and whenever the image file is not the one last checked (its
 * modification time is not the stamp of its identity: stamp_time), it is
 * checked again in full: header, runs and patches as expected, every byte
 * equal to the original's except the rewritten sites, and the digest of
 * its pages; an image that fails is made again. */

struct image_header {
	uint64_t magic;
	struct zp_cache_key key;
	char path[256];
	uint64_t nruns, npatches, data_off;
	uint64_t digest;        /* fnv1a of the pages */
};

/* what an image is checked against: its key and its patches */
struct image_want {
	uint64_t key_hash, patch_hash;
};

static int cmp_patch(const void *a, const void *b)
{
	const struct zp_patch *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Runs closer than this are merged, the pages between them stored too: a
 * MAP_FIXED mmap over a live mapping costs 10-18 us here (the pages it
 * replaces are unmapped, then fault back in), and libc's 60 pages with
 * sites come in 21 runs; merged across up to 16 pages they were 6 (146
 * pages, 584 KiB on disk), across up to 64 pages they are one (300 pages,
 * 1.2 MiB, of a 1.4 MiB segment): a warm start about 0.1 ms faster, the
 * cache after rustc, node, python3 and gcc 1.6 MB instead of 1 MB */
#define MERGE_GAP (64 * PAGE)

/* runs_of -- image_runs into v (room for all of them), or only counted
 * with v NULL */
static size_t runs_of(const struct zp_patch *p, size_t n, struct zp_image_run *v)
{
	struct zp_image_run last = { 0 };
	size_t k = 0;
	uint64_t at = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t first = p[i].off / PAGE * PAGE, end = (p[i].off + 1) / PAGE * PAGE + PAGE;
		if (k > 0 && first <= last.file_off + last.len + MERGE_GAP) {
			if (end > last.file_off + last.len) {
				at += end - (last.file_off + last.len);
				last.len = end - last.file_off;
			}
		} else {
			last = (struct zp_image_run){ .file_off = first, .image_off = at, .len = end - first };
			at += end - first;
			k++;
		}
		if (v != NULL)
			v[k - 1] = last;
	}
	return k;
}

/* image_runs -- the runs of pages the patches touch, merged across holes
 * of up to MERGE_GAP; malloc'd into *out, counted first: room for a run a
 * patch (12 KiB for libc) would push what start-up allocates next onto
 * a fresh page */
static int image_runs(const struct zp_patch *p, size_t n, struct zp_image_run **out, size_t *nout)
{
	size_t k = runs_of(p, n, NULL);
	struct zp_image_run *v = malloc((k ? k : 1) * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	runs_of(p, n, v);
	*out = v;
	*nout = k;
	return 0;
}

static void image_names(char *hash, size_t hlen, char *name, size_t nlen, const struct image_want *w,
			const char *file)
{
	uint64_t h = w->key_hash ^ (w->patch_hash * 31);
	const char *base = strrchr(file, '/');

	base = base != NULL ? base + 1 : file;
	snprintf(hash, hlen, "%016llx", (unsigned long long)h);
	snprintf(name, nlen, "%.200s", base[0] != '\0' && base[0] != '.' ? base : "object");
}

bool zp_cache_key_matches(const struct stat *st, const struct zp_cache_key *key)
{
	return st->st_dev == key->dev && st->st_ino == key->ino && (uint64_t)st->st_size == key->size &&
	       ns_of(st->st_mtim) == key->mtime_ns && ns_of(st->st_ctim) == key->ctime_ns;
}

/* zp_file_has_build_id -- does the file carry the build-id the key took from the
 * object in memory (or does the key have none)? A file replaced after the
 * loader mapped it keeps its name and gets a new identity, which the rest
 * of the key then describes: its sites would be rewritten in the other
 * object's code, and that object's own left alone. */
bool zp_file_has_build_id(const char *path, const struct zp_cache_key *k)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t *note = NULL;
	bool same = false;

	if (k->build_id_len == 0)
		return true;
	/* a regular file only: a name swapped to a FIFO meanwhile would
	 * block the open, and start-up with it */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_phentsize != sizeof(ph))
		goto out;
	for (unsigned i = 0; i < eh.e_phnum && !same; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph))
			goto out;
		if (ph.p_type != PT_NOTE)
			continue;
		size_t len = ph.p_filesz < 65536 ? ph.p_filesz : 65536;
		free(note);
		if ((note = malloc(len ? len : 1)) == NULL || pread(fd, note, len, (off_t)ph.p_offset) != (ssize_t)len)
			goto out;
		for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= len;) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(note + off);
			size_t name = off + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_namesz > len || n->n_descsz > len || desc > len || n->n_descsz > len - desc)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(note + name, "GNU", 4) == 0) {
				same = n->n_descsz == k->build_id_len &&
				       memcmp(note + desc, k->build_id, k->build_id_len) == 0;
				goto out;
			}
			off = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
out:
	free(note);
	close(fd);
	return same;
}

int zp_vdso_tag(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u) != 0)
		return -errno;
	snprintf(buf, len, "vdso %.58s", u.release);
	return 0;
}

uint64_t zp_bytes_id(const void *p, size_t n)
{
	return fnv1a(p, n);
}

int zp_cache_object_state(const struct zp_cache_item *it)
{
	struct stat st;
	char tag[sizeof(it->key.tag)];

	if (strncmp(it->key.tag, "vdso ", 5) == 0) {
		int r = zp_vdso_tag(tag, sizeof(tag));
		return r < 0 ? r : strcmp(tag, it->key.tag) == 0 ? 0 : -ENOENT;
	}
	if (stat(it->path, &st) != 0)
		return -ENOENT;
	return zp_cache_key_matches(&st, &it->key) ? 0 : -ESTALE;
}

/* image_pages -- the image's pages from the original file `in`, patched;
 * its digest in *digest. -EILSEQ when a patched place does not hold a
 * system call in the file. */
static int image_pages(int in, uint64_t fsize, const struct zp_image_run *runs, size_t nruns,
		       const struct zp_patch *p, size_t n, uint8_t *data, uint64_t *digest)
{
	size_t k = 0;

	for (size_t i = 0; i < nruns; i++) {
		uint8_t *d = data + runs[i].image_off;
		uint64_t avail = runs[i].file_off < fsize ? fsize - runs[i].file_off : 0;
		size_t want = runs[i].len < avail ? runs[i].len : (size_t)avail;
		memset(d + want, 0, runs[i].len - want);
		if (!read_at(in, d, want, runs[i].file_off))
			return -EIO;
		for (; k < n && p[k].off + 2 <= runs[i].file_off + runs[i].len; k++) {
			uint8_t *s = d + (p[k].off - runs[i].file_off);
			if (p[k].off < runs[i].file_off || s[0] != 0x0f || (s[1] != 0x05 && s[1] != 0x34))
				return -EILSEQ;
			s[0] = p[k].bytes[0];
			s[1] = p[k].bytes[1];
		}
	}
	if (k != n)
		return -EILSEQ;
	uint64_t total = nruns ? runs[nruns - 1].image_off + runs[nruns - 1].len : 0;
	*digest = fnv1a(data, total);
	return 0;
}

static uint64_t meta_size(size_t nruns, size_t n)
{
	uint64_t m = sizeof(struct image_header) + nruns * sizeof(struct zp_image_run) + n * sizeof(struct zp_patch);
	return (m + PAGE - 1) / PAGE * PAGE;
}

/* stamp_time -- the modification time of an image file checked against
 * its original: a time in the 1990s (in even seconds, which every file
 * system keeps) drawn from the file's identity (device, inode, size) and
 * what it was checked against (key and patches). Writing to the file moves
 * the time to now, and another file (a copy, a file made again) has
 * another identity: the stamp holds no more. It lives in the image's own
 * inode, so a warm start reads it with the fstat that checks the owner
 * (an open, a read and a close of a stamp file beside it before). Only
 * this user can change the image (trusted) or set its times, as only this
 * user could write a stamp beside it. */
static struct timespec stamp_time(const struct stat *st, const struct image_want *w)
{
	const uint64_t id[] = { STAMP_MAGIC, st->st_dev, st->st_ino, (uint64_t)st->st_size, w->key_hash,
				w->patch_hash };
	uint64_t h = fnv1a_words(id, sizeof(id));

	return (struct timespec){ .tv_sec = 631152000 + 2 * (time_t)(h % (1u << 27)), .tv_nsec = 0 };
}

/* write_stamp -- remember the image file fd as checked */
static void write_stamp(int fd, const struct image_want *w)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return;
	const struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, stamp_time(&st, w) };
	futimens(fd, t);
}

/* stamp_ok -- is the image file (st) the one last checked, against these
 * key and patches? */
static bool stamp_ok(const struct stat *st, const struct image_want *w)
{
	struct timespec t = stamp_time(st, w);

	return st->st_mtim.tv_sec == t.tv_sec && st->st_mtim.tv_nsec == t.tv_nsec;
}

/* image_create -- make the image: -ESTALE when the file is not the one
 * key names (or changed while read), -EILSEQ when a site is not a system
 * call in it */
static int image_create(int dirfd, const char *name, const char *file, const struct zp_cache_key *key,
			const struct zp_image_run *runs, size_t nruns, const struct zp_patch *p, size_t n,
			const struct image_want *w)
{
	struct image_header h = { .magic = IMAGE_MAGIC, .key = *key, .nruns = nruns, .npatches = n };
	uint64_t total = nruns ? runs[nruns - 1].image_off + runs[nruns - 1].len : 0;
	uint8_t *meta = NULL, *data = NULL;
	struct stat st;
	struct tmp t = { .fd = -1 };
	int in, r;

	in = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -errno;
	h.data_off = meta_size(nruns, n);
	snprintf(h.path, sizeof(h.path), "%s", file);
	meta = calloc(1, h.data_off);
	data = malloc(total ? total : 1);
	if (meta == NULL || data == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) || !zp_cache_key_matches(&st, key)) {
		r = -ESTALE;
		goto out;
	}
	if ((r = image_pages(in, key->size, runs, nruns, p, n, data, &h.digest)) < 0)
		goto out;
	if (fstat(in, &st) != 0 || !zp_cache_key_matches(&st, key)) {
		r = -ESTALE;                /* changed while it was read */
		goto out;
	}
	memcpy(meta, &h, sizeof(h));
	memcpy(meta + sizeof(h), runs, nruns * sizeof(*runs));
	memcpy(meta + sizeof(h) + nruns * sizeof(*runs), p, n * sizeof(*p));
	if ((r = tmp_open(dirfd, &t)) < 0)
		goto out;
	r = write_all(t.fd, meta, h.data_off) && write_all(t.fd, data, total) ? 0 : -EIO;
	r = tmp_finish(dirfd, &t, name, r);
	if (r == 0) {
		/* stamped once linked: a named temporary file (no O_TMPFILE)
		 * with a time that old would be taken for one a killed run
		 * left, and removed */
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			write_stamp(fd, w);
			close(fd);
		}
	}
out:
	free(meta);
	free(data);
	close(in);
	return r;
}

/* image_check -- the whole check of an image file against the original:
 * 0 when it is the image of file with exactly these patches */
static int image_check(int fd, const struct stat *st, const char *file, const struct zp_cache_key *key,
		       const struct zp_image_run *runs, size_t nruns, const struct zp_patch *p, size_t n)
{
	struct image_header h;
	uint64_t total = nruns ? runs[nruns - 1].image_off + runs[nruns - 1].len : 0;
	uint64_t meta = meta_size(nruns, n);
	uint8_t *want = NULL, *got = NULL;
	struct stat ist;
	int in = -1, r = -EILSEQ;

	if (!read_at(fd, &h, sizeof(h), 0) || h.magic != IMAGE_MAGIC || memcmp(&h.key, key, sizeof(*key)) != 0 ||
	    h.nruns != nruns || h.npatches != n || h.data_off != meta || (uint64_t)st->st_size != meta + total)
		goto out;
	want = malloc(meta + total);
	got = malloc(meta + total);
	if (want == NULL || got == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (!read_at(fd, got, meta + total, 0) ||
	    memcmp(got + sizeof(h), runs, nruns * sizeof(*runs)) != 0 ||
	    memcmp(got + sizeof(h) + nruns * sizeof(*runs), p, n * sizeof(*p)) != 0)
		goto out;
	in = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &ist) != 0 || !zp_cache_key_matches(&ist, key)) {
		r = -ESTALE;
		goto out;
	}
	/* the original's pages, patched: every byte must be the image's */
	uint64_t d;
	if ((r = image_pages(in, key->size, runs, nruns, p, n, want + meta, &d)) < 0)
		goto out;
	r = d == h.digest && memcmp(want + meta, got + meta, total) == 0 ? 0 : -EILSEQ;
out:
	if (in >= 0)
		close(in);
	free(want);
	free(got);
	return r;
}

void zp_image_close(struct zp_image *im)
{
	if (im->fd >= 0)
		close(im->fd);
	free(im->runs);
	im->fd = -1;
	im->runs = NULL;
	im->nruns = 0;
}

int zp_image_dir(int dirfd, bool create)
{
	return open_sub(dirfd, "images", create, true);
}

int zp_image_open(int dirfd, int imgfd, const struct zp_cache_key *key, const char *file, struct zp_patch *p,
		  size_t n, struct zp_image *im)
{
	char hash[32], name[256];
	struct stat st;
	int sub = -1, imgs = -1, fd = -1, r;

	im->fd = -1;
	im->made = false;
	im->runs = NULL;
	im->nruns = 0;
	for (size_t i = 1; i < n; i++)
		if (p[i].off < p[i - 1].off) {
			qsort(p, n, sizeof(*p), cmp_patch);
			break;
		}
	if ((r = image_runs(p, n, &im->runs, &im->nruns)) < 0)
		return r;
	const struct image_want want = { fnv1a(key, sizeof(*key)), fnv1a_words(p, n * sizeof(*p)) };
	image_names(hash, sizeof(hash), name, sizeof(name), &want, file);
	uint64_t meta = meta_size(im->nruns, n);
	if (imgfd >= 0) {
		/* the common case, in few calls: the image, by path below the
		 * checked images directory, in which no one else can make
		 * anything, its owner and stamp by one fstat */
		char rel[300];
		snprintf(rel, sizeof(rel), "%s/%s", hash, name);
		fd = openat(imgfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && trusted(&st) && stamp_ok(&st, &want))
			goto found;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (imgfd < 0 && (imgs = zp_image_dir(dirfd, true)) < 0) {
		r = imgs;
		goto out;
	}
	if ((sub = open_sub(imgfd >= 0 ? imgfd : imgs, hash, true, true)) < 0) {
		r = sub;
		goto out;
	}
	/* at most: found bad (or a symlink), removed; made; found good */
	for (int tries = 0; tries < 3; tries++) {
		fd = openat(sub, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ELOOP) {
			unlinkat(sub, name, 0);     /* a symlink: never ours */
			continue;
		}
		if (fd < 0 && errno == ENOENT) {
			r = image_create(sub, name, file, key, im->runs, im->nruns, p, n, &want);
			if (r < 0)
				goto out;
			im->made = true;
			continue;
		}
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		/* the cheap test: the file last checked, unchanged since */
		if (fstat(fd, &st) == 0 && trusted(&st) && stamp_ok(&st, &want)) {
			r = 0;
			break;
		}
		r = fstat(fd, &st) == 0 && trusted(&st) ? image_check(fd, &st, file, key, im->runs, im->nruns,
								     p, n) : -EPERM;
		if (r == 0) {
			write_stamp(fd, &want);
			break;
		}
		if (r == -ESTALE || r == -ENOMEM)
			goto out;
		/* not the image it should be: made again */
		close(fd);
		fd = -1;
		unlinkat(sub, name, 0);
	}
	if (fd < 0) {
		r = r < 0 ? r : -EAGAIN;
		goto out;
	}
found:
	/* (the header's data offset, as checked) */
	for (size_t i = 0; i < im->nruns; i++)
		im->runs[i].image_off += meta;
	im->fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (sub >= 0)
		close(sub);
	if (imgs >= 0)
		close(imgs);
	if (r < 0)
		zp_image_close(im);
	return r;
}

/* ---- what is in the cache, its size bound ---- */

uint64_t zp_cache_max(void)
{
	const char *s = getenv("ZPOLINE_CACHE_MAX");
	char *end;

	if (s == NULL || *s == '\0')
		return ZP_CACHE_MAX_DEFAULT;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = *end == 'K' || *end == 'k' ? 1ull << 10 : *end == 'M' || *end == 'm' ? 1ull << 20
		     : *end == 'G' || *end == 'g' ? 1ull << 30 : 1;
	if (end == s || (mul != 1 ? end[1] != '\0' : *end != '\0'))
		return ZP_CACHE_MAX_DEFAULT;
	return v * mul;
}

static int cmp_item(const void *a, const void *b)
{
	const struct zp_cache_item *x = a, *y = b;

	return x->used_ns < y->used_ns ? -1 : x->used_ns > y->used_ns;
}

static int add_item(struct zp_cache_item **v, size_t *n, size_t *cap, const struct zp_cache_item *it)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		struct zp_cache_item *p = realloc(*v, c * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = *it;
	return 0;
}

/* stale_tmp -- a temporary file left by a killed writer */
static bool stale_tmp(const char *name, const struct stat *st)
{
	size_t l = strlen(name);

	return l > 4 && strcmp(name + l - 4, ".tmp") == 0 && time(NULL) - st->st_mtim.tv_sec > STALE_TMP_S;
}

/* list_images -- the image files under images/ (with the stamp files
 * older builds wrote beside them, NAME.ok: counted with their image and
 * removed with it) */
static int list_images(int cfd, struct zp_cache_item **v, size_t *n, size_t *cap, bool clean)
{
	int imgs = open_sub(cfd, "images", false, true), r = 0;
	DIR *d = imgs >= 0 ? fdopendir(imgs) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (imgs >= 0)
			close(imgs);
		return imgs == -ENOENT || imgs >= 0 ? 0 : imgs;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		int sub = open_sub(dirfd(d), de->d_name, false, true);
		DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
		struct dirent *se;
		if (sd == NULL) {
			if (sub >= 0)
				close(sub);
			continue;
		}
		while (r == 0 && (se = readdir(sd)) != NULL) {
			struct zp_cache_item it = { .image = true };
			struct stat st;
			size_t l = strlen(se->d_name);
			if (strcmp(se->d_name, ".") == 0 || strcmp(se->d_name, "..") == 0 ||
			    fstatat(sub, se->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (clean && stale_tmp(se->d_name, &st)) {
				unlinkat(sub, se->d_name, 0);
				continue;
			}
			if (l > 3 && strcmp(se->d_name + l - 3, ".ok") == 0)
				continue;       /* counted with its image */
			snprintf(it.name, sizeof(it.name), "images/%.32s/%.200s", de->d_name, se->d_name);
			it.bytes = (uint64_t)st.st_blocks * 512;
			/* the modification time is the stamp: the change time is
			 * when it was made or last checked */
			it.used_ns = ns_of(st.st_atim) > ns_of(st.st_ctim) ? ns_of(st.st_atim) : ns_of(st.st_ctim);
			it.made_ns = ns_of(st.st_ctim);
			int fd = openat(sub, se->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			struct image_header h;
			struct stat sst;
			if (fd >= 0 && read_at(fd, &h, sizeof(h), 0) && h.magic == IMAGE_MAGIC) {
				it.key = h.key;
				it.valid = true;
				snprintf(it.path, sizeof(it.path), "%s", h.path);
			}
			if (fd >= 0)
				close(fd);
			char sname[300];
			snprintf(sname, sizeof(sname), "%s.ok", se->d_name);
			if (fstatat(sub, sname, &sst, AT_SYMLINK_NOFOLLOW) == 0)
				it.bytes += (uint64_t)sst.st_blocks * 512;
			r = add_item(v, n, cap, &it);
		}
		closedir(sd);
	}
	closedir(d);
	return r;
}

int zp_cache_list(int dirfd, bool clean, struct zp_cache_item **out, size_t *nout)
{
	struct zp_cache_item *v = NULL;
	size_t n = 0, cap = 0;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		struct zp_cache_item it = { 0 };
		struct stat st;
		size_t l = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || strcmp(de->d_name, "images") == 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (clean && stale_tmp(de->d_name, &st)) {
			unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		it.program = l > 5 && strcmp(de->d_name + l - 5, ".prog") == 0;
		if (!it.program && (l < 7 || strcmp(de->d_name + l - 6, ".sites") != 0))
			continue;
		snprintf(it.name, sizeof(it.name), "%s", de->d_name);
		it.bytes = (uint64_t)st.st_blocks * 512;
		it.used_ns = ns_of(st.st_atim) > ns_of(st.st_mtim) ? ns_of(st.st_atim) : ns_of(st.st_mtim);
		it.made_ns = ns_of(st.st_mtim);
		struct header h;
		struct prog_header ph;
		int efd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (it.program) {
			if (efd >= 0 && read_at(efd, &ph, sizeof(ph), 0) && ph.magic == PROG_MAGIC) {
				it.valid = true;
				it.nsites = ph.nsites;
				it.nobjects = ph.nobj;
				snprintf(it.path, sizeof(it.path), "%.255s", ph.path);
			}
		} else if (efd >= 0 && read_at(efd, &h, sizeof(h), 0) && h.magic == MAGIC) {
			it.key = h.key;
			it.valid = true;
			it.nsites = h.nsites;
			snprintf(it.path, sizeof(it.path), "%s", h.path);
		}
		if (efd >= 0)
			close(efd);
		r = add_item(&v, &n, &cap, &it);
	}
	closedir(d);
	if (r == 0)
		r = list_images(dirfd, &v, &n, &cap, clean);
	if (r == 0)
		qsort(v, n, sizeof(*v), cmp_item);
out:
	if (r < 0) {
		free(v);
		v = NULL;
		n = 0;
	}
	*out = v;
	*nout = n;
	return r;
}

int zp_cache_remove(int dirfd, const struct zp_cache_item *it)
{
	char ok[320];

	if (unlinkat(dirfd, it->name, 0) != 0)
		return -errno;
	if (it->image) {
		snprintf(ok, sizeof(ok), "%s.ok", it->name);
		unlinkat(dirfd, ok, 0);
		*strrchr(ok, '/') = '\0';
		unlinkat(dirfd, ok, AT_REMOVEDIR);      /* when empty */
	}
	return 0;
}

int zp_cache_trim(int dirfd, uint64_t max)
{
	struct zp_cache_item *v;
	size_t n;
	uint64_t total = 0;
	int r = zp_cache_list(dirfd, true, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		total += v[i].bytes;
	/* least recently used first */
	for (size_t i = 0; i < n && total > max; i++)
		if (zp_cache_remove(dirfd, &v[i]) == 0)
			total -= v[i].bytes;
	free(v);
	return 0;
}
