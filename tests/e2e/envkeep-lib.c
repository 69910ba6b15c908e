/* envkeep-lib -- a library linked -z initfirst: the loader runs its
 * constructor before every other, the runtime's too, and it keeps
 * pointers to the environment's strings, as a library may keep getenv's
 * answers. For procenv.py: the runtime must not move those strings. */
#include <string.h>

#include "envkeep.h"

__attribute__((visibility("default"))) const char *envkeep_kept[ENVKEEP_MAX];

__attribute__((constructor)) static void keep(int argc, char **argv, char **env)
{
	int n = 0;

	(void)argc;
	(void)argv;
	for (char **e = env; e != NULL && *e != NULL && n < ENVKEEP_MAX; e++)
		if (strncmp(*e, "PROCENV_", 8) == 0)
			envkeep_kept[n++] = *e;
}
