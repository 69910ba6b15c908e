/* elf-private.h -- struct zp_elf, shared by elf.c (libelf) and elf-cfi.c
 * (libdw), which the runtime and the tool do not link. */
#ifndef ZP_ELF_PRIVATE_H
#define ZP_ELF_PRIVATE_H

#include <gelf.h>

#include "zp.h"

struct zp_elf {
	Elf *elf;
	int fd;                 /* -1 for an image in memory */
	const char *raw;        /* elf_rawfile */
	size_t rawsize;
	struct zp_func *syms;   /* STT_FUNC symbols with a size, sorted by start */
	size_t nsyms;
	bool syms_loaded;
	void *cfi;              /* Dwarf_CFI *, elf-cfi.c's */
	bool cfi_loaded;
	void (*cfi_end)(struct zp_elf *e);
	uint64_t *fdes;         /* [start, end) of each FDE (.eh_frame_hdr and
				 * .eh_frame), sorted: 2 words each */
	size_t nfdes;
	struct zp_section *secs;
	size_t nsecs;
};

/* every sized function symbol of .symtab and .dynsym, sorted */
int zp_elf_load_syms(struct zp_elf *e);
/* a symbol whose [start, end) holds addr */
bool zp_elf_sym_containing(const struct zp_elf *e, uint64_t addr, struct zp_func *out);

/* zp_hookinfo_from_elf -- zp_hookinfo_read on an object already open */
int zp_hookinfo_from_elf(struct zp_elf *e, struct zp_hookinfo *hi, const char **why);

#endif
