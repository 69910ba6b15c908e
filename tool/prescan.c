/* prescan.c -- before `zpoline run` execs the program, the cache gets an
 * entry for every object the program will start with, so that its runtime
 * finds them all and scans nothing: a first run costs the program no scan,
 * and the files the scan reads are read by the launcher, before the
 * program starts (as a fanotify watcher sees it), not by the program.
 *
 * The objects are the ones libs.c finds the way the loader would, with
 * nothing executed, and the vDSO. Their keys are made as the runtime makes
 * them (runtime/objects.c): the file's identity and build-id, and the
 * runtime's own build-id. On a warm cache a table in the cache says which
 * program entry the runtime made, and a stat of each object it lists that
 * none changed (still_warm); what is missing is scanned by the scanner
 * module (zpoline-decode.so), loaded into this process. Nothing
 * here is required: where it cannot do its work the runtime scans as
 * before, and says what fails. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/scan-module.h"
#include "tool.h"
#include "zp.h"

/* make_key -- the key the runtime makes for an object (objects.c); with
 * no runtime, its part left empty */
static void make_key(struct zp_cache_key *k, const struct zp_file_id *id, const struct zp_file_id *runtime)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->build_id, id->build_id, id->build_id_len);
	k->build_id_len = id->build_id_len;
	k->scan_version = ZP_SCAN_VERSION;
	if (runtime != NULL) {
		k->scanner_id_len = runtime->build_id_len < sizeof(k->scanner_id) ? runtime->build_id_len
										    : sizeof(k->scanner_id);
		memcpy(k->scanner_id, runtime->build_id, k->scanner_id_len);
	}
	if (id->st.st_ino == 0)
		return;         /* the vDSO: no file */
	k->dev = id->st.st_dev;
	k->ino = id->st.st_ino;
	k->size = (uint64_t)id->st.st_size;
	k->mtime_ns = (int64_t)id->st.st_mtim.tv_sec * 1000000000 + id->st.st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)id->st.st_ctim.tv_sec * 1000000000 + id->st.st_ctim.tv_nsec;
}

/* vdso_key -- the vDSO's key: this process's vDSO is the program's (one
 * kernel), named by its build-id, or its bytes' hash, and the release */
static bool vdso_key(const struct zp_file_id *runtime, struct zp_cache_key *k)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	struct zp_file_id id = { 0 };
	size_t size = 0;

	if (eh == NULL)
		return false;
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > size)
			size = ph[i].p_vaddr + ph[i].p_memsz;
		/* linked at 0: its addresses are offsets into its image */
		if (ph[i].p_type == PT_NOTE && id.build_id_len == 0)
			zp_note_build_id((const uint8_t *)eh + ph[i].p_vaddr, ph[i].p_memsz, &id);
	}
	if (id.build_id_len == 0) {
		uint64_t h = zp_bytes_id(eh, size);
		memcpy(id.build_id, &h, sizeof(h));
		id.build_id_len = sizeof(h);
	}
	make_key(k, &id, runtime);
	return zp_vdso_tag(k->tag, sizeof(k->tag)) == 0;
}

/* The warm path. Resolving the closure reads every object's headers; on a
 * warm cache a table beside the cache's format directory (PRESCAN_FILE,
 * outside the size the cache is kept within) says, for this
 * launch (the program's file, the runtime's, LD_LIBRARY_PATH,
 * /etc/ld.so.cache, the exclusions), which program entry the runtime
 * made, and that entry lists its objects with their keys: a stat of each
 * then says nothing changed. The table is a hint, not trusted: a wrong or
 * stale slot only sends this to the full path, and the runtime checks
 * every entry it uses. Fixed size: PRESCAN_SLOTS slots of a launch's hash
 * and its program entry's name, the slot chosen by the hash. */
#define PRESCAN_FILE (ZP_CACHE_FORMAT ".prescan")
#define PRESCAN_SLOTS 256

struct slot {
	uint64_t launch;
	char prog[24];          /* HASH.prog */
};

static uint64_t fnv_more(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
	return h;
}

