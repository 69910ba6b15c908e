/* elf-cfi.c -- function bounds for the scanner: symbols first, then the
 * unwind tables (libdw), which bound every function even in a stripped
 * library. Only the scanner links this (and libdw). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "elf-private.h"

const char *zp_libelf_version(void)
{
	return dwfl_version(NULL);
}

static void cfi_end(struct zp_elf *e)
{
	if (e->cfi != NULL)
		dwarf_cfi_end(e->cfi);
	free(e->fdes);
}

static const uint8_t *section_named(struct zp_elf *e, size_t shstrndx, const char *want, GElf_Shdr *sh,
				    size_t *size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		const char *name;
		if (gelf_getshdr(scn, sh) == NULL || sh->sh_type != SHT_PROGBITS ||
		    (name = elf_strptr(e->elf, shstrndx, sh->sh_name)) == NULL || strcmp(name, want) != 0)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (data == NULL || data->d_buf == NULL)
			return NULL;
		*size = data->d_size;
		return data->d_buf;
	}
	return NULL;
}

static int32_t s32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* load_fdes -- the bounds of every FDE: the search table of .eh_frame_hdr
 * (in its usual encoding, 4-byte entries relative to the section) gives
 * where each starts and where it is; its pc_begin (pcrel sdata4, checked
 * against the table) and pc_range give its end. Nothing if any of that
 * does not hold: then the rows libdw bounds are used */
static void load_fdes(struct zp_elf *e)
{
	size_t shstrndx, hsize, fsize;
	GElf_Shdr hs, fs;

	if (elf_getshdrstrndx(e->elf, &shstrndx) != 0)
		return;
	const uint8_t *h = section_named(e, shstrndx, ".eh_frame_hdr", &hs, &hsize);
	const uint8_t *f = section_named(e, shstrndx, ".eh_frame", &fs, &fsize);
	/* version 1; eh_frame_ptr pcrel sdata4; fde_count udata4; table
	 * datarel sdata4 */
	if (h == NULL || f == NULL || hsize < 12 || h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
		return;
	uint32_t n = (uint32_t)s32(h + 8);
	if (n == 0 || (hsize - 12) / 8 < n)
		return;
	uint64_t *v = malloc(2 * (size_t)n * sizeof(*v));
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t start = hs.sh_addr + (uint64_t)(int64_t)s32(h + 12 + 8 * (size_t)i);
		uint64_t fde = hs.sh_addr + (uint64_t)(int64_t)s32(h + 16 + 8 * (size_t)i);
		/* length, CIE pointer, pc_begin, pc_range */
		if (fde < fs.sh_addr || fde - fs.sh_addr > fsize || fsize - (fde - fs.sh_addr) < 16 ||
		    (i > 0 && start < v[2 * i - 2])) {
			free(v);
			return;
		}
		const uint8_t *p = f + (fde - fs.sh_addr);
		uint64_t begin = fde + 8 + (uint64_t)(int64_t)s32(p + 8);
		uint32_t range = (uint32_t)s32(p + 12);
		if (begin != start) {
			free(v);
			return;
		}
		v[2 * i] = start;
		v[2 * i + 1] = start + range;
	}
	e->fdes = v;
	e->nfdes = n;
}

/* fde_containing -- the FDE holding addr from the table: 1 found, 0 none
 * holds it, -1 no table */
static int fde_containing(const struct zp_elf *e, uint64_t addr, struct zp_func *out)
{
	size_t lo = 0, hi = e->nfdes;

	if (e->fdes == NULL)
		return -1;
	while (lo < hi) {       /* the first FDE starting above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (e->fdes[2 * mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= e->fdes[2 * lo - 1])
		return 0;
	*out = (struct zp_func){ e->fdes[2 * lo - 2], e->fdes[2 * lo - 1], false };
	return 1;
}

/* cfa_is_entry -- is the CFA at pc rsp + 8, as at a function's entry? */
static bool cfa_is_entry(Dwarf_CFI *cfi, Dwarf_Addr pc)
{
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	bool entry = false;

	if (dwarf_cfi_addrframe(cfi, pc, &frame) == 0 && dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1)
		entry = (ops[0].atom == DW_OP_bregx && ops[0].number == 7 && ops[0].number2 == 8) ||
			(ops[0].atom == DW_OP_breg7 && ops[0].number == 8);
	free(frame);
	return entry;
}

int zp_elf_func_containing(struct zp_elf *e, uint64_t addr, struct zp_func *out)
{
	/* A symbol spans the whole function; an FDE may cover only a part
	 * of one (the vDSO splits functions into several), so symbols win
	 * and the unwind tables bound what stripped objects do not name. */
	if (!e->syms_loaded && zp_elf_load_syms(e) < 0)
		return -ENOMEM;
	if (zp_elf_sym_containing(e, addr, out)) {
		out->entry = true;
		return 0;
	}
	if (!e->cfi_loaded) {
		e->cfi_loaded = true;
		e->cfi = dwarf_getcfi_elf(e->elf);
		e->cfi_end = cfi_end;
		if (e->cfi != NULL)
			load_fdes(e);
	}
	if (e->cfi != NULL) {
		/* the FDE, not the row of it dwarf_frame_info bounds */
		int k = fde_containing(e, addr, out);
		if (k >= 0) {
			if (k == 0)
				return -ENOENT;
			out->entry = cfa_is_entry(e->cfi, out->start);
			return 0;
		}
		Dwarf_Frame *frame = NULL;
		Dwarf_Addr start, end;
		if (dwarf_cfi_addrframe(e->cfi, addr, &frame) == 0) {
			int r = dwarf_frame_info(frame, &start, &end, NULL);
			free(frame);
			if (r >= 0 && start <= addr && addr < end) {
				*out = (struct zp_func){ start, end, cfa_is_entry(e->cfi, start) };
				return 0;
			}
		}
	}
	return -ENOENT;
}

bool zp_elf_has_funcs(struct zp_elf *e)
{
	if (!e->syms_loaded && zp_elf_load_syms(e) < 0)
		return false;
	if (!e->cfi_loaded) {
		e->cfi_loaded = true;
		e->cfi = dwarf_getcfi_elf(e->elf);
		e->cfi_end = cfi_end;
	}
	return e->nsyms > 0 || e->cfi != NULL;
}

