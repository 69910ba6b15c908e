/* buildid -- zp_file_has_build_id, which says whether a file named for a
 * loaded object is that object's build: a file with the build-id (this
 * program's own), another build-id, none to compare (always), and what is
 * not a regular file or not ELF. A name swapped to a FIFO meanwhile must
 * not block the caller (a start-up that never ends): an alarm fails it. */
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zp.h"

static int failed;

static void expect(const char *what, bool got, bool want)
{
	printf("%s %s\n", got == want ? "ok  " : "FAIL", what);
	failed |= got != want;
}

/* own_id -- this program's build-id, from its notes in memory */
static int own_id(struct dl_phdr_info *info, size_t size, void *data)
{
	struct zp_cache_key *k = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == NT_GNU_BUILD_ID && n->n_descsz <= sizeof(k->build_id)) {
				memcpy(k->build_id, desc, n->n_descsz);
				k->build_id_len = n->n_descsz;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;       /* the program: the first object */
}

int main(void)
{
	struct zp_cache_key mine = { 0 }, other, none = { 0 };
	char dir[] = "/tmp/zp-buildid-XXXXXX", fifo[64], text[64];

	dl_iterate_phdr(own_id, &mine);
	if (mine.build_id_len == 0) {
		printf("SKIP this program has no build-id\n");
		return 77;
	}
	other = mine;
	other.build_id[0] ^= 0xff;
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(text, sizeof(text), "%s/text", dir);
	FILE *f = fopen(text, "w");
	if (f == NULL || mkfifo(fifo, 0600) != 0)
		return 1;
	fputs("not an ELF file\n", f);
	fclose(f);
	alarm(10);
	expect("this program's file has its build-id", zp_file_has_build_id("/proc/self/exe", &mine), true);
	expect("not another build-id", zp_file_has_build_id("/proc/self/exe", &other), false);
	expect("a key with no build-id: any file", zp_file_has_build_id(text, &none), true);
	expect("a file that is not ELF: no", zp_file_has_build_id(text, &mine), false);
	expect("a directory: no", zp_file_has_build_id(dir, &mine), false);
	expect("a FIFO: no, at once", zp_file_has_build_id(fifo, &mine), false);
	unlink(fifo);
	unlink(text);
	rmdir(dir);
	return failed;
}
