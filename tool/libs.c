/* libs.c -- which libraries a program loads, found the way the dynamic
 * loader finds them, without running anything (running the file's
 * PT_INTERP with --list, ldd's way, runs whatever program a crafted file
 * names): breadth-first over DT_NEEDED; for a name without a slash, the
 * needing object's DT_RPATH (when it has no DT_RUNPATH) and the program's,
 * LD_LIBRARY_PATH, its DT_RUNPATH, /etc/ld.so.cache, then the default
 * directories; a name already loaded (by path, needed name or DT_SONAME,
 * or the same file) is not loaded again. Only x86-64 ELF objects are
 * taken, as the loader skips the rest. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

struct dso {
	char *path;
	char *needed_as;        /* the DT_NEEDED name it was loaded for */
	char *soname;
	char **needed;
	int nneeded;
	char *rpath, *runpath;  /* as written, $ORIGIN not expanded */
	struct zp_file_id id;
};

/* in_file -- [off, off+len) lies within a file of size bytes */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* read_str -- the string at v of the string table [stroff, stroff+strsz)
 * of fd, cut at the table's end; NULL when it cannot be read */
static char *read_str(int fd, uint64_t stroff, uint64_t strsz, uint64_t v)
{
	for (size_t cap = 256;; cap *= 16) {
		size_t len = strsz - v < cap ? (size_t)(strsz - v) : cap;
		char *b = malloc(len + 1);
		if (b == NULL)
			die(EXIT_SETUP, "out of memory");
		if (pread(fd, b, len, (off_t)(stroff + v)) != (ssize_t)len) {
			free(b);
			return NULL;
		}
		b[len] = '\0';
		if (memchr(b, '\0', len) != NULL || len == strsz - v)
			return b;
		free(b);
	}
}

/* zp_note_build_id -- NT_GNU_BUILD_ID among the notes in [p, p+len) */
bool zp_note_build_id(const uint8_t *p, size_t len, struct zp_file_id *id)
{
	for (size_t off = 0; off + sizeof(ElfW(Nhdr)) <= len;) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(p + off);
		size_t name = off + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
		if (n->n_namesz > len || desc > len || n->n_descsz > len - desc)
			break;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(p + name, "GNU", 4) == 0 &&
		    n->n_descsz <= sizeof(id->build_id)) {
			memcpy(id->build_id, p + desc, n->n_descsz);
			id->build_id_len = n->n_descsz;
			return true;
		}
		off = desc + ((n->n_descsz + 3) & ~3u);
	}
	return false;
}

/* read_build_id -- the build-id in the PT_NOTE segments, as the loader
 * maps them, into id (none: length 0) */
static void read_build_id(int fd, const ElfW(Phdr) *ph, int phnum, uint64_t size, struct zp_file_id *id)
{
	uint8_t note[1024];

	for (int i = 0; i < phnum && id->build_id_len == 0; i++) {
		if (ph[i].p_type != PT_NOTE || !in_file(ph[i].p_offset, ph[i].p_filesz, size))
			continue;
		size_t l = ph[i].p_filesz < sizeof(note) ? ph[i].p_filesz : sizeof(note);
		ssize_t got = pread(fd, note, l, (off_t)ph[i].p_offset);
		if (got > 0)
			zp_note_build_id(note, (size_t)got, id);
	}
}

/* zp_read_file_id -- the identity and build-id of the ELF file path */
bool zp_read_file_id(const char *path, struct zp_file_id *id)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph[64];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool ok = false;

	memset(id, 0, sizeof(*id));
	if (fd < 0)
		return false;
	if (fstat(fd, &id->st) == 0 && S_ISREG(id->st.st_mode) &&
	    pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_phentsize == sizeof(ph[0]) && eh.e_phnum <= sizeof(ph) / sizeof(ph[0])) {
		size_t n = eh.e_phnum * sizeof(ph[0]);
		if (pread(fd, ph, n, (off_t)eh.e_phoff) == (ssize_t)n) {
			read_build_id(fd, ph, eh.e_phnum, (uint64_t)id->st.st_size, id);
			ok = true;
		}
	}
	close(fd);
	return ok;
}

