/* counts -- the counter's options and table (src/counts.c), which the
 * hook and the watcher both print: strace -c's format, each order, and
 * options refused with a reason */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "counts.h"

static char got[4096];
static size_t used;

static long take(const void *buf, unsigned long len)
{
	if (used + len < sizeof(got)) {
		memcpy(got + used, buf, len);
		used += len;
		got[used] = '\0';
	}
	return (long)len;
}

static int fails;

static void expect(const char *what, bool ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	fails += !ok;
}

#define HEAD "% time     seconds  usecs/call     calls    errors syscall\n" \
	     "------ ----------- ----------- --------- --------- ----------------\n"
#define RULE "------ ----------- ----------- --------- --------- ----------------\n"
#define READ " 75.00    0.000003           1         3         1 read\n"
#define GETPPID " 25.00    0.000001           0        10           getppid\n"
#define OTHER "  0.00    0.000000           0         1           (other)\n"
#define TOTAL "100.00    0.000004           0        14         1 total\n"

int main(void)
{
	static struct zp_counts t;
	enum zp_count_order order;
	uint64_t want[ZP_TRACE_WORDS];
	char err[300];

	/* in nanoseconds (no TSC): the table is exact */
	t.use_tsc = 0;
	t.c[SYS_read] = (struct zp_count){ 3, 1, 3000 };
	t.c[SYS_getppid] = (struct zp_count){ 10, 0, 1000 };
	t.c[ZP_COUNT_SLOTS - 1] = (struct zp_count){ 1, 0, 0 };
	static const struct {
		enum zp_count_order order;
		const char *table;
	} tables[] = {
		{ ZP_BY_TIME, HEAD READ GETPPID OTHER RULE TOTAL },
		{ ZP_BY_CALLS, HEAD GETPPID READ OTHER RULE TOTAL },
		{ ZP_BY_ERRORS, HEAD READ GETPPID OTHER RULE TOTAL },
		{ ZP_BY_NAME, HEAD GETPPID READ OTHER RULE TOTAL },
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char what[64];
		used = 0;
		got[0] = '\0';
		zp_count_print(&t, tables[i].order, take);
		snprintf(what, sizeof(what), "the table, order %d", (int)tables[i].order);
		expect(what, strcmp(got, tables[i].table) == 0);
		if (strcmp(got, tables[i].table) != 0)
			printf("got:\n%swanted:\n%s", got, tables[i].table);
	}

	expect("no options: by time, every number",
	       zp_count_parse("", &order, want, err, sizeof(err)) == 0 && order == ZP_BY_TIME &&
	       want[0] == ~0ull && want[ZP_TRACE_WORDS - 1] == ~0ull);
	expect("sort=calls trace=getppid",
	       zp_count_parse("sort=calls  trace=getppid", &order, want, err, sizeof(err)) == 0 &&
	       order == ZP_BY_CALLS && want[SYS_getppid / 64] == 1ull << (SYS_getppid % 64) &&
	       want[0] == 0);
	expect("sort=name", zp_count_parse("sort=name", &order, want, err, sizeof(err)) == 0 &&
	       order == ZP_BY_NAME);
	err[0] = '\0';
	expect("an unknown option is refused, with a reason",
	       zp_count_parse("sort=time sort=bogus", &order, want, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "unknown option 'sort=bogus'") != NULL);
	err[0] = '\0';
	expect("a bad trace set is refused, with a reason",
	       zp_count_parse("trace=nosuchcall", &order, want, err, sizeof(err)) == -EINVAL && err[0] != '\0');
	char longopt[1200];
	memset(longopt, 'x', sizeof(longopt) - 1);
	longopt[sizeof(longopt) - 1] = '\0';
	err[0] = '\0';
	expect("a word too long is refused",
	       zp_count_parse(longopt, &order, want, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "too long") != NULL);
	printf("%d failed\n", fails);
	return fails != 0;
}
