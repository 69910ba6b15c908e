/* patch.c -- find the loaded objects, their syscall sites, and rewrite them.
 *
 * A site becomes `call *%rax` (ff d0) when the analysis of its function
 * says the red zone is dead there; otherwise it becomes `ud2` (0f 0b), which
 * pushes nothing: the kernel builds the signal frame below the red zone and
 * signal.c performs the call. Sites are collected first, with libc, libelf
 * and Zydis at hand; then every page is changed with raw system calls only,
 * from read-only to writable (never writable and executable) and back to
 * its exact original protection, so no code that is being rewritten runs
 * while its page is not executable. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "zp.h"

/* the call-site set, read by CHECK_SITE in stub.S: open addressing with
 * linear probing and no wrap-around (PROBE_SLACK spare slots at the end,
 * the last always zero) */
#define PROBE_SLACK 64
uintptr_t *zp_site_table;
uintptr_t zp_site_mask;
static size_t site_slots;

static uintptr_t *trap_sites;
static size_t ntrap_sites;

static inline size_t site_hash(uintptr_t a)
{
	return (a ^ (a >> 5)) & zp_site_mask;
}

int zp_sites_init(size_t expect)
{
	/* room for the libraries loaded later: the table cannot grow, as the
	 * stub reads it without locks */
	size_t cap = 8192;

	while (cap < 2 * expect)
		cap *= 2;
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

static bool add_late_trap(uintptr_t site)
{
	unsigned i = __atomic_load_n(&nlate_traps, __ATOMIC_ACQUIRE);
	if (i >= MAX_LATE_TRAPS)
		return false;
	late_traps[i] = site;
	__atomic_store_n(&nlate_traps, i + 1, __ATOMIC_RELEASE);
	return true;
}

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

static void add_excluded(uintptr_t start, uintptr_t end)
{
	unsigned i = __atomic_load_n(&nexcluded, __ATOMIC_ACQUIRE);
	if (i >= MAX_EXCLUDED)
		return;
	excluded[i].start = start;
	excluded[i].end = end;
	__atomic_store_n(&nexcluded, i + 1, __ATOMIC_RELEASE);
}

bool zp_in_excluded(uintptr_t addr)
{
	unsigned n = __atomic_load_n(&nexcluded, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if (addr >= excluded[i].start && addr < excluded[i].end)
			return true;
	return false;
}

#define MAX_EXEC_SEGS 4

struct object {
	char path[256];
	uintptr_t bias;
	const void *image;      /* the vDSO: no file */
	size_t image_size;
	bool excluded;
	struct zp_cache_key key;
	/* its executable PT_LOADs, as the loader mapped them (page-rounded) */
	struct { uintptr_t start, end; uint64_t off; int prot; } segs[MAX_EXEC_SEGS];
	unsigned nsegs;
	bool many_segs;         /* more than MAX_EXEC_SEGS: read the maps */
};

struct objects {
	struct object *v;
	size_t n, cap;
	uintptr_t self;         /* our own load address */
	uintptr_t vdso;
	const char *exclude;
	bool count_excluded;    /* scan excluded objects too, for the report */
	struct zp_cache_key self_key;   /* the runtime's own build-id */
};

/* build_id -- NT_GNU_BUILD_ID from the object's notes, as mapped */
static void build_id(const struct dl_phdr_info *info, struct zp_cache_key *key)
{
	memset(key, 0, sizeof(*key));
	key->scan_version = ZP_SCAN_VERSION;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof(*n);
			const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
			    n->n_descsz <= sizeof(key->build_id)) {
				memcpy(key->build_id, desc, n->n_descsz);
				key->build_id_len = n->n_descsz;
				return;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
}

/* key_file -- the file part of a cache key: identity and last change */
static void key_file(struct zp_cache_key *k, const struct stat *st)
{
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = (uint64_t)st->st_size;
	k->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* key_scanner -- what scanned: the runtime's own build-id */
static void key_scanner(struct zp_cache_key *k, const struct zp_cache_key *self)
{
	k->scanner_id_len = self->build_id_len < sizeof(k->scanner_id) ? self->build_id_len
									 : sizeof(k->scanner_id);
	memcpy(k->scanner_id, self->build_id, k->scanner_id_len);
}

/* cache_key -- complete the key: the file's identity, or for the vDSO the
 * kernel it belongs to; false when the object cannot be keyed */
static bool cache_key(struct object *ob)
{
	struct stat st;

	if (ob->image != NULL) {
		struct utsname u;
		if (ob->key.build_id_len == 0 || uname(&u) != 0)
			return false;
		snprintf(ob->key.tag, sizeof(ob->key.tag), "vdso %.58s", u.release);
		return true;
	}
	if (stat(ob->path, &st) != 0)
		return false;
	key_file(&ob->key, &st);
	return true;
}

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct objects *o = data;
	struct object *ob;

	(void)size;
	if (info->dlpi_addr == o->self && o->self != 0) {
		build_id(info, &o->self_key);
		return 0;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 32;
		struct object *p = realloc(o->v, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		o->v = p;
		o->cap = cap;
	}
	ob = &o->v[o->n];
	memset(ob, 0, sizeof(*ob));
	ob->bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > ob->image_size)
			ob->image_size = ph->p_vaddr + ph->p_memsz;
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (ob->nsegs == MAX_EXEC_SEGS) {
			ob->many_segs = true;
			continue;
		}
		ob->segs[ob->nsegs].start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
		ob->segs[ob->nsegs].end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;
		ob->segs[ob->nsegs].off = ph->p_offset & ~(uint64_t)4095;
		ob->segs[ob->nsegs].prot = PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0) |
					   (ph->p_flags & PF_W ? PROT_WRITE : 0);
		ob->nsegs++;
	}
	if (o->vdso != 0 &&
	    (uintptr_t)info->dlpi_phdr == o->vdso + ((const ElfW(Ehdr) *)o->vdso)->e_phoff) {
		snprintf(ob->path, sizeof(ob->path), "[vdso]");
		ob->image = (const void *)o->vdso;
	} else if (info->dlpi_name[0] != '\0') {
		snprintf(ob->path, sizeof(ob->path), "%s", info->dlpi_name);
	} else if (o->n == 0) {
		/* the program, under the name it was started by (/bin/ls, not
		 * /usr/bin/ls) when that is the same file (not a script's) */
		const char *fn = (const char *)getauxval(AT_EXECFN);
		struct stat a, b;
		ssize_t len = readlink("/proc/self/exe", ob->path, sizeof(ob->path) - 1);
		ob->path[len > 0 ? len : 0] = '\0';
		if (fn != NULL && fn[0] == '/' && strlen(fn) < sizeof(ob->path) && stat(fn, &a) == 0 &&
		    stat(ob->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			snprintf(ob->path, sizeof(ob->path), "%s", fn);
	} else {
		return 0;       /* an object with no name and no file */
	}
	ob->excluded = o->exclude != NULL && zp_path_matches(o->exclude, ob->path);
	for (int i = 0; ob->excluded && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			add_excluded(info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
	}
	build_id(info, &ob->key);
	o->n++;
	return 0;
}

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

struct zp_objstat *zp_stats;
size_t zp_nstats;

/* runtime_dir -- the directory of libzpoline.so, where its helpers are */
static const char *runtime_dir(void)
{
	static char dir[4096];
	Dl_info self;

	if (dir[0] == '\0' && dladdr((void *)runtime_dir, &self) != 0 && self.dli_fname != NULL &&
	    self.dli_fname[0] == '/') {
		snprintf(dir, sizeof(dir), "%s", self.dli_fname);
		*strrchr(dir, '/') = '\0';
	}
	return dir;
}

/* run_scanner -- `zpoline-scan store DIR KEY PATH...`: a child process
 * scans what the cache lacks, so this one never loads the decoder. It is
 * a grandchild, started with raw calls and an empty environment (not
 * hooked itself): a child that execs notifies its parent with SIGCHLD
 * whatever exit signal it was given, and the program's handler and wait()
 * must not see it. The intermediate child exits at once, with no signal;
 * the helper holds the write end of a pipe, so end of file says it is
 * done, and a byte says it could not even start. */
static int run_scanner(const char *dir, const struct zp_cache_key *const *keys, const char *const *paths,
		       size_t n)
{
	const size_t hexlen = 2 * sizeof(struct zp_cache_key) + 1;
	char helper[4200];
	char **argv = calloc(2 * n + 4, sizeof(*argv));
	char *hex = malloc(n * hexlen);
	char *envp[] = { NULL };
	int pipefd[2], r = -ENOMEM;

	snprintf(helper, sizeof(helper), "%s/zpoline-scan", runtime_dir());
	if (argv == NULL || hex == NULL)
		goto out;
	argv[0] = helper;
	argv[1] = "store";
	argv[2] = (char *)dir;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *b = (const unsigned char *)keys[i];
		char *h = hex + i * hexlen;
		for (size_t k = 0; k < sizeof(struct zp_cache_key); k++)
			snprintf(h + 2 * k, 3, "%02x", b[k]);
		argv[3 + 2 * i] = h;
		argv[4 + 2 * i] = (char *)paths[i];
	}
	if ((r = (int)zp_raw_syscall(SYS_pipe2, (long)pipefd, O_CLOEXEC, 0, 0, 0, 0)) < 0)
		goto out;
	long pid = zp_raw_syscall(SYS_clone, 0, 0, 0, 0, 0, 0);
	if (pid == 0) {
		if (zp_raw_syscall(SYS_clone, 0, 0, 0, 0, 0, 0) == 0) {
			zp_raw_syscall(SYS_fcntl, pipefd[1], F_SETFD, 0, 0, 0, 0);
			zp_raw_syscall(SYS_execve, (long)helper, (long)argv, (long)envp, 0, 0, 0);
			zp_raw_syscall(SYS_write, pipefd[1], (long)"x", 1, 0, 0, 0);
		}
		zp_raw_syscall(SYS_exit, 0, 0, 0, 0, 0, 0);
	}
	zp_raw_syscall(SYS_close, pipefd[1], 0, 0, 0, 0, 0);
	long got = 0;
	char c;
	if (pid > 0) {
		while (zp_raw_syscall(SYS_wait4, pid, 0, __WALL, 0, 0, 0) == -EINTR)
			;
		do
			got = zp_raw_syscall(SYS_read, pipefd[0], (long)&c, 1, 0, 0, 0);
		while (got == -EINTR);
	}
	zp_raw_syscall(SYS_close, pipefd[0], 0, 0, 0, 0, 0);
	r = pid < 0 ? (int)pid : got == 1 ? -ENOENT : 0;
out:
	free(argv);
	free(hex);
	return r;
}

/* sweep_private_dirs -- private scan directories (below) that a killed
 * run left in dir: ours, and older than an hour */
static void sweep_private_dirs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "zpoline-", 8) != 0 || strlen(de->d_name) != 14 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || time(NULL) - st.st_mtime < 3600)
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
		struct dirent *se;
		while (sd != NULL && (se = readdir(sd)) != NULL)
			if (se->d_name[0] != '.' || (strcmp(se->d_name, ".") != 0 && strcmp(se->d_name, "..") != 0))
				unlinkat(dirfd(sd), se->d_name, 0);
		if (sd != NULL)
			closedir(sd);
		else if (sub >= 0)
			close(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	if (d != NULL)
		closedir(d);
}

