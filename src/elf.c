/* elf.c -- what the scanner, the runtime and the tool need to know about an
 * ELF object, read with libelf: sections, segments, symbols. The unwind
 * tables, read with libdw, are elf-cfi.c's: only the scanner needs them. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-private.h"

/* in_bounds -- does [off, off + len) lie inside [0, size)? Written so that
 * no sum can wrap: a crafted file's offsets and sizes are any 64-bit value */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int finish_open(Elf *elf, int fd, struct zp_elf **out)
{
	struct zp_elf *e;

	if (elf == NULL)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -ENOEXEC;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		elf_end(elf);
		return -ENOMEM;
	}
	e->elf = elf;
	e->fd = fd;
	e->raw = elf_rawfile(elf, &e->rawsize);
	*out = e;
	return 0;
}

/* zp_elf_open_file -- O_NONBLOCK, so that a FIFO does not wait for a
 * writer; anything but a regular file is refused before libelf reads it */
int zp_elf_open_file(const char *path, struct zp_elf **out)
{
	struct stat st;
	int fd, r;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
		goto out;
	}
	r = finish_open(elf_begin(fd, ELF_C_READ_MMAP, NULL), fd, out);
out:
	if (r < 0)
		close(fd);
	return r;
}

int zp_elf_open_mem(const void *image, size_t size, struct zp_elf **out)
{
	elf_version(EV_CURRENT);
	return finish_open(elf_memory((char *)image, size), -1, out);
}

int zp_elf_open_vdso(struct zp_elf **out)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	size_t size = 0;

	if (eh == NULL)
		return -ENOENT;
	/* its size: the end of its last segment's bytes */
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > size)
			size = ph[i].p_offset + ph[i].p_filesz;
	return zp_elf_open_mem(eh, size, out);
}

void zp_elf_close(struct zp_elf *e)
{
	if (e == NULL)
		return;
	if (e->cfi_end != NULL)
		e->cfi_end(e);
	elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	free(e->syms);
	free(e->secs);
	free(e);
}

int zp_elf_check(struct zp_elf *e, bool want_shared, const char **why)
{
	GElf_Ehdr eh;

	if (gelf_getehdr(e->elf, &eh) == NULL) {
		*why = "truncated ELF header";
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		*why = "not built for x86-64";
		return -ENOEXEC;
	}
	if (want_shared && eh.e_type != ET_DYN) {
		*why = "not a shared object";
		return -ENOEXEC;
	}
	return 0;
}

/* segment_sections -- executable PT_LOAD segments, for objects with no
 * section headers */
static int segment_sections(struct zp_elf *e)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n) != 0)
		return -ENOEXEC;
	e->secs = calloc(n ? n : 1, sizeof(*e->secs));
	if (e->secs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e->elf, i, &ph) == NULL || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || ph.p_filesz == 0 ||
		    !in_bounds(ph.p_offset, ph.p_filesz, e->rawsize) ||
		    ph.p_vaddr > UINT64_MAX - ph.p_filesz)
			continue;
		struct zp_section *s = &e->secs[e->nsecs++];
		snprintf(s->name, sizeof(s->name), "PT_LOAD#%zu", i);
		s->addr = ph.p_vaddr;
		s->size = ph.p_filesz;
		s->offset = ph.p_offset;
		s->data = (const uint8_t *)e->raw + ph.p_offset;
	}
	return 0;
}

int zp_elf_exec_sections(struct zp_elf *e, struct zp_section **out, size_t *n)
{
	size_t shnum, shstrndx;
	Elf_Scn *scn = NULL;
	int r = 0;

	if (e->secs != NULL)
		goto out;
	if (elf_getshdrnum(e->elf, &shnum) != 0 || shnum == 0 ||
	    elf_getshdrstrndx(e->elf, &shstrndx) != 0) {
		r = segment_sections(e);
		goto out;
	}
	e->secs = calloc(shnum, sizeof(*e->secs));
	if (e->secs == NULL)
		return -ENOMEM;
	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0 ||
		    sh.sh_addr > UINT64_MAX - sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d == NULL || d->d_buf == NULL || d->d_size < sh.sh_size)
			continue;
		struct zp_section *s = &e->secs[e->nsecs++];
		const char *name = elf_strptr(e->elf, shstrndx, sh.sh_name);
		snprintf(s->name, sizeof(s->name), "%s", name ? name : "?");
		s->addr = sh.sh_addr;
		s->size = sh.sh_size;
		s->offset = sh.sh_offset;
		s->data = d->d_buf;
	}
	if (e->nsecs == 0) {
		free(e->secs);
		e->secs = NULL;
		r = segment_sections(e);
	}