/* read_dso -- the dynamic section of an x86-64 ELF file, its identity and
 * build-id: false when the file is not one (or cannot be read) */
static bool read_dso(const char *path, struct dso *d, char *interp, size_t ilen)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) *ph = NULL;
	ElfW(Dyn) *dyn = NULL;
	char *str = NULL;
	struct stat st;
	bool ok = false;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	memset(d, 0, sizeof(*d));
	if (interp != NULL)
		interp[0] = '\0';
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	uint64_t size = (uint64_t)st.st_size;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(*ph) || eh.e_phnum > 512 ||
	    !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(*ph), size))
		goto out;
	ph = calloc(eh.e_phnum ? eh.e_phnum : 1, sizeof(*ph));
	if (ph == NULL || pread(fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff) !=
			  (ssize_t)(eh.e_phnum * sizeof(*ph)))
		goto out;
	const ElfW(Phdr) *pdyn = NULL;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_DYNAMIC)
			pdyn = &ph[i];
		if (ph[i].p_type == PT_INTERP && interp != NULL && ph[i].p_filesz > 0 && ph[i].p_filesz < ilen &&
		    in_file(ph[i].p_offset, ph[i].p_filesz, size) &&
		    pread(fd, interp, ph[i].p_filesz, (off_t)ph[i].p_offset) == (ssize_t)ph[i].p_filesz)
			interp[ph[i].p_filesz - 1] = '\0';
	}
	d->id.st = st;
	read_build_id(fd, ph, eh.e_phnum, size, &d->id);
	ok = true;
	if (pdyn == NULL || pdyn->p_filesz > (1u << 20) || !in_file(pdyn->p_offset, pdyn->p_filesz, size))
		goto out;       /* static: no dependencies */
	size_t ndyn = pdyn->p_filesz / sizeof(*dyn);
	dyn = malloc(ndyn ? ndyn * sizeof(*dyn) : 1);
	if (dyn == NULL || pread(fd, dyn, ndyn * sizeof(*dyn), (off_t)pdyn->p_offset) != (ssize_t)(ndyn * sizeof(*dyn)))
		goto out;
	uint64_t strtab = 0, strsz = 0, stroff = 0;
	bool have_strtab = false;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB) {
			strtab = dyn[i].d_un.d_ptr;
			have_strtab = true;
		} else if (dyn[i].d_tag == DT_STRSZ) {
			strsz = dyn[i].d_un.d_val;
		}
	}
	/* the string table's file offset: through the PT_LOAD holding it */
	bool found = false;
	for (int i = 0; have_strtab && i < eh.e_phnum && !found; i++)
		if (ph[i].p_type == PT_LOAD && strtab >= ph[i].p_vaddr && strtab - ph[i].p_vaddr < ph[i].p_filesz &&
		    strsz <= ph[i].p_filesz - (strtab - ph[i].p_vaddr)) {
			stroff = ph[i].p_offset + (strtab - ph[i].p_vaddr);
			found = true;
		}
	if (!found || strsz == 0 || strsz > (64u << 20) || !in_file(stroff, strsz, size))
		goto out;
	d->needed = calloc(ndyn, sizeof(*d->needed));
	if (d->needed == NULL)
		goto out;
	/* the few names, not the whole table (libc's is 32 KiB) */
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		uint64_t v = dyn[i].d_un.d_val;
		char **to = dyn[i].d_tag == DT_SONAME ? &d->soname : dyn[i].d_tag == DT_RPATH ? &d->rpath :
			    dyn[i].d_tag == DT_RUNPATH ? &d->runpath : NULL;
		if (v >= strsz || (dyn[i].d_tag != DT_NEEDED && to == NULL))
			continue;
		if ((str = read_str(fd, stroff, strsz, v)) == NULL)
			goto out;
		/* as the loader reads the section, a later entry wins */
		if (to == NULL) {
			d->needed[d->nneeded++] = str;
		} else {
			free(*to);
			*to = str;
		}
		str = NULL;
	}
