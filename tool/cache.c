/* cache.c -- `zpoline cache [--clear | --prune | --verify]`: where the
 * cache of scan results and patched pages is, how big, and what is in it.
 *
 * Each site list and each image is one item: its kind, size, age (since it
 * was made), the time since it was last used (access time, at the file
 * system's granularity), its state (the object unchanged, changed, or
 * gone, or made by another build of the runtime), and the object it belongs
 * to. --prune removes what belongs to an object that is gone or changed and
 * what another runtime made (it can never be used again), items that cannot
 * be read, temporary files abandoned by killed runs, and the first format's
 * files beside the format directory; --clear
 * removes everything; --verify scans each object again and removes the
 * site lists that differ from what the scanner finds (someone wrote to
 * the cache: the images are checked at every first use anyway). */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "zp.h"

enum { OPT_CLEAR = 0x400, OPT_PRUNE, OPT_VERIFY };

struct cache_args {
	bool clear, prune, verify;
};

static const struct argp_option cache_options[] = {
	{ "clear", OPT_CLEAR, NULL, 0, "Remove every entry and image", 0 },
	{ "prune", OPT_PRUNE, NULL, 0,
	  "Remove what belongs to objects that are gone or changed, what another build of the runtime "
	  "(an older zpoline) made, unreadable entries, abandoned temporary files and the files of the "
	  "cache's first format", 0 },
	{ "verify", OPT_VERIFY, NULL, 0,
	  "Scan each object again and remove the site lists that differ from what the scanner finds "
	  "(exit status 1 if any did)", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static error_t parse_cache(int key, char *arg __attribute__((unused)), struct argp_state *state)
{
	struct cache_args *a = state->input;

	switch (key) {
	case OPT_CLEAR:
		a->clear = true;
		return 0;
	case OPT_PRUNE:
		a->prune = true;
		return 0;
	case OPT_VERIFY:
		a->verify = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	case ARGP_KEY_END:
		if (a->clear && (a->prune || a->verify))
			argp_error(state, "--clear already removes what --%s would: give one of them",
				   a->prune ? "prune" : "verify");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* human -- 3.2 MiB */
static const char *human(char *buf, size_t len, uint64_t b)
{
	if (b < 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)b / 1024);
	else if (b < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)b / (1024 * 1024));
	else
		snprintf(buf, len, "%.1f GiB", (double)b / (1024 * 1024 * 1024));
	return buf;
}

/* age -- 45s, 12m, 3h, 9d */
static const char *age(char *buf, size_t len, int64_t then_ns)
{
	int64_t s = (int64_t)time(NULL) - then_ns / 1000000000;

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	return buf;
}

/* the runtime beside this command, whose build-id the keys it makes hold */
static struct zp_file_id runtime_id;

/* state -- can the item still be used: the object as its key names it,
 * keyed by this runtime (for a program's entry: each of its objects)? */
static const char *state(int dirfd, const struct zp_cache_item *it)
{
	if (!it->valid)
		return "unreadable";
	if (it->program) {
		struct zp_cache_item *v;
		size_t n;
		const char *worst = "ok";
		if (zp_cache_program_objects(dirfd, it->name, &v, &n) < 0)
			return "unreadable";
		for (size_t i = 0; i < n; i++) {
			const char *s = state(dirfd, &v[i]);
			if (strcmp(s, "ok") != 0)
				worst = s;
			if (strcmp(s, "gone") == 0)
				break;
		}
		free(v);
		return worst;
	}
	int r = zp_cache_object_state(it);
	/* (what cannot be told is taken as usable) */
	if (r == -ENOENT || r == -ESTALE)
		return r == -ENOENT ? "gone" : "changed";
	/* made by another build of the runtime (an older zpoline): its
	 * build-id is part of every key, so this one never reads it */
	if (runtime_id.build_id_len > 0 && it->key.scanner_id_len > 0 &&
	    (it->key.scanner_id_len != (runtime_id.build_id_len < sizeof(it->key.scanner_id)
						? runtime_id.build_id_len : sizeof(it->key.scanner_id)) ||
	     memcmp(it->key.scanner_id, runtime_id.build_id, it->key.scanner_id_len) != 0))
		return "other";
	return "ok";
}

/* is_hex -- n lowercase hex digits, then end */
static bool is_hex(const char *s, size_t n, const char *end)
{
	return strspn(s, "0123456789abcdef") == n && strcmp(s + n, end) == 0;
}

/* starts_with -- does the regular file name in dir begin with the bytes
 * magic (its size in *bytes)? */
static bool starts_with(int dir, const char *name, const char *magic, size_t n, uint64_t *bytes)
{
	char buf[16];
	struct stat st;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, buf, n, 0) == (ssize_t)n &&
		  memcmp(buf, magic, n) == 0;

	if (fd >= 0)
		close(fd);
	*bytes = ok ? (uint64_t)st.st_size : 0;
	return ok;
}

/* dir_at -- the directory name in dir, not through a symlink, or NULL */
static DIR *dir_at(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL && fd >= 0)
		close(fd);
	return d;
}

