/* envkeep -- prints the strings envkeep-lib's constructor kept pointers
 * to (PROCENV_ variables, before the runtime's constructor ran) and
 * fails if one no longer reads as the variable getenv finds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envkeep.h"

int main(void)
{
	int bad = 0;

	for (int i = 0; i < ENVKEEP_MAX && envkeep_kept[i] != NULL; i++) {
		const char *k = envkeep_kept[i], *eq = strchr(k, '=');
		char name[64];
		snprintf(name, sizeof(name), "%.*s", eq != NULL ? (int)(eq - k) : 0, k);
		const char *v = getenv(name);
		int same = eq != NULL && v != NULL && strcmp(eq + 1, v) == 0;
		printf("kept %s (getenv: %s)%s\n", k, v != NULL ? v : "(none)", same ? "" : ": changed");
		bad |= !same;
	}
	return bad;
}
