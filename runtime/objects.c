/* objects.c -- the objects loaded at start-up, as the dynamic loader made
 * them: names, executable segments, build-ids, and the cache keys that say
 * whether a stored scan still describes them. */
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

struct zp_objects zp_objs;

/* the executable's file, as collect found it: its identity (the file the
 * kernel executed, whatever its name says now: a memfd (fexecve), a
 * deleted or replaced file) and whether the name it is listed under is
 * that file; zp_object_key needs no other call for it. Taken first, while
 * unconfirmed, from the name the program was started by alone (see
 * zp_objects_confirm_program). */
static struct stat exe_st;
static bool exe_known, exe_named, exe_unconfirmed;

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

/* zp_key_file -- the file part of a cache key: identity and last change */
void zp_key_file(struct zp_cache_key *k, const struct stat *st)
{
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = (uint64_t)st->st_size;
	k->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* zp_key_scanner -- what scanned: the runtime's own build-id */
void zp_key_scanner(struct zp_cache_key *k, const struct zp_cache_key *self)
{
	k->scanner_id_len = self->build_id_len < sizeof(k->scanner_id) ? self->build_id_len
									 : sizeof(k->scanner_id);
	memcpy(k->scanner_id, self->build_id, k->scanner_id_len);
}

void (*zp_object_keyed)(const char *path, const struct stat *st);

/* zp_object_key -- complete the key: the file's identity, or for the vDSO the
 * kernel it belongs to; false when the object cannot be keyed */
bool zp_object_key(struct zp_object *ob)
{
	struct stat st;

	if (ob->image != NULL) {
		if (zp_vdso_tag(ob->key.tag, sizeof(ob->key.tag)) < 0)
			return false;
		if (ob->key.build_id_len == 0) {
			/* a vDSO built without a build-id: its bytes name it */
			uint64_t h = zp_bytes_id(ob->image, ob->image_size);
			memcpy(ob->key.build_id, &h, sizeof(h));
			ob->key.build_id_len = sizeof(h);
		}
		return true;
	}
	if (ob->program) {
		/* a name that is not the file executed: the helper opens it as
		 * this process's exe link */
		if (!exe_known)
			return false;
		if (!exe_named || strncmp(ob->path, "/proc/", 6) == 0)
			snprintf(ob->scan_path, sizeof(ob->scan_path), "/proc/%d/exe", (int)getpid());
		zp_key_file(&ob->key, &exe_st);
		return true;
	}
	if (stat(ob->path, &st) != 0)
		return false;
	zp_key_file(&ob->key, &st);
	if (zp_object_keyed != NULL)
		zp_object_keyed(ob->path, &st);
	/* /proc/self/... names another file in the helper */
	if (strncmp(ob->path, "/proc/self/", 11) == 0 &&
	    snprintf(ob->scan_path, sizeof(ob->scan_path), "/proc/%d/%s", (int)getpid(), ob->path + 11) >=
		    (int)sizeof(ob->scan_path))
		return false;
	return true;
}

/* loader_run -- was the dynamic loader run as a command (ld.so PROG)?
 * The kernel then executed the loader, which gives no AT_BASE, where a
 * program with an interpreter always has one */
static bool loader_run(void)
{
	const Elf64_Phdr *ph;
	size_t n;
	uintptr_t bias;

	if (getauxval(AT_BASE) != 0)
		return false;
	zp_program_phdrs(&ph, &n, &bias);
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return true;
	return false;
}

/* start_name -- the name the program was started by, absolute: AT_EXECFN;
 * or, the loader run as a command with a relative name (which it opened
 * from the working directory, and gives as AT_EXECFN), that name under
 * the working directory. NULL when there is none, or it is too long. */
static const char *start_name(void)
{
	static char buf[sizeof(((struct zp_object *)0)->path)];
	const char *fn = (const char *)getauxval(AT_EXECFN);

	if (fn == NULL || strlen(fn) >= sizeof(buf))
		return NULL;
	if (fn[0] == '/')
		return fn;
	if (!loader_run() || getcwd(buf, sizeof(buf)) == NULL)
		return NULL;
	size_t n = strlen(buf);
	while (fn[0] == '.' && fn[1] == '/')
		fn += 2;
	int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", n > 1 ? "/" : "", fn);
	return w >= 0 && (size_t)w < sizeof(buf) - n ? buf : NULL;
}

/* program_file -- the program's file as the exe link names it, under the
 * name it was started by when that is the file executed (not a script's),
 * else under the link's: the link is read only when the name is not the
 * file. The loader run as a command: the link names the loader, not the
 * program, which is then not identified (a program with no build-id,
 * which its name cannot be checked against). */
static void program_file(struct zp_object *ob)
{
	const char *fn = start_name();
	struct stat a;

	exe_unconfirmed = false;
	exe_known = stat("/proc/self/exe", &exe_st) == 0;
	exe_named = exe_known && fn != NULL && stat(fn, &a) == 0 && a.st_dev == exe_st.st_dev &&
		    a.st_ino == exe_st.st_ino;
	if (exe_named) {
		snprintf(ob->path, sizeof(ob->path), "%s", fn);
	} else if (loader_run()) {
		exe_known = false;
		fn = fn != NULL ? fn : (const char *)getauxval(AT_EXECFN);
		snprintf(ob->path, sizeof(ob->path), "%s", fn != NULL ? fn : "");
	} else {
		ssize_t len = readlink("/proc/self/exe", ob->path, sizeof(ob->path) - 1);
		ob->path[len > 0 ? len : 0] = '\0';
		exe_named = exe_known && len > 0 && stat(ob->path, &a) == 0 && a.st_dev == exe_st.st_dev &&
			    a.st_ino == exe_st.st_ino;
	}
}

/* zp_objects_confirm_program -- the program's file confirmed, when it was
 * taken from its name unconfirmed and the cache had no entry for it: the
 * exe link's, unless the loader was run as a command (the link names the
 * loader, the name, which the loader set, the program) and the name's file
 * carries the build-id of the program in memory. Not otherwise: another
 * build with the same build-id (one set by hand) renamed over the name
 * since it was executed would have its sites rewritten in this code. Its
 * key made again: 1 when that changed it, 0 when not (or it was confirmed
 * already), -1 when the file cannot be identified now. */
int zp_objects_confirm_program(struct zp_objects *o)
{
	struct zp_object *ob = o->n > 0 && o->v[0].program ? &o->v[0] : NULL;

	if (ob == NULL || !exe_unconfirmed)
		return 0;
	struct zp_cache_key was = ob->key;
	struct stat named = exe_st;
	bool excluded = ob->excluded;
	const char *fn = start_name();
	program_file(ob);
	if ((!exe_known || exe_st.st_dev != named.st_dev || exe_st.st_ino != named.st_ino) && loader_run() &&
	    fn != NULL && zp_file_has_build_id(fn, &was)) {
		exe_st = named;
		exe_known = exe_named = true;
		snprintf(ob->path, sizeof(ob->path), "%s", fn);
	}
	ob->scan_path[0] = '\0';
	ob->excluded = o->exclude != NULL && zp_path_matches(o->exclude, ob->path);
	for (unsigned k = 0; ob->excluded && !excluded && k < ob->nsegs; k++)
		zp_excluded_add(ob->segs[k].start, ob->segs[k].end);
	if (!zp_object_key(ob))
		return -1;
	return memcmp(&was, &ob->key, sizeof(was)) != 0;
}

/* holds_self -- is info this library (a segment of it holds this code)?
 * What dladdr would say, without its walk of our symbols */
static bool holds_self(const struct dl_phdr_info *info)
{
	uintptr_t here = (uintptr_t)holds_self;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && here >= start && here - start < ph->p_memsz)
			return true;
	}
	return false;
}