static uint64_t fnv_stat(uint64_t h, const char *path)
{
	struct stat st;
	uint64_t v[5] = { 0 };

	if (stat(path, &st) == 0) {
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		v[2] = (uint64_t)st.st_size;
		v[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000 + (uint64_t)st.st_mtim.tv_nsec;
		v[4] = (uint64_t)st.st_ctim.tv_sec * 1000000000 + (uint64_t)st.st_ctim.tv_nsec;
	}
	return fnv_more(fnv_more(h, path, strlen(path) + 1), v, sizeof(v));
}

/* launch_hash -- what decides the objects a program starts with */
static uint64_t launch_hash(const char *runtime, const char *prog, const char *exclude)
{
	const char *llp = getenv("LD_LIBRARY_PATH");
	uint64_t h = 14695981039346656037ull;

	h = fnv_stat(h, prog);
	h = fnv_stat(h, runtime);
	h = fnv_stat(h, "/etc/ld.so.cache");
	h = fnv_more(h, llp != NULL ? llp : "", llp != NULL ? strlen(llp) + 1 : 1);
	return fnv_more(h, exclude, strlen(exclude) + 1);
}

/* open_table -- the table, ours and only ours to change, or -1; in the
 * cache's root, the parent of its format directory cfd (which
 * zp_cache_open reached through it, checked) */
static int open_table(int cfd, bool create)
{
	struct stat st;
	int root = openat(cfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = root < 0 ? -1 : openat(root, PRESCAN_FILE, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW |
					O_CLOEXEC, 0600);

	if (root >= 0)
		close(root);

	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
			(st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* still_warm -- does the slot for launch name a program entry whose
 * objects are all unchanged (a stat each; the vDSO by its key)? */
static bool still_warm(int cfd, uint64_t launch, const struct zp_cache_key *vdso)
{
	struct slot s;
	struct zp_cache_item *v = NULL;
	size_t n = 0;
	bool warm = false;
	int fd = open_table(cfd, false);

	if (fd < 0)
		return false;
	bool got = pread(fd, &s, sizeof(s), (off_t)(launch % PRESCAN_SLOTS * sizeof(s))) == (ssize_t)sizeof(s);
	close(fd);
	/* HASH.prog, a name in the cache directory and nothing else */
	if (!got || s.launch != launch || strnlen(s.prog, sizeof(s.prog)) != 21 ||
	    strspn(s.prog, "0123456789abcdef") != 16 || strcmp(s.prog + 16, ".prog") != 0 ||
	    zp_cache_program_objects(cfd, s.prog, &v, &n) < 0)
		return false;
	warm = n > 0;
	for (size_t i = 0; warm && i < n; i++) {
		struct stat st;

		if (strcmp(v[i].path, "[vdso]") == 0) {
			/* what scanned it is the runtime, in the launch's hash */
			struct zp_cache_key k = *vdso;
			memcpy(k.scanner_id, v[i].key.scanner_id, sizeof(k.scanner_id));
			k.scanner_id_len = v[i].key.scanner_id_len;
			warm = memcmp(&v[i].key, &k, sizeof(k)) == 0;
		} else {
			warm = stat(v[i].path, &st) == 0 && zp_cache_key_matches(&st, &v[i].key);
		}
	}
	free(v);
	return warm;
}

/* remember -- the program entry for launch, into its slot */
static void remember(int cfd, uint64_t launch, const struct zp_cache_key *const *keys, size_t n)
{
	struct slot s = { .launch = launch };
	int fd = open_table(cfd, true);

	if (fd < 0)
		return;
	zp_cache_program_name(s.prog, sizeof(s.prog), keys, n);
	/* a slot torn or not written only fails to match later */
	ssize_t w = pwrite(fd, &s, sizeof(s), (off_t)(launch % PRESCAN_SLOTS * sizeof(s)));
	(void)w;
	close(fd);
}

/* zp_prescan -- make sure the cache holds an entry for each object prog
 * starts with (those whose path matches exclude are not rewritten) */
void zp_prescan(const char *runtime, const char *prog, const char *exclude)
{
	struct zp_cache_key *keys = NULL;
	const struct zp_cache_key **order = NULL;
	const char **paths = NULL;
	char cachedir[PATH_MAX], module[PATH_MAX + 32];
	struct zp_file_id self, *ids = NULL;
	struct zp_missing miss;
	char **files = NULL;
	size_t n = 0, nmiss = 0;

	int cfd = zp_cache_open(cachedir, sizeof(cachedir), true);
	if (cfd < 0)
		return;         /* the cache is off, or cannot be used here */
	uint64_t launch = launch_hash(runtime, prog, exclude);
	struct zp_cache_key vkey;
	if (vdso_key(NULL, &vkey) && still_warm(cfd, launch, &vkey))
		goto out;
	int count = zp_list_objects_ids(prog, &files, &ids, &miss);
	if (count <= 0 || !zp_read_file_id(runtime, &self))
		goto out;
	/* a program the runtime runs in sud mode (auto: a JVM where page 0
	 * cannot be execute only) rewrites nothing */
	for (int i = 0; i < count; i++)
		if (zp_path_matches(ZP_NULL_PAGE_RUNTIMES, files[i]) && !zp_pkeys())
			goto out;
	/* in the runtime's order: the program, the vDSO, its libraries */
	keys = calloc((size_t)count + 1, sizeof(*keys));
	order = calloc((size_t)count + 1, sizeof(*order));
	paths = calloc((size_t)count + 1, sizeof(*paths));
	if (keys == NULL || order == NULL || paths == NULL)
		goto out;
	for (int i = 0; i < count; i++) {
		if (i == 1 && vdso_key(&self, &keys[n])) {
			paths[n] = "[vdso]";
			order[n] = &keys[n];
			n++;
		}
		if (exclude[0] != '\0' && zp_path_matches(exclude, files[i]))
			continue;
		make_key(&keys[n], &ids[i], &self);
		paths[n] = files[i];
		order[n] = &keys[n];
		n++;
	}
	remember(cfd, launch, order, n);
	/* a warm start: the runtime reads the program's entry alone */
	if (zp_cache_has_program(cfd, order, n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (zp_cache_has(cfd, &keys[i]))
			continue;
		keys[nmiss] = keys[i];
		paths[nmiss++] = paths[i];
	}
	if (nmiss == 0)
		goto out;
	/* the scanner: the module beside the runtime (this process is not
	 * hooked: it is loaded as any library, and stays until the exec) */
	snprintf(module, sizeof(module), "%.*s/zpoline-decode.so", (int)(strrchr(runtime, '/') - runtime), runtime);
	void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	zp_scan_store_fn *store = h != NULL ? (zp_scan_store_fn *)dlsym(h, ZP_SCAN_STORE_SYM) : NULL;
	if (store != NULL)
		store(cachedir, keys, paths, nmiss, true);
out:
	for (int i = 0; files != NULL && files[i] != NULL; i++)
		free(files[i]);
	free(files);
	free(ids);
	free(keys);
	free(order);
	free(paths);
	close(cfd);
}
