/* hookinfo.c -- fuzz target: what `zpoline run --hook` and `zpoline
 * check --hook` read from a hook file, without loading it */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "elf-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zp_hookinfo hi;
	struct zp_elf *e;
	const char *why;

	char *image = malloc(size ? size : 1);
	if (image == NULL)
		return 0;
	memcpy(image, data, size);
	if (zp_elf_open_mem(image, size, &e) == 0) {
		/* every failure says why, in a line */
		if (zp_hookinfo_from_elf(e, &hi, &why) < 0 && (why == NULL || strchr(why, '\n')))
			abort();
		zp_elf_close(e);
	}
	free(image);
	return 0;
}
