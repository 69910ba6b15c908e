/* deny-opts.c -- fuzz target: the deny hook's --hook-opt parser, compiled
 * from the hook's own source */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zp.h"
#include "../../hooks/deny.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	char *o = malloc(size + 1);

	if (o == NULL)
		return 0;
	memcpy(o, data, size);
	o[size] = '\0';
	memset(&c, 0, sizeof(c));
	int r = parse_options(&c, o, zp_syscall_name);
	if (r == 0) {
		/* accepted: it denies something, with a real error */
		int named = 0;
		for (int nr = 0; nr < MAX_NR; nr++) {
			named += c.rule_of[nr] != 0;
			/* the interest set is exactly the numbers named */
			if ((c.rule_of[nr] != 0) != !!(c.interest[nr / 64] & (1ull << (nr % 64))))
				abort();
		}
		if (named == 0 || c.nrules <= 0 || c.nrules > MAX_RULES)
			abort();
		for (int i = 0; i < c.nrules; i++) {
			if (c.rules[i].err <= 0 || c.rules[i].err >= 4096 || c.rules[i].ppm > 1000000)
				abort();
		}
	} else if (c.error[0] == '\0' || strchr(c.error, '\n') != NULL) {
		abort();
	}
	free(o);
	return 0;
}
