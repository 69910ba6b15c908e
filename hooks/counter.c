/* counter -- counts calls, errors and time per system call, and prints a
 * summary like `strace -c` when the run ends.
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    41.10    0.000185          12        15           openat
 *
 * Counts from every process of the run (forked or executed) add up in the
 * memory the runtime shares between them; the process that was started
 * first prints the table when it calls exit_group, with everything counted
 * by then (children that outlive it are not waited for).
 *
 * Options (--hook-opt), words separated by spaces: sort=time (default),
 * calls, errors or name; trace=SET (strace's -e trace=, see
 * src/decode-opts.h): count only those calls, the others never reach the
 * hook. */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <zpoline/hook.h>

#include "decode-opts.h"

#define SLOTS 1024              /* numbers past the last one share the last slot */

/* What runs on every call (enter, exit) touches general registers only,
 * so the hook can declare ZPOLINE_HOOK_GPR_ONLY: the runtime then saves
 * no vector state around it. The table is printed from fini, which runs on
 * exit_group's path, where the runtime saves the vector state anyway. */
#define HOT __attribute__((target("general-regs-only")))

struct count {
	uint64_t calls, errors, ticks;
};

struct table {
	struct count c[SLOTS];
};

static const struct zpoline_init *rt;
static struct table *tab;
static uint64_t interest[ZPOLINE_INTEREST_WORDS];
static pid_t root;
static enum { BY_TIME, BY_CALLS, BY_ERRORS, BY_NAME } order = BY_TIME;
/* the clock: the time-stamp counter where it runs at a constant rate on
 * every core (CPUID's invariant TSC), else CLOCK_MONOTONIC's nanoseconds */
static int use_tsc;
static uint64_t tsc0, ns0;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

HOT static uint64_t ticks(void)
{
	return use_tsc ? __rdtsc() : now_ns();
}

HOT static void add(long nr, long ret, uint64_t t)
{
	struct count *c = &tab->c[nr >= 0 && nr < SLOTS ? nr : SLOTS - 1];

	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->ticks, t, __ATOMIC_RELAXED);
	if (ret < 0 && ret >= -4095)
		__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
}

/* calls that do not come back (or, execve, only when they fail) are
 * counted on the way in; exit and exit_group not at all, as strace -c
 * leaves them out */
HOT static int counter_enter(struct zpoline_call *call, uint64_t *slot)
{
	switch (call->nr) {
	case SYS_exit:
	case SYS_exit_group:
		break;
	case SYS_execve:
	case SYS_execveat:
	case SYS_rt_sigreturn:
		add(call->nr, 0, 0);
		break;
	default:
		*slot = ticks();
	}
	return ZPOLINE_CALL;
}

HOT static void counter_exit(struct zpoline_call *call, uint64_t *slot)
{
	long nr = call->nr, r = call->ret;

	if (nr == SYS_execve || nr == SYS_execveat) {
		/* counted on the way in; here it failed */
		__atomic_add_fetch(&tab->c[nr].errors, 1, __ATOMIC_RELAXED);
		return;
	}
	/* a fork-like call returns twice: count it once, in the parent, as
	 * strace does */
	if (r == 0 && (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork))
		return;
	add(nr, r, ticks() - *slot);
}

/* to_ns -- ticks as nanoseconds: the TSC's rate measured over this
 * process's life, against CLOCK_MONOTONIC */
static uint64_t to_ns(uint64_t t)
{
	if (!use_tsc)
		return t;
	uint64_t dt = __rdtsc() - tsc0, dn = now_ns() - ns0;
	return dt == 0 ? t : (uint64_t)((double)t * (double)dn / (double)dt);
}

struct row {
	long nr;
	struct count c;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	uint64_t kx, ky;