/* struct old -- the first format's files found (and removed, if asked) */
struct old {
	bool remove;
	unsigned count;
	uint64_t bytes;
};

/* found -- name in dir is one of them, of b bytes */
static void found(struct old *o, int dir, const char *name, uint64_t b)
{
	if (!o->remove || unlinkat(dir, name, 0) == 0) {
		o->count++;
		o->bytes += b;
	}
}

/* legacy_images -- images/HASH/NAME, each an ELF file */
static void legacy_images(struct old *o, DIR *imgs)
{
	struct dirent *h, *f;
	uint64_t b;

	while ((h = readdir(imgs)) != NULL) {
		DIR *dd = is_hex(h->d_name, 16, "") ? dir_at(dirfd(imgs), h->d_name) : NULL;
		if (dd == NULL)
			continue;
		while ((f = readdir(dd)) != NULL)
			if (f->d_name[0] != '.' && starts_with(dirfd(dd), f->d_name, ELFMAG, SELFMAG, &b))
				found(o, dirfd(dd), f->d_name, b);
		closedir(dd);
		if (o->remove)
			unlinkat(dirfd(imgs), h->d_name, AT_REMOVEDIR);        /* when empty */
	}
}

/* legacy -- what the cache's first format left in the cache's root, beside
 * the format directories: site lists HASH.sites (they begin "1CETISPZ") and
 * images/HASH/NAME (whole copies of ELF objects). No runtime reads them
 * any more. Counted, and removed if asked; only what carries those marks
 * is touched, and only in the default cache's root (ours alone): a
 * directory ZPOLINE_CACHE_DIR names may hold anyone's ELF files in such
 * a place. */
static void legacy(struct old *o, int cachefd)
{
	DIR *d = dir_at(cachefd, "..");
	struct dirent *e;
	uint64_t b;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (is_hex(e->d_name, 16, ".sites") && starts_with(dirfd(d), e->d_name, "1CETISPZ", 8, &b)) {
			found(o, dirfd(d), e->d_name, b);
			continue;
		}
		DIR *imgs = strcmp(e->d_name, "images") == 0 ? dir_at(dirfd(d), "images") : NULL;
		if (imgs == NULL)
			continue;
		legacy_images(o, imgs);
		closedir(imgs);
		if (o->remove)
			unlinkat(dirfd(d), "images", AT_REMOVEDIR);
	}
	closedir(d);
}

/* verify -- the scanner helper (it alone loads the decoder) scans each
 * object of the cache dir again, removes the site lists that differ and
 * says so: 1 when it removed any, 0 when none differed */
static int verify(const char *dir)
{
	char scanner[PATH_MAX];
	int status;

	if (zp_find_scanner(scanner, sizeof(scanner)) < 0)
		die(EXIT_SETUP, "cannot find zpoline-scan beside libzpoline.so: reinstall zpoline");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die(EXIT_SETUP, "fork: %s", strerror(errno));
	if (pid == 0) {
		execl(scanner, scanner, "verify", "--", dir, (char *)NULL);
		fprintf(stderr, "zpoline: cannot run %s: %s\n", scanner, strerror(errno));
		_exit(EXIT_SETUP);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(EXIT_SETUP, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1))
		die(EXIT_SETUP, "the scanner could not verify the cache %s", dir);
	return WEXITSTATUS(status);
}

static const char doc_cache[] =
	"Show where zpoline keeps what it learnt about objects (their system call sites, and "
	"their patched pages, and for each program the sites of all the objects it starts with, "
	"read at once), how much room that takes, and each item with its object, its age "
	"and the time since it was last used; or remove items.\v"
	"The cache is $ZPOLINE_CACHE_DIR, $XDG_CACHE_HOME/zpoline or ~/.cache/zpoline, in a "
	"subdirectory named after its format (v2). Its size is bounded by $ZPOLINE_CACHE_MAX "
	"(bytes, or with K, M or G; default 64M): the runtime removes the least recently used "
	"items when it grows past that. Exit status: 0; 1 when --verify found and removed altered "
	"site lists; 2 for a bad command line; 125 when the cache directory cannot be used (not "
	"yours, or writable by others). See zpoline(1).";