out:
	free(ph);
	free(dyn);
	free(str);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ld_cache_lookup -- name's x86-64 entry in /etc/ld.so.cache (the new
 * format, alone or after the old one), into out */
static bool ld_cache_lookup(const char *name, char *out, size_t len)
{
	static char *cache;
	static size_t csize;
	static bool read_once;
	const char *magic = "glibc-ld.so.cache1.1";
	size_t base = 0;

	if (!read_once) {
		read_once = true;
		int fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
		struct stat st;
		/* mapped, not read: about 40 KiB, of which a lookup touches little */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    st.st_size < (64 << 20)) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m != MAP_FAILED) {
				cache = m;
				csize = (size_t)st.st_size;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	if (cache == NULL)
		return false;
	if (csize >= 16 && memcmp(cache, "ld.so-1.7.0", 11) == 0) {
		uint32_t nold;
		memcpy(&nold, cache + 12, 4);
		base = (16 + (size_t)nold * 12 + 7) & ~(size_t)7;
	}
	if (base > csize || csize - base < 48 || memcmp(cache + base, magic, 20) != 0)
		return false;
	uint32_t nlibs;
	memcpy(&nlibs, cache + base + 20, 4);
	if (nlibs > (csize - base - 48) / 24)
		return false;
	for (uint32_t i = 0; i < nlibs; i++) {
		const char *e = cache + base + 48 + (size_t)i * 24;
		int32_t flags;
		uint32_t key, value;
		memcpy(&flags, e, 4);
		memcpy(&key, e + 4, 4);
		memcpy(&value, e + 8, 4);
		/* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */
		if (flags != 0x0303 || key >= csize - base || value >= csize - base)
			continue;
		const char *k = cache + base + key, *v = cache + base + value;
		if (memchr(k, '\0', csize - base - key) == NULL || memchr(v, '\0', csize - base - value) == NULL)
			continue;
		if (strcmp(k, name) == 0) {
			snprintf(out, len, "%s", v);
			return true;
		}
	}
	return false;
}

/* try_dirs -- name in each directory of a colon-separated list ($ORIGIN:
 * origin), an x86-64 ELF file, into out and *d */
static bool try_dirs(const char *list, const char *origin, const char *name, char *out, size_t len,
		     struct dso *d)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, ":");
		char dir[PATH_MAX];
		if (n > 0 && n < sizeof(dir)) {
			snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
			const char *o = strstr(dir, "$ORIGIN");
			if (o == NULL)
				o = strstr(dir, "${ORIGIN}");
			if (o != NULL) {
				char exp[PATH_MAX];
				size_t tl = o[1] == '{' ? 9 : 7;
				snprintf(exp, sizeof(exp), "%.*s%s%s", (int)(o - dir), dir, origin, o + tl);
				snprintf(dir, sizeof(dir), "%s", exp);
			}
			int w = snprintf(out, len, "%s/%s", dir, name);
			if (w > 0 && (size_t)w < len && read_dso(out, d, NULL, 0))
				return true;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

static void dirname_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

static bool name_loaded(const struct dso *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].path, name) == 0 || (v[i].needed_as && strcmp(v[i].needed_as, name) == 0) ||
		    (v[i].soname && strcmp(v[i].soname, name) == 0))
			return true;
	return false;
}

/* zp_list_objects_ids -- prog, what the loader would load for it, and the
 * loader itself (when prog names one), in the loader's order: their paths
 * into *out (NULL-terminated), with ids their identities if not NULL, and
 * how many; -ENOEXEC when prog is not an x86-64 ELF file, -ENOENT when a
 * library is not found (*miss says which) */
