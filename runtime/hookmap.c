/* hookmap.c -- a self-contained hook mapped by the runtime itself.
 *
 * dlmopen costs 50-75 us here even for a library with nothing in it (a
 * new link namespace, its link map, the debugger's notifications), more
 * than mapping and relocating the file. A hook that needs nothing of the
 * loader -- no DT_NEEDED, no TLS, no constructors or destructors, no
 * IFUNC, only relocations against itself -- is mapped here instead: its
 * segments, its relocations, RELRO made read-only, and its symbols found
 * through its own hash table. It gets the same result as alone in a
 * namespace of its own, where every symbol it defines binds to itself and
 * an undefined weak one is 0. Anything else is dlmopen's (-ENOTSUP), and
 * ZPOLINE_HOOK_DLMOPEN=1 asks for dlmopen always: a hook mapped here is
 * in no link map, so neither a debugger nor an unwinder sees its symbols. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hookmap.h"
#include "runtime.h"

#define PAGE 4096ul
#define DOWN(x) ((x) & ~(PAGE - 1))
#define UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define MAX_LOADS 8

struct dyn {
	const Elf64_Rela *rela, *jmprel;
	size_t relasz, jmprelsz;
	const Elf64_Sym *symtab;
	const char *strtab;
	size_t strsz;
	const uint32_t *gnu_hash, *hash;
};

/* in -- is [off, off + len) inside the mapping of span bytes? */
static bool in(uint64_t off, uint64_t len, uint64_t span)
{
	return off <= span && len <= span - off;
}

/* in_segment -- is [off, off + len) inside one segment with flag (PF_R,
 * PF_W)? Within the span is not enough: a page between segments, or one
 * of a segment without PF_R, is PROT_NONE, and reading it would kill the
 * process while nothing watches for crashes (loader.c) */
static bool in_segment(const Elf64_Phdr *loads, size_t nloads, uint32_t flag, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < nloads; i++)
		if ((loads[i].p_flags & flag) && off >= loads[i].p_vaddr &&
		    in(off - loads[i].p_vaddr, len, loads[i].p_memsz))
			return true;
	return false;
}

static bool readable(const Elf64_Phdr *loads, size_t nloads, uint64_t off, uint64_t len)
{
	return in_segment(loads, nloads, PF_R, off, len);
}

/* read_dynamic -- the dynamic section's entries this loader uses; -ENOTSUP
 * for one that asks for more than it does */
static int read_dynamic(uint8_t *base, const Elf64_Phdr *loads, size_t nloads, const Elf64_Dyn *d, size_t n,
			struct dyn *out)
{
	uint64_t pltrel = DT_RELA;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		uint64_t v = d[i].d_un.d_val;
		switch (d[i].d_tag) {
		case DT_RELA: out->rela = (const Elf64_Rela *)(base + v); break;
		case DT_RELASZ: out->relasz = v; break;
		case DT_RELAENT: if (v != sizeof(Elf64_Rela)) return -ENOTSUP; break;
		case DT_JMPREL: out->jmprel = (const Elf64_Rela *)(base + v); break;
		case DT_PLTRELSZ: out->jmprelsz = v; break;
		case DT_PLTREL: pltrel = v; break;
		case DT_SYMTAB: out->symtab = (const Elf64_Sym *)(base + v); break;
		case DT_SYMENT: if (v != sizeof(Elf64_Sym)) return -ENOTSUP; break;
		case DT_STRTAB: out->strtab = (const char *)(base + v); break;
		case DT_STRSZ: out->strsz = v; break;
		case DT_GNU_HASH: out->gnu_hash = (const uint32_t *)(base + v); break;
		case DT_HASH: out->hash = (const uint32_t *)(base + v); break;
		case DT_FLAGS: if (v & (DF_TEXTREL | DF_STATIC_TLS)) return -ENOTSUP; break;
		case DT_INIT_ARRAYSZ: case DT_FINI_ARRAYSZ: case DT_PREINIT_ARRAYSZ:
			if (v != 0)
				return -ENOTSUP;
			break;
		/* nothing to do for these */
		case DT_PLTGOT: case DT_SONAME: case DT_BIND_NOW: case DT_FLAGS_1: case DT_VERSYM:
		case DT_VERDEF: case DT_VERDEFNUM: case DT_RELACOUNT: case DT_DEBUG:
		case DT_INIT_ARRAY: case DT_FINI_ARRAY: case DT_PREINIT_ARRAY:
			break;
		/* DT_NEEDED, DT_INIT, DT_FINI, DT_TEXTREL, DT_RELR, DT_VERNEED,
		 * filters, audit, and whatever this loader does not know */
		default:
			return -ENOTSUP;
		}
	}
	if (pltrel != DT_RELA || out->symtab == NULL || out->strtab == NULL ||
	    (out->gnu_hash == NULL && out->hash == NULL))
		return -ENOTSUP;
