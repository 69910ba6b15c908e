/* counts.c -- the counter's options and its strace -c style table (see
 * counts.h), for the counter hook and the watcher alike:
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    41.10    0.000185          12        15           openat */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "counts.h"
#include "zp.h"

int zp_count_parse(const char *s, enum zp_count_order *order, uint64_t want[ZP_TRACE_WORDS], char *err,
		   unsigned long errlen)
{
	*order = ZP_BY_TIME;
	memset(want, 0xff, ZP_TRACE_WORDS * sizeof(want[0]));
	for (const char *w = s; *w != '\0';) {
		char word[1100];
		size_t n = strcspn(w, " ");
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "option too long: %.40s...", w);
			return -EINVAL;
		}
		memcpy(word, w, n);
		word[n] = '\0';
		if (strcmp(word, "sort=time") == 0) {
			*order = ZP_BY_TIME;
		} else if (strcmp(word, "sort=calls") == 0) {
			*order = ZP_BY_CALLS;
		} else if (strcmp(word, "sort=errors") == 0) {
			*order = ZP_BY_ERRORS;
		} else if (strcmp(word, "sort=name") == 0) {
			*order = ZP_BY_NAME;
		} else if (strncmp(word, "trace=", 6) == 0) {
			uint64_t set[ZP_TRACE_WORDS] = { 0 };
			if (zp_trace_parse_set(word + 6, set, err, errlen) < 0)
				return -EINVAL;
			memcpy(want, set, sizeof(set));
		} else {
			snprintf(err, errlen, "unknown option '%.200s' (it takes sort=time|calls|errors|name "
				 "and trace=SET)", word);
			return -EINVAL;
		}
		w += n;
		w += strspn(w, " ");
	}
	return 0;
}

uint64_t zp_count_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* the time-stamp counter where it runs at a constant rate on every core
 * (CPUID's invariant TSC), else CLOCK_MONOTONIC's nanoseconds */
void zp_count_clock(struct zp_counts *t)
{
	unsigned a, b, c, d;

	t->use_tsc = __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
	t->tsc0 = __rdtsc();
	t->ns0 = zp_count_now_ns();
}

/* to_ns -- ticks as nanoseconds: the TSC's rate measured since the root
 * started counting, against CLOCK_MONOTONIC */
static uint64_t to_ns(const struct zp_counts *t, uint64_t ticks)
{
	if (!t->use_tsc)
		return ticks;
	uint64_t dt = __rdtsc() - t->tsc0, dn = zp_count_now_ns() - t->ns0;
	return dt == 0 ? ticks : (uint64_t)((double)ticks * (double)dn / (double)dt);
}

struct row {
	long nr;
	struct zp_count c;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct row *x = a, *y = b;
	uint64_t kx, ky;

	switch (*(const enum zp_count_order *)arg) {
	case ZP_BY_CALLS: kx = x->c.calls; ky = y->c.calls; break;
	case ZP_BY_ERRORS: kx = x->c.errors; ky = y->c.errors; break;
	case ZP_BY_NAME: {
		const char *nx = zp_syscall_name(x->nr), *ny = zp_syscall_name(y->nr);
		return strcmp(nx ? nx : "~", ny ? ny : "~");
	}
	default: kx = x->c.ticks; ky = y->c.ticks; break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static void emit(long (*out)(const void *, unsigned long), const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emit(long (*out)(const void *, unsigned long), const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		out(line, (unsigned long)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
}

void zp_count_print(const struct zp_counts *t, enum zp_count_order order,
		    long (*out)(const void *buf, unsigned long len))
{
	/* not on the stack: the hook prints on the program's */
	static struct row rows[ZP_COUNT_SLOTS];
	struct zp_count total = { 0, 0, 0 };
	int n = 0;

	for (long nr = 0; nr < ZP_COUNT_SLOTS; nr++) {
		struct zp_count c = {
			__atomic_load_n(&t->c[nr].calls, __ATOMIC_RELAXED),
			__atomic_load_n(&t->c[nr].errors, __ATOMIC_RELAXED),
			to_ns(t, __atomic_load_n(&t->c[nr].ticks, __ATOMIC_RELAXED)),
		};
		if (c.calls == 0)
			continue;
		rows[n++] = (struct row){ nr, c };
		total.calls += c.calls;
		total.errors += c.errors;
		total.ticks += c.ticks;
	}
	qsort_r(rows, (size_t)n, sizeof(rows[0]), cmp_rows, &order);
	emit(out, "%% time     seconds  usecs/call     calls    errors syscall\n");
	emit(out, "------ ----------- ----------- --------- --------- ----------------\n");
	for (int i = 0; i < n; i++) {
		const struct zp_count *c = &rows[i].c;
		const char *name = zp_syscall_name(rows[i].nr);
		char other[32];
		if (name == NULL || rows[i].nr == ZP_COUNT_SLOTS - 1) {
			snprintf(other, sizeof(other), rows[i].nr == ZP_COUNT_SLOTS - 1 ? "(other)" : "syscall_%#lx",
				 rows[i].nr);
			name = other;
		}
		char errors[24] = "";
		if (c->errors)
			snprintf(errors, sizeof(errors), "%9llu", (unsigned long long)c->errors);
		emit(out, "%6.2f %11.6f %11llu %9llu %9s %s\n",
		     total.ticks ? 100.0 * (double)c->ticks / (double)total.ticks : 0.0,
		     (double)c->ticks / 1e9, (unsigned long long)(c->ticks / 1000 / c->calls),
		     (unsigned long long)c->calls, errors, name);
	}
	emit(out, "------ ----------- ----------- --------- --------- ----------------\n");
	emit(out, "100.00 %11.6f %11llu %9llu %9llu total\n", (double)total.ticks / 1e9,
	     (unsigned long long)(total.calls ? total.ticks / 1000 / total.calls : 0),
	     (unsigned long long)total.calls, (unsigned long long)total.errors);
}