int zp_list_objects_ids(const char *prog, char ***out, struct zp_file_id **ids, struct zp_missing *miss)
{
	char interp[PATH_MAX], origin[PATH_MAX], real[PATH_MAX], path[PATH_MAX];
	const char *llp = getenv("LD_LIBRARY_PATH");
	static const char *const defaults = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:"
					    "/lib:/usr/lib";
	int n = 0, cap = 16;
	struct dso *v = calloc((size_t)cap, sizeof(*v));

	if (v == NULL)
		die(EXIT_SETUP, "out of memory");
	if (!read_dso(prog, &v[0], interp, sizeof(interp))) {
		free(v);
		return -ENOEXEC;
	}
	v[0].path = zp_xstrdup(prog);
	n = 1;
	dirname_of(realpath(prog, real) != NULL ? real : prog, origin, sizeof(origin));
	struct dso ld;
	bool have_ld = interp[0] != '\0' && read_dso(interp, &ld, NULL, 0);
	for (int i = 0; i < n; i++) {
		char org[PATH_MAX];
		if (i == 0)
			snprintf(org, sizeof(org), "%s", origin);
		else
			dirname_of(v[i].path, org, sizeof(org));
		for (int k = 0; k < v[i].nneeded; k++) {
			const char *name = v[i].needed[k];
			struct dso d;
			bool found = false;
			if (name_loaded(v, n, name) || (have_ld && ((ld.soname && strcmp(name, ld.soname) == 0) ||
								    strcmp(name, interp) == 0)))
				continue;
			if (strchr(name, '/') != NULL) {
				snprintf(path, sizeof(path), "%s", name);
				found = read_dso(path, &d, NULL, 0);
			} else {
				found = (v[i].runpath == NULL && try_dirs(v[i].rpath, org, name, path, sizeof(path), &d)) ||
					(i != 0 && v[i].runpath == NULL && v[0].runpath == NULL &&
					 try_dirs(v[0].rpath, origin, name, path, sizeof(path), &d)) ||
					try_dirs(llp, org, name, path, sizeof(path), &d) ||
					try_dirs(v[i].runpath, org, name, path, sizeof(path), &d);
				if (!found) {
					char c[PATH_MAX];
					found = ld_cache_lookup(name, c, sizeof(c)) && read_dso(c, &d, NULL, 0);
					if (found)
						snprintf(path, sizeof(path), "%s", c);
				}
				if (!found)
					found = try_dirs(defaults, org, name, path, sizeof(path), &d);
			}
			if (!found) {
				snprintf(miss->name, sizeof(miss->name), "%s", name);
				snprintf(miss->needed_by, sizeof(miss->needed_by), "%s", v[i].path);
				return -ENOENT;
			}
			bool same = false;
			for (int j = 0; j < n && !same; j++)
				same = v[j].id.st.st_dev == d.id.st.st_dev && v[j].id.st.st_ino == d.id.st.st_ino;
			if (same)
				continue;
			if (n == cap) {
				cap *= 2;
				v = realloc(v, (size_t)cap * sizeof(*v));
				if (v == NULL)
					die(EXIT_SETUP, "out of memory");
			}
			d.path = zp_xstrdup(path);
			d.needed_as = zp_xstrdup(name);
			v[n++] = d;
		}
	}
	char **files = calloc((size_t)n + 2, sizeof(*files));
	struct zp_file_id *id = ids != NULL ? calloc((size_t)n + 1, sizeof(*id)) : NULL;
	if (files == NULL || (ids != NULL && id == NULL))
		die(EXIT_SETUP, "out of memory");
	for (int i = 0; i < n; i++) {
		files[i] = v[i].path;
		if (id != NULL)
			id[i] = v[i].id;
	}
	if (have_ld) {
		if (id != NULL)
			id[n] = ld.id;
		files[n++] = zp_xstrdup(interp);
	}
	*out = files;
	if (ids != NULL)
		*ids = id;
	return n;
}

int zp_list_objects(const char *prog, char ***out, struct zp_missing *miss)
{
	return zp_list_objects_ids(prog, out, NULL, miss);
}

/* zp_prog_interp -- path's PT_INTERP into interp ("" when it has none):
 * false when path is not an x86-64 ELF file */
bool zp_prog_interp(const char *path, char *interp, size_t len)
{
	struct dso d;

	return read_dso(path, &d, interp, len);
}
