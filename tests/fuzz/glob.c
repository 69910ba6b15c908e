/* glob.c -- fuzz target: the --exclude / ZPOLINE_EXCLUDE pattern list
 * against a path; input: LIST '\0' PATH */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* fnmatch backtracks: keep inputs to what a command line holds */
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 2);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	const char *list = buf, *path = buf + strlen(buf) + 1;
	if (path > buf + size)
		path = "";
	zp_path_matches(list, path);
	free(buf);
	return 0;
}