/* collect -- dl_iterate_phdr's callback: one loaded object into data */
static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct zp_objects *o = data;
	struct zp_object *ob;

	(void)size;
	if (holds_self(info)) {
		/* the loader's name for this library, kept as long as it is
		 * loaded: children.c's */
		o->self = info->dlpi_addr;
		o->self_path = info->dlpi_name;
		build_id(info, &o->self_key);
		return 0;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 32;
		struct zp_object *p = realloc(o->v, cap * sizeof(*p));
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
		if (ob->nsegs == ZP_MAX_EXEC_SEGS) {
			ob->many_segs = true;
			continue;
		}
		ob->segs[ob->nsegs].start = ZP_PAGE_DOWN(info->dlpi_addr + ph->p_vaddr);
		ob->segs[ob->nsegs].end = ZP_PAGE_UP(info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
		ob->segs[ob->nsegs].off = ZP_PAGE_DOWN(ph->p_offset);
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
		 * /usr/bin/ls). That name's file is taken for the one executed
		 * when the program has a build-id, unconfirmed: no /proc (its
		 * first lookup in a process costs 15-20 us here, the page map's
		 * open then the same again); the cache's entry for the program
		 * is keyed by file and build-id together, and only ever stored
		 * for a file confirmed, so finding it confirms the name. Not a
		 * name --exclude matches: the program would be left alone for
		 * it, and never confirmed (a script's name, its interpreter
		 * executed). */
		const char *fn = start_name();
		ob->program = true;
		build_id(info, &ob->key);
		if (ob->key.build_id_len > 0 && fn != NULL && (o->exclude == NULL || !zp_path_matches(o->exclude, fn)) &&
		    stat(fn, &exe_st) == 0 && S_ISREG(exe_st.st_mode)) {
			snprintf(ob->path, sizeof(ob->path), "%s", fn);
			exe_known = exe_named = exe_unconfirmed = true;
		} else {
			program_file(ob);
		}
	} else {
		return 0;       /* an object with no name and no file */
	}
	ob->excluded = o->exclude != NULL && zp_path_matches(o->exclude, ob->path);
	for (int i = 0; ob->excluded && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			zp_excluded_add(info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
	}
	build_id(info, &ob->key);
	o->n++;
	return 0;
}

