/* hookmap.h -- a self-contained hook mapped without dlmopen (hookmap.c) */
#ifndef ZP_HOOKMAP_H
#define ZP_HOOKMAP_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct zp_mapped_hook {
	uint8_t *base;
	size_t len;
	const Elf64_Sym *symtab;
	const char *strtab;
	size_t strsz;
	const uint32_t *gnu_hash, *hash;
};

/* zp_hook_map -- map the hook file fd (size bytes long), relocated: 0;
 * -ENOTSUP when it needs more than this loader does (dlmopen's then);
 * -errno when a mapping failed */
int zp_hook_map(int fd, uint64_t size, struct zp_mapped_hook *out);
/* zp_hook_sym -- the address of the global symbol name it defines, or NULL */
void *zp_hook_sym(const struct zp_mapped_hook *m, const char *name);

#endif