	switch (order) {
	case BY_CALLS: kx = x->c.calls; ky = y->c.calls; break;
	case BY_ERRORS: kx = x->c.errors; ky = y->c.errors; break;
	case BY_NAME: {
		const char *nx = rt->syscall_name(x->nr), *ny = rt->syscall_name(y->nr);
		return strcmp(nx ? nx : "~", ny ? ny : "~");
	}
	default: kx = x->c.ticks; ky = y->c.ticks; break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		rt->trace_write(line, (unsigned long)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
}

static void counter_fini(void)
{
	static struct row rows[SLOTS];
	struct count total = { 0, 0, 0 };
	int n = 0;

	if (getpid() != root)
		return;
	for (long nr = 0; nr < SLOTS; nr++) {
		struct count c = {
			__atomic_load_n(&tab->c[nr].calls, __ATOMIC_RELAXED),
			__atomic_load_n(&tab->c[nr].errors, __ATOMIC_RELAXED),
			to_ns(__atomic_load_n(&tab->c[nr].ticks, __ATOMIC_RELAXED)),
		};
		if (c.calls == 0)
			continue;
		rows[n++] = (struct row){ nr, c };
		total.calls += c.calls;
		total.errors += c.errors;
		total.ticks += c.ticks;
	}
	qsort(rows, (size_t)n, sizeof(rows[0]), cmp_rows);
	emit("%% time     seconds  usecs/call     calls    errors syscall\n");
	emit("------ ----------- ----------- --------- --------- ----------------\n");
	for (int i = 0; i < n; i++) {
		const struct count *c = &rows[i].c;
		const char *name = rt->syscall_name(rows[i].nr);
		char other[32];
		if (name == NULL || rows[i].nr == SLOTS - 1) {
			snprintf(other, sizeof(other), rows[i].nr == SLOTS - 1 ? "(other)" : "syscall_%#lx",
				 rows[i].nr);
			name = other;
		}
		char errors[24] = "";
		if (c->errors)
			snprintf(errors, sizeof(errors), "%9llu", (unsigned long long)c->errors);
		emit("%6.2f %11.6f %11llu %9llu %9s %s\n",
		     total.ticks ? 100.0 * (double)c->ticks / (double)total.ticks : 0.0,
		     (double)c->ticks / 1e9, (unsigned long long)(c->ticks / 1000 / c->calls), (unsigned long long)c->calls, errors,
		     name);
	}
	emit("------ ----------- ----------- --------- --------- ----------------\n");
	emit("100.00 %11.6f %11llu %9llu %9llu total\n", (double)total.ticks / 1e9,
	     (unsigned long long)(total.calls ? total.ticks / 1000 / total.calls : 0),
	     (unsigned long long)total.calls, (unsigned long long)total.errors);
}

static int counter_init(const struct zpoline_init *in)
{
	static struct table private_table;
	const char *o = in->options;
	const char *r = getenv("ZPOLINE_ROOT_PID");

	unsigned a, b, c, d;

	rt = in;
	use_tsc = __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
	tsc0 = __rdtsc();
	ns0 = now_ns();
	memset(interest, 0xff, sizeof(interest));
	for (const char *w = o; *w != '\0';) {
		char word[1100], err[300] = "";
		size_t n = strcspn(w, " ");
		if (n >= sizeof(word)) {
			snprintf(err, sizeof(err), "option too long: %.40s...", w);
		} else {
			memcpy(word, w, n);
			word[n] = '\0';
		}
		if (err[0] != '\0')
			;
		else if (strcmp(word, "sort=time") == 0)
			order = BY_TIME;
		else if (strcmp(word, "sort=calls") == 0)
			order = BY_CALLS;
		else if (strcmp(word, "sort=errors") == 0)
			order = BY_ERRORS;
		else if (strcmp(word, "sort=name") == 0)
			order = BY_NAME;
		else if (strncmp(word, "trace=", 6) == 0) {
			uint64_t set[ZP_TRACE_WORDS] = { 0 };
			if (zp_trace_parse_set(word + 6, set, err, sizeof(err)) == 0)
				for (int i = 0; i < ZPOLINE_INTEREST_WORDS && i < ZP_TRACE_WORDS; i++)
					interest[i] = set[i];
		} else {
			snprintf(err, sizeof(err), "unknown option '%.200s' (it takes sort=time|calls|errors|name "
				 "and trace=SET)", word);
		}
		if (err[0] != '\0') {
			char msg[400];
			int m = snprintf(msg, sizeof(msg), "zpoline: counter: %s\n", err);
			in->trace_write(msg, (unsigned long)m);
			return -EINVAL;
		}
		w += n;
		w += strspn(w, " ");
	}
	/* the run's shared memory when there is some; this process's own else */
	tab = in->shared != NULL && in->shared_size >= sizeof(struct table) ? in->shared : &private_table;
	root = r != NULL ? (pid_t)atoi(r) : getpid();
	if (tab == &private_table)
		root = getpid();
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "counter", .init = counter_init,
		    .enter = counter_enter, .exit = counter_exit, .fini = counter_fini,
		    .interest = interest);
