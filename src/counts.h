/* counts.h -- the counter's table (hooks/counter.c), in the memory the
 * processes of a run share, and the strace -c style summary printed from
 * it: by the hook, when the run's first process calls exit_group, and by
 * the watcher (tool/watch.c), when that process ended without doing so
 * (killed by a signal). Both print it here, from the same options. */
#ifndef ZP_COUNTS_H
#define ZP_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "contract.h"
#include "decode-opts.h"

#define ZP_COUNT_SLOTS 1024     /* numbers past the last one share the last slot */

struct zp_count {
	uint64_t calls, errors, ticks;
};

/* what became of the run's first process (the root), as its counter says;
 * the watcher prints the table only for a root that ended RUNNING */
enum {
	ZP_ROOT_UNKNOWN,        /* no counter has run in it (yet) */
	ZP_ROOT_RUNNING,        /* a hooked image counts in it */
	ZP_ROOT_EXEC,           /* in execve: its next image may not be hooked */
	ZP_ROOT_PRINTED,        /* its exit_group printed the table */
};

struct zp_counts {
	struct zp_count c[ZP_COUNT_SLOTS];
	int root;               /* ZP_ROOT_* */
	/* the clock the ticks are counted in: the time-stamp counter, which
	 * the root read at tsc0 when CLOCK_MONOTONIC read ns0, or
	 * CLOCK_MONOTONIC's nanoseconds */
	int use_tsc;
	uint64_t tsc0, ns0;
	/* the root's call under way that may wait without end, counted as
	 * failed as it started (hooks/counter.c, BLOCKS), or -1: one SIGKILL
	 * ends is taken back out by the watcher, as strace -c never sees it */
	int64_t waiting;
};

/* the hook's slice of the run's shared memory holds it */
_Static_assert(sizeof(struct zp_counts) <= ZP_SHARED_SLICE, "the table fits a hook's shared slice");

enum zp_count_order { ZP_BY_TIME, ZP_BY_CALLS, ZP_BY_ERRORS, ZP_BY_NAME };

/* zp_count_parse -- the counter's options (sort=time|calls|errors|name,
 * trace=SET, separated by spaces) into *order and want (every number
 * without trace=): 0, or -EINVAL with a one-line reason in err */
int zp_count_parse(const char *s, enum zp_count_order *order, uint64_t want[ZP_TRACE_WORDS], char *err,
		   unsigned long errlen);

/* zp_count_clock -- which clock to count in, and its start, into t */
void zp_count_clock(struct zp_counts *t);
uint64_t zp_count_now_ns(void);

/* zp_count_print -- the table of t's counts, up to now, a line at a
 * time to out */
void zp_count_print(const struct zp_counts *t, enum zp_count_order order,
		    long (*out)(const void *buf, unsigned long len));

#endif