bool zp_program_phdrs(const Elf64_Phdr **ph, size_t *n, uintptr_t *bias)
{
	*ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	*n = *ph != NULL ? getauxval(AT_PHNUM) : 0;
	*bias = 0;
	for (size_t i = 0; i < *n; i++)
		if ((*ph)[i].p_type == PT_PHDR) {
			*bias = (uintptr_t)*ph - (*ph)[i].p_vaddr;
			return true;
		}
	return false;
}

bool zp_program_has_preinit(void)
{
	const ElfW(Phdr) *ph;
	size_t n;
	uintptr_t bias;

	zp_program_phdrs(&ph, &n, &bias);
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_DYNAMIC)
			continue;
		for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(bias + ph[i].p_vaddr); d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_PREINIT_ARRAYSZ && d->d_un.d_val != 0)
				return true;
	}
	return false;
}

/* zp_objects_collect -- list the objects loaded now into zp_objs */
int zp_objects_collect(const char *exclude, bool count_excluded)
{
	zp_objs.exclude = exclude;
	zp_objs.count_excluded = count_excluded;
	zp_objs.vdso = getauxval(AT_SYSINFO_EHDR);
	if (dl_iterate_phdr(collect, &zp_objs) != 0)
		return -ENOMEM;
	/* what scanned an object is part of its cache key */
	for (size_t i = 0; i < zp_objs.n; i++)
		zp_key_scanner(&zp_objs.v[i].key, &zp_objs.self_key);
	return 0;
}

static int match_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	return info->dlpi_name[0] != '\0' && zp_path_matches(data, info->dlpi_name);
}

/* zp_loaded_object_matches -- is any loaded object named by globs? */
bool zp_loaded_object_matches(const char *globs)
{
	return dl_iterate_phdr(match_object, (void *)globs) != 0;
}

static int cmp_map(const void *a, const void *b)
{
	const struct zp_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* zp_objects_maps -- the executable mappings of the objects as their program
 * headers say the loader made them, instead of reading /proc/self/maps
 * (about 0.15 ms a start here); -EAGAIN when an object's headers cannot
 * say (more segments than kept, overlapping ones): then read the maps */
int zp_objects_maps(const struct zp_objects *o, struct zp_map **out, size_t *nout)
{
	size_t n = 0, want = 0;
	int r = 0;

	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].many_segs)
			return -EAGAIN;
		want += o->v[i].nsegs;
	}
	/* as many as there are, each written whole: a cleared array for
	 * every object's most would take a fresh heap page or two */
	struct zp_map *v = malloc((want ? want : 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < o->n; i++) {
		const struct zp_object *ob = &o->v[i];
		for (unsigned k = 0; k < ob->nsegs; k++) {
			struct zp_map *m = &v[n++];
			*m = (struct zp_map){ 0 };
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