out:
	*out = e->secs;
	*n = e->nsecs;
	return r;
}

static int cmp_func(const void *a, const void *b)
{
	const struct zp_func *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* load_syms -- every sized function symbol of .symtab and .dynsym */
int zp_elf_load_syms(struct zp_elf *e)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0;

	e->syms_loaded = true;
	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || sh.sh_entsize == 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d == NULL)
			continue;
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			if (gelf_getsym(d, i, &sym) == NULL || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_size == 0 ||
			    sym.st_value > UINT64_MAX - sym.st_size)
				continue;
			if (e->nsyms == cap) {
				cap = cap ? 2 * cap : 256;
				struct zp_func *p = realloc(e->syms, cap * sizeof(*p));
				if (p == NULL)
					return -ENOMEM;
				e->syms = p;
			}
			e->syms[e->nsyms++] = (struct zp_func){ sym.st_value, sym.st_value + sym.st_size, true };
		}
	}
	if (e->nsyms)
		qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_func);
	return 0;
}

/* sym_containing -- a symbol whose [start, end) holds addr; aliases and
 * nested symbols mean the nearest start may not be the one */
bool zp_elf_sym_containing(const struct zp_elf *e, uint64_t addr, struct zp_func *out)
{
	size_t lo = 0, hi = e->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 16;) {
		if (e->syms[i].start <= addr && addr < e->syms[i].end) {
			*out = e->syms[i];
			return true;
		}
	}
	return false;
}

int zp_elf_dynsym(struct zp_elf *e, const char *name, uint64_t *value, uint64_t *size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (d == NULL)
			return -ENOENT;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;
			if (gelf_getsym(d, i, &sym) == NULL || sym.st_shndx == SHN_UNDEF)
				continue;
			n = elf_strptr(e->elf, sh.sh_link, sym.st_name);
			if (n != NULL && strcmp(n, name) == 0) {
				*value = sym.st_value;
				*size = sym.st_size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int zp_elf_read(struct zp_elf *e, uint64_t addr, void *buf, size_t len)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n) != 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e->elf, i, &ph) == NULL || ph.p_type != PT_LOAD ||
		    addr < ph.p_vaddr || !in_bounds(addr - ph.p_vaddr, len, ph.p_memsz))
			continue;
		uint64_t off = addr - ph.p_vaddr;
		memset(buf, 0, len);
		if (off < ph.p_filesz) {
			uint64_t avail = ph.p_filesz - off < len ? ph.p_filesz - off : len;
			if (!in_bounds(ph.p_offset, off, e->rawsize) ||
			    !in_bounds(ph.p_offset + off, avail, e->rawsize))
				return -ENOEXEC;
			memcpy(buf, e->raw + ph.p_offset + off, avail);
		}
		return 0;
	}
	return -ERANGE;
}

int zp_elf_segment_vaddr(struct zp_elf *e, uint64_t off, uint64_t *vaddr)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n) != 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e->elf, i, &ph) != NULL && ph.p_type == PT_LOAD &&
		    ZP_PAGE_DOWN(ph.p_offset) == off) {
			*vaddr = ZP_PAGE_DOWN(ph.p_vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

const char *zp_elf_interp(struct zp_elf *e)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e->elf, i, &ph) != NULL && ph.p_type == PT_INTERP &&
		    ph.p_filesz > 0 && in_bounds(ph.p_offset, ph.p_filesz, e->rawsize) &&
		    e->raw[ph.p_offset + ph.p_filesz - 1] == '\0')
			return e->raw + ph.p_offset;
	}
	return NULL;
}