int cmd_cache(int argc, char **argv)
{
	struct argp argp = { cache_options, parse_cache, "", doc_cache, NULL, NULL, NULL };
	struct cache_args a = { false, false, false };
	struct zp_cache_item *v;
	char dir[PATH_MAX] = "", b1[32], b2[32], b3[32];
	size_t n;
	uint64_t total = 0, removed = 0;
	unsigned nremoved = 0;
	int altered = 0;

	argv[0] = "zpoline cache";
	argp_parse(&argp, argc, argv, 0, NULL, &a);

	int fd = zp_cache_open(dir, sizeof(dir), false);
	if (fd == -ENOENT && getenv(ZP_ENV_CACHE) != NULL && strcmp(getenv(ZP_ENV_CACHE), "0") == 0) {
		printf("cache: off (ZPOLINE_CACHE=0): objects are scanned at every start\n");
		return 0;
	}
	const char *base, *rest;
	char root[PATH_MAX];
	struct stat st;
	if (fd == -ENOENT && zp_cache_root(root, sizeof(root), &base, &rest) == 0 && stat(base, &st) != 0) {
		printf("cache: none: %s does not exist (the runtime makes only the cache's own directories "
		       "in it); objects are scanned at every start\n", base);
		return 0;
	}
	if (fd == -ENOENT && dir[0] == '/') {
		printf("cache: %s (not made yet)\nsize:  0 B of %s (ZPOLINE_CACHE_MAX)\n", dir,
		       human(b1, sizeof(b1), zp_cache_max()));
		return 0;
	}
	if (fd == -ENOENT)
		die(EXIT_SETUP, "no cache directory: set HOME, XDG_CACHE_HOME or ZPOLINE_CACHE_DIR to an "
		    "absolute path");
	if (fd < 0)
		die(EXIT_SETUP, "cannot use the cache directory %s: %s; each directory on its path must be "
		    "yours or root's and writable by no one else (remove it, or set ZPOLINE_CACHE_DIR)", dir,
		    fd == -EPERM ? "not yours, or writable by others" : strerror(-fd));
	char rt[PATH_MAX];
	if (zp_find_runtime(rt, sizeof(rt)) == 0 && !zp_read_file_id(rt, &runtime_id))
		runtime_id.build_id_len = 0;
	struct old old = { .remove = a.clear || a.prune };
	if (getenv(ZP_ENV_CACHE_DIR) == NULL)
		legacy(&old, fd);
	if (a.verify)
		altered = verify(dir);
	int r = zp_cache_list(fd, a.clear || a.prune, &v, &n);
	if (r < 0)
		die(EXIT_SETUP, "cannot read the cache directory %s: %s", dir, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		const char *s = state(fd, &v[i]);
		if (a.clear || (a.prune && strcmp(s, "ok") != 0)) {
			if (zp_cache_remove(fd, &v[i]) == 0) {
				removed += v[i].bytes;
				nremoved++;
			}
			continue;
		}
		total += v[i].bytes;
	}
	printf("cache: %s\nsize:  %s in %zu item%s, of %s (ZPOLINE_CACHE_MAX)\n", dir, human(b1, sizeof(b1), total),
	       n - nremoved, n - nremoved == 1 ? "" : "s", human(b2, sizeof(b2), zp_cache_max()));
	if (a.clear || a.prune) {
		nremoved += old.count;
		removed += old.bytes;
		printf("removed %u item%s, %s\n", nremoved, nremoved == 1 ? "" : "s", human(b1, sizeof(b1), removed));
	} else if (old.count > 0) {
		printf("older format: %s in %u item%s beside it, which no runtime reads (--prune removes them)\n",
		       human(b1, sizeof(b1), old.bytes), old.count, old.count == 1 ? "" : "s");
	}
	if (!a.clear && !a.prune && n > 0) {
		printf("\n%-7s %10s %5s %5s %-8s %s\n", "KIND", "SIZE", "AGE", "USED", "STATE", "OBJECT");
		/* most recently used first */
		for (size_t i = n; i-- > 0;) {
			char more[64] = "";
			if (v[i].program)
				snprintf(more, sizeof(more), " and %llu more objects",
					 (unsigned long long)(v[i].nobjects ? v[i].nobjects - 1 : 0));
			else if (strcmp(v[i].key.tag, "late") == 0)
				snprintf(more, sizeof(more), " (loaded late)");
			printf("%-7s %10s %5s %5s %-8s %s%s\n",
			       v[i].image ? "image" : v[i].program ? "program" : "sites",
			       human(b3, sizeof(b3), v[i].bytes), age(b1, sizeof(b1), v[i].made_ns),
			       age(b2, sizeof(b2), v[i].used_ns), state(fd, &v[i]), v[i].path[0] ? v[i].path : "?",
			       more);
		}
	}
	free(v);
	close(fd);
	return altered;
}
