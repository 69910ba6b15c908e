/* elf-cfi.c -- function bounds for the scanner: symbols first, then the
 * unwind tables (libdw), which bound every function even in a stripped
 * library. Only the scanner links this (and libdw). */
#include <errno.h>
#include <stdlib.h>

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
}

int zp_elf_func_containing(struct zp_elf *e, uint64_t addr, struct zp_func *out)
{
	/* A symbol spans the whole function; an FDE may cover only a part
	 * of one (the vDSO splits functions into several), so symbols win
	 * and the unwind tables bound what stripped objects do not name. */
	if (!e->syms_loaded && zp_elf_load_syms(e) < 0)
		return -ENOMEM;
	if (zp_elf_sym_containing(e, addr, out))
		return 0;
	if (!e->cfi_loaded) {
		e->cfi_loaded = true;
		e->cfi = dwarf_getcfi_elf(e->elf);
		e->cfi_end = cfi_end;
	}
	if (e->cfi != NULL) {
		Dwarf_Frame *frame = NULL;
		Dwarf_Addr start, end;
		if (dwarf_cfi_addrframe(e->cfi, addr, &frame) == 0) {
			int r = dwarf_frame_info(frame, &start, &end, NULL);
			free(frame);
			if (r >= 0 && start <= addr && addr < end) {
				*out = (struct zp_func){ start, end };
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