#define OFF(p) ((uint64_t)((const uint8_t *)(p) - base))
	if (!readable(loads, nloads, OFF(out->symtab), sizeof(Elf64_Sym)) ||
	    !readable(loads, nloads, OFF(out->strtab), out->strsz) ||
	    (out->rela != NULL && !readable(loads, nloads, OFF(out->rela), out->relasz)) ||
	    (out->jmprel != NULL && !readable(loads, nloads, OFF(out->jmprel), out->jmprelsz)) ||
	    (out->rela == NULL && out->relasz != 0) || (out->jmprel == NULL && out->jmprelsz != 0) ||
	    (out->gnu_hash != NULL && !readable(loads, nloads, OFF(out->gnu_hash), 16)) ||
	    (out->hash != NULL && !readable(loads, nloads, OFF(out->hash), 8)))
		return -ENOTSUP;
#undef OFF
	return 0;
}

/* writable -- is [off, off + 8) in a writable segment? */
static bool writable(const Elf64_Phdr *loads, size_t nloads, uint64_t off)
{
	return in_segment(loads, nloads, PF_W, off, 8);
}

/* relocate -- apply v[0..n): each against the object itself, or an
 * undefined weak symbol (0); -ENOTSUP for any other */
static int relocate(uint8_t *base, const struct dyn *dy, const Elf64_Rela *v, size_t n, const Elf64_Phdr *loads,
		    size_t nloads)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t type = ELF64_R_TYPE(v[i].r_info);
		uint64_t off = v[i].r_offset, val;

		if (type == R_X86_64_NONE)
			continue;
		if (!writable(loads, nloads, off))
			return -ENOTSUP;
		if (type == R_X86_64_RELATIVE) {
			val = (uint64_t)(uintptr_t)base + (uint64_t)v[i].r_addend;
		} else if (type == R_X86_64_64 || type == R_X86_64_GLOB_DAT || type == R_X86_64_JUMP_SLOT) {
			const Elf64_Sym *s = &dy->symtab[ELF64_R_SYM(v[i].r_info)];
			if (!readable(loads, nloads, (uint64_t)((const uint8_t *)s - base), sizeof(*s)))
				return -ENOTSUP;
			unsigned st = ELF64_ST_TYPE(s->st_info);
			if (st == STT_GNU_IFUNC || st == STT_TLS)
				return -ENOTSUP;
			if (s->st_shndx == SHN_UNDEF && ELF64_ST_BIND(s->st_info) != STB_WEAK)
				return -ENOTSUP;        /* dlmopen says which */
			val = s->st_shndx == SHN_UNDEF ? 0
				: s->st_shndx == SHN_ABS ? s->st_value : (uint64_t)(uintptr_t)base + s->st_value;
			if (type == R_X86_64_64)
				val += (uint64_t)v[i].r_addend;
		} else {
			return -ENOTSUP;
		}
		memcpy(base + off, &val, sizeof(val));
	}
	return 0;
}

/* prot_of -- a segment's p_flags as mmap's protection */
static int prot_of(const Elf64_Phdr *p)
{
	return (p->p_flags & PF_R ? PROT_READ : 0) | (p->p_flags & PF_W ? PROT_WRITE : 0) |
	       (p->p_flags & PF_X ? PROT_EXEC : 0);
}

