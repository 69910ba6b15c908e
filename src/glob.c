/* glob.c -- the --exclude / ZPOLINE_EXCLUDE patterns */
#include <fnmatch.h>
#include <string.h>

#include "zp.h"

bool zp_path_matches(const char *list, const char *path)
{
	const char *base = strrchr(path, '/');
	char pat[512];

	base = base ? base + 1 : path;
	while (list != NULL && *list != '\0') {
		const char *colon = strchr(list, ':');
		size_t len = colon ? (size_t)(colon - list) : strlen(list);
		if (len > 0 && len < sizeof(pat)) {
			memcpy(pat, list, len);
			pat[len] = '\0';
			/* a name with no wildcard matches itself alone: strcmp,
			 * not fnmatch (some objects times some names a start) */
			bool plain = strpbrk(pat, "*?[\\") == NULL;
			if (plain ? strcmp(pat, path) == 0 || strcmp(pat, base) == 0
				  : fnmatch(pat, path, 0) == 0 || fnmatch(pat, base, 0) == 0)
				return true;
		}
		list = colon ? colon + 1 : NULL;
	}
	return false;
}