/* scan_dir -- where the helper stores entries: the cache, or with the
 * cache off a private directory (scan_dir_done empties it) */
static const char *scan_dir(const char *cachedir, char *tmp, size_t len)
{
	const char *t = getenv("TMPDIR");
	const char *parent = t != NULL && t[0] == '/' ? t : "/tmp";

	if (cachedir != NULL)
		return cachedir;
	sweep_private_dirs(parent);
	snprintf(tmp, len, "%s/zpoline-XXXXXX", parent);
	return mkdtemp(tmp);
}

static void scan_dir_done(const char *cachedir, const char *dir)
{
	if (dir == NULL || dir == cachedir)
		return;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* The cache grew (an entry or an image was made): keep_bound then keeps
 * it within its bound (ZPOLINE_CACHE_MAX; the helper, which runs with no
 * environment, does not know it), at the end of start-up or of a late
 * library. Once a process: it walks the whole cache, and a program
 * loading libraries one by one would walk it for each. */
static bool cache_grew;

static void keep_bound(int cachefd)
{
	static bool done;

	if (cachefd >= 0 && __atomic_load_n(&cache_grew, __ATOMIC_ACQUIRE) &&
	    !__atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
		zp_cache_trim(cachefd, zp_cache_max());
}

/* scan_missing -- the helper scans n objects the cache lacks; what it
 * stored is loaded into scans[k], got[k] saying whether it was */
static int scan_missing(const char *cachedir, const struct zp_cache_key *const *keys,
			const char *const *paths, size_t n, struct zp_scan *scans, bool *got)
{
	char tmpbuf[4096];
	const char *dir = scan_dir(cachedir, tmpbuf, sizeof(tmpbuf));
	int r = dir != NULL ? run_scanner(dir, keys, paths, n) : -errno;
	int fd = dir != NULL ? zp_cache_open_path(dir) : -1;

	for (size_t k = 0; k < n; k++)
		got[k] = fd >= 0 && zp_cache_load(fd, keys[k], &scans[k]) == 0;
	if (dir == cachedir)
		__atomic_store_n(&cache_grew, true, __ATOMIC_RELEASE);
	if (fd >= 0)
		close(fd);
	scan_dir_done(cachedir, dir);
	return r;
}

/* scan_objects -- every site of every object that is not excluded: from
 * the cache, and what it lacks from the helper, all objects at once */
static int scan_objects(struct objects *o, int cachefd, const char *cachedir, struct site **out, size_t *nout)
{
	struct site *sites = NULL;
	size_t n = 0, cap = 0, nmiss = 0;
	struct zp_scan *scans = calloc(o->n ? o->n : 1, sizeof(*scans));
	bool *have = calloc(o->n ? o->n : 1, sizeof(*have));
	const struct zp_cache_key **keys = calloc(o->n ? o->n : 1, sizeof(*keys));
	const char **paths = calloc(o->n ? o->n : 1, sizeof(*paths));
	size_t *miss = calloc(o->n ? o->n : 1, sizeof(*miss));

	zp_stats = calloc(o->n ? o->n : 1, sizeof(*zp_stats));
	if (zp_stats == NULL || scans == NULL || have == NULL || keys == NULL || paths == NULL || miss == NULL)
		return -ENOMEM;
	zp_nstats = o->n;
	for (size_t i = 0; i < o->n; i++) {
		struct object *ob = &o->v[i];
		struct zp_objstat *st = &zp_stats[i];
		uint64_t t0 = zp_now_ns();

		snprintf(st->path, sizeof(st->path), "%s", ob->path);
		if ((ob->excluded && !o->count_excluded) || !cache_key(ob)) {
			if (!ob->excluded)
				zp_msg("cannot identify %s; its system calls are not hooked", ob->path);
			continue;
		}
		if (cachefd >= 0 && zp_cache_load(cachefd, &ob->key, &scans[i]) == 0) {
			have[i] = st->cached = true;
			st->ns = zp_now_ns() - t0;
			continue;
		}
		keys[nmiss] = &ob->key;
		paths[nmiss] = ob->image != NULL ? "[vdso]" : ob->path;
		miss[nmiss++] = i;
	}
	struct zp_scan *mscans = calloc(nmiss ? nmiss : 1, sizeof(*mscans));
	bool *mgot = calloc(nmiss ? nmiss : 1, sizeof(*mgot));
	if (mscans == NULL || mgot == NULL)
		return -ENOMEM;
	if (nmiss > 0) {
		int r = scan_missing(cachedir, keys, paths, nmiss, mscans, mgot);
		if (r == -ENOENT)
			zp_msg("cannot run %s/zpoline-scan: the system calls of %zu objects are not "
			       "hooked; reinstall zpoline", runtime_dir(), nmiss);
		for (size_t k = 0; k < nmiss; k++) {
			size_t i = miss[k];
			scans[i] = mscans[k];
			have[i] = mgot[k];
			zp_stats[i].ns = mscans[k].ns;      /* as the helper measured it */
			if (!have[i] && r != -ENOENT)
				zp_msg("cannot scan %s (%s); its system calls are not hooked", o->v[i].path,
				       r < 0 ? strerror(-r) : "nothing stored");
		}
	}
	free(mscans);
	free(mgot);
	for (size_t i = 0; i < o->n; i++) {
		struct object *ob = &o->v[i];
		struct zp_objstat *st = &zp_stats[i];
		struct zp_scan *scan = &scans[i];

		if (!have[i])
			continue;
		st->bytes = scan->bytes_scanned;
		st->decoded = scan->bytes_decoded;
		for (size_t k = 0; k < scan->nsites; k++)
			*(scan->sites[k].flags & ZP_SITE_SYSENTER ? &st->sysenter : &st->syscall) += 1;
		if (ob->excluded) {
			/* counted for the report, left alone */
			st->excluded = (unsigned)scan->nsites;
			zp_scan_free(scan);
			continue;
		}
		if (n + scan->nsites > cap) {
			cap = 2 * (n + scan->nsites) + 64;
			struct site *p = realloc(sites, cap * sizeof(*p));
			if (p == NULL)
				return -ENOMEM;
			sites = p;
		}
		for (size_t k = 0; k < scan->nsites; k++)
			sites[n++] = (struct site){ scan->sites[k].addr + ob->bias, scan->sites[k].flags,
						    (uint32_t)i };
		zp_scan_free(scan);
	}
	free(scans);
	free(have);
	free(keys);
	free(paths);
	free(miss);
	qsort(sites, n, sizeof(*sites), cmp_site);
	*out = sites;
	*nout = n;
	return 0;
}

static long raw_mprotect(uintptr_t addr, size_t len, int prot)
{
	return zp_raw_syscall(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

/* poke -- write through /proc/self/mem, which the kernel allows for a
 * private mapping it will not make writable (the vDSO on recent kernels,
 * W^X policies): the page is copied on write, as for a debugger's
 * breakpoint */
static bool poke(int memfd, uintptr_t addr, const uint8_t *bytes)
{
	return memfd >= 0 && zp_raw_syscall(SYS_pwrite64, memfd, (long)bytes, 2, (long)addr, 0, 0) == 2;
}

#define SITE_DONE (1u << 31)      /* rewritten by mapping an image */

/* clean_file_pages -- is every page of [start,end) still the file's own,
 * none copied on write (relocated text, a debugger's breakpoint)? Pages
 * never touched are not present, and are the file's too. The new mapping
 * starts with none present: the pages the runtime's own start-up used are
 * not mapped again unless the program uses them. */
static bool clean_file_pages(int pagemap, uintptr_t start, uintptr_t end)
{
	uint64_t e[512];

	for (uintptr_t a = start; a < end;) {
		size_t n = (end - a) / 4096 < 512 ? (end - a) / 4096 : 512;
		if (pread(pagemap, e, n * 8, (off_t)(a / 4096 * 8)) != (ssize_t)(n * 8))
			return false;
		for (size_t i = 0; i < n; i++) {
			bool here = e[i] >> 63 & 1, swapped = e[i] >> 62 & 1, file = e[i] >> 61 & 1;
			if (swapped || (here && !file))
				return false;
		}
		a += n * 4096;
	}
	return true;
}

/* map_image -- map, over [start,start+len) (path at file offset off),
 * the patched pages of its image (cache.c): no page is written, so none is
 * copied, and the pages with no site stay the file's own. A run that
 * cannot be mapped gets the file's own pages back. */
static bool map_image(int cachefd, int imgfd, int pagemap, const struct zp_cache_key *key, const char *path,
		      struct zp_patch *p, size_t n, uintptr_t start, size_t len, uint64_t off, int prot)
{
	struct zp_image im;
	bool ok = true;

	if (zp_image_open(cachefd, imgfd, key, path, p, n, &im) < 0)
		return false;
	if (im.made)
		__atomic_store_n(&cache_grew, true, __ATOMIC_RELEASE);
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

static struct zp_patch site_patch(uint64_t off, bool trap)
{
	return (struct zp_patch){ .off = off, .bytes = { trap ? 0x0f : 0xff, trap ? 0x0b : 0xd0 } };
}

/* image_mapping -- map_image for one executable mapping of an object
 * loaded at start-up, whose sites are s[0..n), if its pages are still the
 * file's own */
static bool image_mapping(const struct object *ob, int cachefd, int imgfd, int pagemap, const struct zp_map *m,
			  struct site *s, size_t n)
{
	bool ok = !m->shared && (m->prot & PROT_EXEC) && m->path[0] == '/' && m->dev == ob->key.dev &&
		  m->ino == ob->key.ino;
	struct zp_patch *p = ok ? calloc(n, sizeof(*p)) : NULL;
	if (p != NULL) {
		for (size_t k = 0; k < n; k++)
			p[k] = site_patch(s[k].addr - m->start + m->offset, s[k].flags & ZP_SITE_REDZONE);
		ok = map_image(cachefd, imgfd, pagemap, &ob->key, m->path, p, n, m->start, m->end - m->start, m->offset,
			       m->prot);
	}
	free(p);
	return p != NULL && ok;
}

/* map_images -- every object's executable mappings that can take an image */
static void map_images(const struct objects *o, int cachefd, struct site *s, size_t n,
		       const struct zp_map *maps, size_t nmaps)
{
	const char *off = getenv("ZPOLINE_IMAGES");

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
	for (size_t i = 0; i < n;) {
		const struct zp_map *m = zp_maps_find(maps, nmaps, s[i].addr);
		const struct object *ob = &o->v[s[i].obj];
		size_t j = i + 1;
		while (j < n && m != NULL && s[j].addr + 2 <= m->end && s[j].obj == s[i].obj)
			j++;
		if (m != NULL && ob->image == NULL && ob->key.ino != 0 && s[j - 1].addr + 2 <= m->end &&
		    image_mapping(ob, cachefd, imgfd, pagemap, m, s + i, j - i)) {
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
	close(pagemap);
	close(imgfd);
}

static int cmp_map(const void *a, const void *b)
{
	const struct zp_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* segment_maps -- the executable mappings of the objects as their program
 * headers say the loader made them, instead of reading /proc/self/maps
 * (about 0.15 ms a start here); -EAGAIN when an object's headers cannot
 * say (more segments than kept, overlapping ones): then read the maps */
static int segment_maps(const struct objects *o, struct zp_map **out, size_t *nout)
{
	struct zp_map *v = calloc(o->n * MAX_EXEC_SEGS + 1, sizeof(*v));
	size_t n = 0;
	int r = 0;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < o->n; i++) {
		const struct object *ob = &o->v[i];
		if (ob->many_segs) {
			r = -EAGAIN;
			goto out;
		}
		for (unsigned k = 0; k < ob->nsegs; k++) {
			struct zp_map *m = &v[n++];
			m->start = ob->segs[k].start;
			m->end = ob->segs[k].end;
			m->prot = ob->segs[k].prot;
			m->offset = ob->segs[k].off;
			m->dev = ob->image != NULL ? 0 : ob->key.dev;
			m->ino = ob->image != NULL ? 0 : ob->key.ino;
			snprintf(m->path, sizeof(m->path), "%s", ob->path);
		}
	}
	qsort(v, n, sizeof(*v), cmp_map);
	for (size_t i = 1; i < n; i++)
		if (v[i].start < v[i - 1].end) {
			r = -EAGAIN;
			goto out;
		}
	*out = v;
	*nout = n;
	return 0;
out:
	free(v);
	return r;
}

/* patch_sites -- the rewrite itself: raw system calls only, no libc, and
 * nothing runs from the pages being changed (signals are blocked, and this
 * code is not rewritten), so a whole mapping changes protection at once:
 * two system calls a mapping, not two a page. */
static void patch_sites(struct site *s, size_t n, const struct zp_map *maps, size_t nmaps,
			int memfd)
{
	const uintptr_t pg = 4096;
	size_t i = 0;

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
		bool writable = usable && raw_mprotect(first, last - first, PROT_READ | PROT_WRITE) == 0;
		for (size_t k = i; k < j; k++) {
			struct zp_objstat *st = &zp_stats[s[k].obj];
			uint8_t *p = (uint8_t *)s[k].addr;
			if (s[k].flags & SITE_DONE)
				continue;
			bool trap = s[k].flags & ZP_SITE_REDZONE;
			/* ud2, or call *%rax; the stub's site table is filled
			 * before any site can reach it */
			const struct zp_patch pt = site_patch(s[k].addr, trap);
			const uint8_t *bytes = pt.bytes;
			bool done = false;
			if (usable && !(p[0] == 0x0f && (p[1] == 0x05 || p[1] == 0x34))) {
				st->changed++;
				continue;
			}
			if (usable && writable) {
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
			raw_mprotect(first, last - first, m->prot);
		i = j;
	}
}

static struct objects objs;

int zp_patch_collect(const char *exclude, bool count_excluded)
{
	Dl_info self;

	objs.exclude = exclude;
	objs.count_excluded = count_excluded;
	if (dladdr((void *)zp_patch_collect, &self) != 0)
		objs.self = (uintptr_t)self.dli_fbase;
	objs.vdso = getauxval(AT_SYSINFO_EHDR);
	if (dl_iterate_phdr(collect, &objs) != 0)
		return -ENOMEM;
	/* what scanned an object is part of its cache key */
	for (size_t i = 0; i < objs.n; i++)
		key_scanner(&objs.v[i].key, &objs.self_key);
	return 0;
}

int zp_patch_all(bool all_traps)
{
	struct objects o = objs;
	struct site *sites = NULL;
	struct zp_map *maps = NULL;
	size_t nsites = 0, nmaps = 0, ncall = 0;
	sigset_t all, old;
	int fd, r;

	char cachebuf[4096];
	int cachefd = zp_cache_open(cachebuf, sizeof(cachebuf), true);
	const char *cachedir = cachefd >= 0 ? cachebuf : NULL;

	r = scan_objects(&o, cachefd, cachedir, &sites, &nsites);
	if (r < 0)
		goto out;
	if (all_traps)
		for (size_t i = 0; i < nsites; i++)
			sites[i].flags |= ZP_SITE_REDZONE;

	for (size_t i = 0; i < nsites; i++)
		ncall += !(sites[i].flags & ZP_SITE_REDZONE);
	r = zp_sites_init(ncall);
	if (r < 0)
		goto out;
	trap_sites = calloc(nsites - ncall + 1, sizeof(*trap_sites));
	if (trap_sites == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nsites; i++) {
		if (sites[i].flags & ZP_SITE_REDZONE)
			trap_sites[ntrap_sites++] = sites[i].addr;
		else if ((r = zp_sites_add_call(sites[i].addr + 2)) < 0)
			goto out;
	}

	r = segment_maps(&o, &maps, &nmaps);
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
	map_images(&o, cachefd, sites, nsites, maps, nmaps);
	int memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	sigfillset(&all);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	patch_sites(sites, nsites, maps, nmaps, memfd);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	if (memfd >= 0)
		close(memfd);
	keep_bound(cachefd);
	zp_tls.guard = guard;

out:
	if (cachefd >= 0)
		close(cachefd);
	free(maps);
	free(sites);
	free(o.v);
	return r;
}

static int match_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	return info->dlpi_name[0] != '\0' && zp_path_matches(data, info->dlpi_name);
}

bool zp_loaded_object_matches(const char *globs)
{
	return dl_iterate_phdr(match_object, (void *)globs) != 0;
}

/* Libraries loaded after start-up (dlopen, and what they pull in).
 *
 * The dynamic loader maps a library's code with mmap(PROT_EXEC) before it
 * relocates it and runs its constructors, and that mmap is a hooked call:
 * zp_next() hands the new mapping here right after the kernel made it. No
 * thread can be running that code yet, so it is rewritten as at start-up,
 * with one difference: the site table is shared with running threads, so
 * entries are only ever added, and a site that finds no room becomes a
 * trap. */

static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;
struct zp_late_stats zp_late;
static const char *late_exclude;
static bool late_traps_only;
static bool late_ready;
static enum zp_mode late_mode;

/* leave_page0 -- a runtime that needs loads near address 0 to fault (a
 * JVM's null checks) was loaded after start-up: unmap the trampoline. Every
 * rewritten call then faults at its own number, and signal.c finishes it,
 * as in trap mode: slower, but the null checks work. */
static void leave_page0(const char *path)
{
	if (__atomic_exchange_n(&late_traps_only, true, __ATOMIC_ACQ_REL))
		return;
	zp_raw_syscall(SYS_munmap, 0, ZP_PAGE_SIZE, 0, 0, 0, 0);
	zp_raw_syscall(SYS_munmap, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, 0, 0, 0, 0);
	zp_msg("%s needs page 0 unmapped: calls now finish in a fault handler, microseconds each", path);
}

void zp_late_enable(const char *exclude, enum zp_mode mode)
{
	late_exclude = exclude;
	late_mode = mode;
	late_traps_only = mode != ZP_MODE_FAST;
	__atomic_store_n(&late_ready, true, __ATOMIC_RELEASE);
}

/* segment_vaddr -- p_vaddr (page-aligned) of the PT_LOAD whose
 * page-aligned file offset is off, from the file's program headers: no
 * libelf, so that no program carries it in its link map */
static int segment_vaddr(int fd, uint64_t off, uint64_t *vaddr)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph[128];

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph[0]) || eh.e_phnum == 0 ||
	    eh.e_phnum > sizeof(ph) / sizeof(ph[0]))
		return -ENOEXEC;
	size_t len = eh.e_phnum * sizeof(ph[0]);
	if (pread(fd, ph, len, (off_t)eh.e_phoff) != (ssize_t)len)
		return -ENOEXEC;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_offset & ~(uint64_t)4095) == off) {
			*vaddr = ph[i].p_vaddr & ~(uint64_t)4095;
			return 0;
		}
	return -ENOENT;
}

void zp_late_mapped(uintptr_t addr, size_t len, int fd, uint64_t off, int prot)
{
	char fdpath[64], path[4096];
	struct zp_cache_key key;
	struct zp_scan scan = { 0 };
	struct stat st;
	char cachebuf[4096];
	int cachefd = -1;

	if (!__atomic_load_n(&late_ready, __ATOMIC_ACQUIRE))
		return;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, path, sizeof(path) - 1);
	if (n <= 0 || fstat(fd, &st) != 0)
		return;
	path[n] = '\0';
	if (late_exclude != NULL && zp_path_matches(late_exclude, path)) {
		add_excluded(addr, addr + len);
		return;
	}
	if (late_mode == ZP_MODE_SUD)
		return;         /* nothing is rewritten: dispatch catches it */
	if (!late_traps_only && zp_path_matches(ZP_NULL_PAGE_RUNTIMES, path))
		leave_page0(path);
	pthread_mutex_lock(&late_lock);
	/* the load bias: the PT_LOAD this mapping's file offset belongs to */
	uint64_t vaddr;
	if (segment_vaddr(fd, off, &vaddr) < 0)
		goto out;
	uintptr_t bias = addr - (uintptr_t)vaddr;

	memset(&key, 0, sizeof(key));
	key.scan_version = ZP_SCAN_VERSION;
	key_scanner(&key, &objs.self_key);
	key_file(&key, &st);
	snprintf(key.tag, sizeof(key.tag), "late");
	cachefd = zp_cache_open(cachebuf, sizeof(cachebuf), true);
	const char *cachedir = cachefd >= 0 ? cachebuf : NULL;
	if (cachefd < 0 || zp_cache_load(cachefd, &key, &scan) < 0) {
		/* the helper scans the file's bytes: the mapping may not cover
		 * every section */
		const struct zp_cache_key *k = &key;
		const char *file = path;
		bool ok;
		int r = scan_missing(cachedir, &k, &file, 1, &scan, &ok);
		if (!ok) {
			zp_msg("cannot scan %s (%s); its system calls are not hooked", path,
			       r < 0 ? strerror(-r) : "nothing stored");
			goto out;
		}
	}
	/* the sites of this mapping, in the call-site table (or the trap
	 * list) before any of them can run; then rewritten by mapping the
	 * file's patched image over it, or one by one */
	struct zp_patch *patches = calloc(scan.nsites ? scan.nsites : 1, sizeof(*patches));
	size_t npatches = 0;
	if (patches == NULL)
		goto out;
	for (size_t i = 0; i < scan.nsites; i++) {
		uintptr_t a = (uintptr_t)scan.sites[i].addr + bias;
		if (a < addr || a + 2 > addr + len)
			continue;       /* in another segment of the file */
		uint8_t *p = (uint8_t *)a;
		if (p[0] != 0x0f || (p[1] != 0x05 && p[1] != 0x34))
			continue;
		bool trap = late_traps_only || (scan.sites[i].flags & ZP_SITE_REDZONE) ||
			    zp_sites_add_call(a + 2) < 0;
		if (trap && !add_late_trap(a))
			continue;       /* no room: left alone */
		patches[npatches++] = site_patch(a - addr + off, trap);
	}
	struct statvfs sv;
	if (npatches > 0 && cachefd >= 0 && fstatvfs(cachefd, &sv) == 0 && !(sv.f_flag & ST_NOEXEC) &&
	    map_image(cachefd, -1, -1, &key, path, patches, npatches, addr, len, off, prot)) {
		for (size_t i = 0; i < npatches; i++)
			__atomic_add_fetch(patches[i].bytes[0] == 0x0f ? &zp_late.trapped : &zp_late.called, 1,
					   __ATOMIC_RELAXED);
		npatches = 0;
	}
	for (size_t i = 0; i < npatches; i++) {
		uintptr_t a = addr + (uintptr_t)(patches[i].off - off);
		uint8_t *p = (uint8_t *)a;
		uintptr_t page = a & ~(uintptr_t)4095, end = (a + 2 + 4095) & ~(uintptr_t)4095;
		if (raw_mprotect(page, end - page, PROT_READ | PROT_WRITE) == 0) {
			p[0] = patches[i].bytes[0];
			p[1] = patches[i].bytes[1];
			raw_mprotect(page, end - page, prot);
			__atomic_add_fetch(p[0] == 0x0f ? &zp_late.trapped : &zp_late.called, 1, __ATOMIC_RELAXED);
		}
	}
	free(patches);
	__atomic_add_fetch(&zp_late.objects, 1, __ATOMIC_RELAXED);
out:
	keep_bound(cachefd);
	if (cachefd >= 0)
		close(cachefd);
	zp_scan_free(&scan);
	pthread_mutex_unlock(&late_lock);
}

/* The lazypoline step. A call the safety net caught came from a site the
 * runtime never rewrote (code written at run time, mostly); after the hooks
 * have seen it, the site is rewritten so that its next call takes the fast
 * path -- if the code after it provably leaves the red zone alone
 * (zp_redzone_dead_after; otherwise it stays caught, slower but right).
 *
 * The code is live: other threads may be running it. The two bytes change
 * one at a time, each store made visible to every core's instruction fetch
 * (membarrier's SYNC_CORE) before the next, so no core can fetch a mix:
 *   0f 05 (syscall) -> 0f d0 (undefined: #UD) -> ff d0 (call *%rax)
 * A thread that meets the middle state gets SIGILL, and signal.c performs
 * its system call as a syscall. The site enters the call-site table first. */
#ifndef MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)
#endif

static bool lazy_on;
static uint8_t lazy_busy;
static bool (*redzone_dead_after)(const uint8_t *buf, size_t len);

void zp_lazy_enable(void)
{
	char path[4200];

	/* without a way to serialise other cores, sites stay caught */
	if (zp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0,
			   0) != 0)
		return;
	/* the decoder, loaded now (not from a signal handler) and after the
	 * objects to rewrite were listed, so it is not one of them */
	snprintf(path, sizeof(path), "%s/zpoline-decode.so", runtime_dir());
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		zp_msg("cannot load %s: sites the safety net catches stay caught", path);
		return;
	}
	*(void **)&redzone_dead_after = dlsym(h, "zpoline_redzone_dead_after");
	lazy_on = redzone_dead_after != NULL;
}