/* map_loads -- the segments into base, which maps the file from offset 0
 * with protection have (a segment at the same offset in the file as in
 * memory, as most are, is there already: at most a change of protection),
 * or, have < 0, holds nothing yet; pages between segments end PROT_NONE */
static int map_loads(int fd, uint8_t *base, const Elf64_Phdr *loads, size_t nloads, int have)
{
	uint64_t covered = 0;

	for (size_t i = 0; i < nloads; i++) {
		const Elf64_Phdr *p = &loads[i];
		int prot = prot_of(p);
		uint64_t start = DOWN(p->p_vaddr), fend = p->p_vaddr + p->p_filesz, mend = p->p_vaddr + p->p_memsz;

		if (have >= 0 && start > covered && mprotect(base + covered, start - covered, PROT_NONE) != 0)
			return -errno;
		covered = UP(mend);
		if (p->p_filesz > 0 && have >= 0 && DOWN(p->p_offset) == start) {
			if (prot != have && mprotect(base + start, UP(fend) - start, prot) != 0)
				return -errno;
		} else if (p->p_filesz > 0 &&
			   mmap(base + start, UP(fend) - start, prot, MAP_PRIVATE | MAP_FIXED, fd,
				(off_t)DOWN(p->p_offset)) == MAP_FAILED) {
			return -errno;
		}
		if (mend <= fend)
			continue;
		/* .bss: the rest of the last file page zeroed, whole pages
		 * past it anonymous */
		if (!(p->p_flags & PF_W))
			return -ENOTSUP;
		if (p->p_filesz > 0 && UP(fend) > fend)
			memset(base + fend, 0, UP(fend) - fend);
		uint64_t anon = p->p_filesz > 0 ? UP(fend) : start;
		if (UP(mend) > anon && mmap(base + anon, UP(mend) - anon, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS,
					    -1, 0) == MAP_FAILED)
			return -errno;
	}
	return 0;
}

int zp_hook_map(int fd, uint64_t size, struct zp_mapped_hook *out)
{
	union {
		Elf64_Ehdr eh;
		uint8_t b[4096];
	} u;
	Elf64_Phdr loads[MAX_LOADS];
	const Elf64_Phdr *dynp = NULL, *relro = NULL;
	size_t nloads = 0;
	bool stack_said = false;

	ssize_t got = pread(fd, u.b, sizeof(u.b), 0);
	const Elf64_Ehdr *eh = &u.eh;
	if (got < (ssize_t)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_type != ET_DYN || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > (uint64_t)got || eh->e_phnum > ((uint64_t)got - eh->e_phoff) / sizeof(Elf64_Phdr))
		return -ENOTSUP;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(u.b + eh->e_phoff);
	for (size_t i = 0; i < eh->e_phnum; i++) {
		switch (ph[i].p_type) {
		case PT_LOAD:
			/* within the file: a page past its end would be SIGBUS */
			if (nloads == MAX_LOADS || ph[i].p_filesz > ph[i].p_memsz ||
			    ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset ||
			    ph[i].p_offset % PAGE != ph[i].p_vaddr % PAGE ||
			    (nloads > 0 && ph[i].p_vaddr < loads[nloads - 1].p_vaddr + loads[nloads - 1].p_memsz))
				return -ENOTSUP;
			loads[nloads++] = ph[i];
			break;
		case PT_DYNAMIC: dynp = &ph[i]; break;
		case PT_GNU_RELRO: relro = &ph[i]; break;
		case PT_GNU_STACK:
			/* the loader would make stacks executable */
			if (ph[i].p_flags & PF_X)
				return -ENOTSUP;
			stack_said = true;
			break;
		case PT_TLS: case PT_INTERP:
			return -ENOTSUP;
		default:
			break;
		}
	}
	/* no PT_GNU_STACK: an executable stack, by the old default */
	if (nloads == 0 || dynp == NULL || !stack_said || DOWN(loads[0].p_vaddr) != 0)
		return -ENOTSUP;
	uint64_t span = UP(loads[nloads - 1].p_vaddr + loads[nloads - 1].p_memsz);
	if (!readable(loads, nloads, dynp->p_vaddr, dynp->p_memsz) || (relro != NULL && !in(relro->p_vaddr, relro->p_memsz, span)))
		return -ENOTSUP;
	/* the span, from the file where the first segment starts it: one
	 * mapping fewer, and the segments at their file offsets are in place */
	int have = DOWN(loads[0].p_offset) == 0 ? prot_of(&loads[0]) : -1;
	uint8_t *base = have >= 0 ? mmap(NULL, span, have, MAP_PRIVATE, fd, 0)
				  : mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	struct dyn dy;
	int r = map_loads(fd, base, loads, nloads, have);
	if (r == 0)
		r = read_dynamic(base, loads, nloads, (const Elf64_Dyn *)(base + dynp->p_vaddr),
				 dynp->p_memsz / sizeof(Elf64_Dyn), &dy);
	if (r == 0)
		r = relocate(base, &dy, dy.rela, dy.relasz / sizeof(Elf64_Rela), loads, nloads);
	if (r == 0)
		r = relocate(base, &dy, dy.jmprel, dy.jmprelsz / sizeof(Elf64_Rela), loads, nloads);
	if (r == 0 && relro != NULL && DOWN(relro->p_vaddr + relro->p_memsz) > DOWN(relro->p_vaddr) &&
	    mprotect(base + DOWN(relro->p_vaddr), DOWN(relro->p_vaddr + relro->p_memsz) - DOWN(relro->p_vaddr),
		     PROT_READ) != 0)
		r = -errno;
	if (r < 0) {
		munmap(base, span);
		return r;
	}
	*out = (struct zp_mapped_hook){ base, span, dy.symtab, dy.strtab, dy.strsz, dy.gnu_hash, dy.hash };
	return 0;
}

