/* prescan.c -- before `zpoline run` execs the program, the cache gets an
 * entry for every object the program will start with, so that its runtime
 * finds them all and scans nothing: a first run costs the program no scan,
 * and the files the scan reads are read by the launcher, before the
 * program starts (as a fanotify watcher sees it), not by the program.
 *
 * The objects are the ones libs.c finds the way the loader would, with
 * nothing executed, and the vDSO. Their keys are made as the runtime makes
 * them (runtime/objects.c): the file's identity and build-id, and the
 * runtime's own build-id. On a warm cache this costs the resolver's reads
 * and one stat of the program's entry; what is missing is scanned by the
 * scanner module (zpoline-decode.so), loaded into this process. Nothing
 * here is required: where it cannot do its work the runtime scans as
 * before, and says what fails. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../runtime/scan-module.h"
#include "tool.h"
#include "zp.h"

/* as runtime.h's ZP_NULL_PAGE_RUNTIMES: objects for which the runtime
 * picks sud mode, where nothing is rewritten */
#define NULL_PAGE_RUNTIMES "libjvm.so:libjli.so:libcoreclr.so"

/* make_key -- the key the runtime makes for an object (objects.c) */
static void make_key(struct zp_cache_key *k, const struct zp_file_id *id, const struct zp_file_id *runtime)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->build_id, id->build_id, id->build_id_len);
	k->build_id_len = id->build_id_len;
	k->scan_version = ZP_SCAN_VERSION;
	k->scanner_id_len = runtime->build_id_len < sizeof(k->scanner_id) ? runtime->build_id_len
									    : sizeof(k->scanner_id);
	memcpy(k->scanner_id, runtime->build_id, k->scanner_id_len);
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
	struct utsname u;
	size_t size = 0;

	if (eh == NULL || uname(&u) != 0)
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
		uint64_t h = 14695981039346656037ull;
		for (size_t i = 0; i < size; i++)
			h = (h ^ ((const uint8_t *)eh)[i]) * 1099511628211ull;
		memcpy(id.build_id, &h, sizeof(h));
		id.build_id_len = sizeof(h);
	}
	make_key(k, &id, runtime);
	snprintf(k->tag, sizeof(k->tag), "vdso %.58s", u.release);
	return true;
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
	int count = zp_list_objects_ids(prog, &files, &ids, &miss);
	if (count <= 0 || !zp_read_file_id(runtime, &self))
		goto out;
	/* a program the runtime runs in sud mode (auto) rewrites nothing */
	for (int i = 0; i < count; i++)
		if (zp_path_matches(NULL_PAGE_RUNTIMES, files[i]))
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