static void sync_cores(void)
{
	zp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0, 0);
}

void zp_lazy_rewrite(uintptr_t site)
{
	uint8_t code[2 + 512];

	/* (the handler has left calls from excluded objects out) */
	if (!lazy_on || __atomic_load_n(&late_traps_only, __ATOMIC_ACQUIRE))
		return;
	size_t n = zp_read_user(code, site, sizeof(code));
	if (n < 3 || code[0] != 0x0f || code[1] != 0x05 ||
	    !redzone_dead_after(code + 2, n - 2))
		return;
	/* another thread (or a signal handler that interrupted this one) is
	 * rewriting: leave this site for its next call */
	if (__atomic_exchange_n(&lazy_busy, 1, __ATOMIC_ACQUIRE))
		return;
	int fd = (int)zp_raw_syscall(SYS_open, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0, 0, 0, 0);
	if (fd >= 0 && zp_read_user(code, site, 2) == 2 && code[0] == 0x0f && code[1] == 0x05 &&
	    zp_sites_add_call(site + 2) == 0) {
		static const uint8_t undef = 0xd0, call = 0xff, sys = 0x05;
		if (zp_raw_syscall(SYS_pwrite64, fd, (long)&undef, 1, (long)(site + 1), 0, 0) == 1) {
			sync_cores();
			if (zp_raw_syscall(SYS_pwrite64, fd, (long)&call, 1, (long)site, 0, 0) == 1)
				__atomic_add_fetch(&zp_late.lazy, 1, __ATOMIC_RELAXED);
			else
				zp_raw_syscall(SYS_pwrite64, fd, (long)&sys, 1, (long)(site + 1), 0, 0);
			sync_cores();
		}
	}
	if (fd >= 0)
		zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	__atomic_store_n(&lazy_busy, 0, __ATOMIC_RELEASE);
}