static bool sym_is(const struct zp_mapped_hook *m, const Elf64_Sym *s, const char *name)
{
	size_t len = strlen(name);

	return s->st_shndx != SHN_UNDEF && s->st_name < m->strsz && len < m->strsz - s->st_name &&
	       memcmp(m->strtab + s->st_name, name, len + 1) == 0 &&
	       (ELF64_ST_BIND(s->st_info) == STB_GLOBAL || ELF64_ST_BIND(s->st_info) == STB_WEAK) &&
	       (ELF64_ST_TYPE(s->st_info) == STT_OBJECT || ELF64_ST_TYPE(s->st_info) == STT_FUNC ||
		ELF64_ST_TYPE(s->st_info) == STT_NOTYPE);
}

void *zp_hook_sym(const struct zp_mapped_hook *m, const char *name)
{
	const Elf64_Sym *found = NULL;

	if (m->gnu_hash != NULL) {
		/* nbuckets, symoffset, bloom size, bloom shift, bloom words,
		 * buckets, chains */
		uint32_t h = 5381;
		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			h = h * 33 + *c;
		const uint32_t *g = m->gnu_hash;
		uint32_t nb = g[0], symoff = g[1], nbloom = g[2];
		if (nb == 0)
			return NULL;
		const uint32_t *buckets = g + 4 + 2 * (size_t)nbloom;
		const uint32_t *chain = buckets + nb;
		uint32_t i = buckets[h % nb];
		if (i < symoff)
			return NULL;
		for (;; i++) {
			uint32_t ch = chain[i - symoff];
			if ((ch | 1) == (h | 1) && sym_is(m, &m->symtab[i], name)) {
				found = &m->symtab[i];
				break;
			}
			if (ch & 1)
				break;
		}
	} else {
		uint32_t h = 0;
		for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
			h = (h << 4) + *c;
			uint32_t hi = h & 0xf0000000u;
			h = (h ^ (hi >> 24)) & ~hi;
		}
		uint32_t nb = m->hash[0], nchain = m->hash[1];
		const uint32_t *buckets = m->hash + 2, *chain = buckets + nb;
		for (uint32_t i = nb ? buckets[h % nb] : 0, steps = 0; i != 0 && i < nchain && steps < nchain;
		     i = chain[i], steps++)
			if (sym_is(m, &m->symtab[i], name)) {
				found = &m->symtab[i];
				break;
			}
	}
	if (found == NULL)
		return NULL;
	return found->st_shndx == SHN_ABS ? (void *)(uintptr_t)found->st_value : m->base + found->st_value;
}
