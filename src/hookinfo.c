/* hookinfo.c -- what a hook library declares, read from its file with
 * libelf: nothing is loaded, no code of the hook runs */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "elf-private.h"

/* zp_hookinfo_from_elf -- the declarations of an opened object (the
 * fuzzer gives it bytes from memory) */
int zp_hookinfo_from_elf(struct zp_elf *e, struct zp_hookinfo *hi, const char **why)
{
	uint64_t value, size;
	uint32_t head[2];
	int r;

	memset(hi, 0, sizeof(*hi));
	*why = NULL;
	r = zp_elf_check(e, true, why);
	if (r < 0)
		goto out;
	if (zp_elf_dynsym(e, "zpoline_hook", &value, &size) == 0) {
		hi->native = true;
		if (size < sizeof(head) || zp_elf_read(e, value, head, sizeof(head)) < 0) {
			*why = "its zpoline_hook symbol is too small to be a struct zpoline_hook";
			r = -ESRCH;
			goto out;
		}
		hi->abi_version = head[0];
		hi->flags = head[1];
	}
	if (zp_elf_dynsym(e, "__hook_init", &value, &size) == 0)
		hi->legacy = true;
	if (!hi->native && !hi->legacy) {
		*why = "it exports no hook entry point (zpoline_hook or __hook_init)";
		r = -ESRCH;
	}
out:
	return r;
}

int zp_hookinfo_read(const char *path, struct zp_hookinfo *hi, const char **why)
{
	struct zp_elf *e;
	struct stat st;
	int r;

	memset(hi, 0, sizeof(*hi));
	*why = NULL;
	/* stat first, for the message: a FIFO or a device is never opened
	 * (zp_elf_open_file refuses them too, without blocking, should the
	 * path change in between) */
	if (stat(path, &st) != 0) {
		*why = strerror(errno);
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file";
		return -ENOEXEC;
	}
	r = zp_elf_open_file(path, &e);
	if (r < 0) {
		*why = r == -ENOEXEC ? "not an ELF file" : strerror(-r);
		return r == -ENOEXEC ? -ENOEXEC : -ENOENT;
	}
	r = zp_hookinfo_from_elf(e, hi, why);
	zp_elf_close(e);
	return r;
}
