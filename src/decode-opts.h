/* decode-opts.h -- the tracer's settings, as `zpoline trace` takes them
 * from strace's options and passes them on in one --hook-opt string.
 *
 * The string is a list of words separated by spaces:
 *   s=N  v  X=raw|abbrev|verbose  t  tt  ttt  r  T  y  z  Z  json  lines  align
 *   trace=SET  status=SET  signal=SET  inject=SPEC  fault=SPEC  ff=PREFIX
 * with SET and SPEC as strace's -e takes them. The tool and the tracer hook
 * both parse it here, so a bad setting is refused before the program runs. */
#ifndef ZP_DECODE_OPTS_H
#define ZP_DECODE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#define ZP_TRACE_WORDS 16           /* bitmap words for numbers 0..1023 */
#define ZP_TRACE_MAX_INJECT 16

enum { ZP_STATUS_SUCCESSFUL = 1, ZP_STATUS_FAILED = 2, ZP_STATUS_UNFINISHED = 4,
       ZP_STATUS_UNAVAILABLE = 8, ZP_STATUS_DETACHED = 16, ZP_STATUS_ALL = 31 };

struct zp_inject {
	uint64_t set[ZP_TRACE_WORDS];
	int error;                  /* errno to fail with, or 0 */
	bool has_retval;
	long retval;
	int signal;                 /* to raise after the call, or 0 */
	long delay_enter_us, delay_exit_us;
	unsigned long first, last, step;    /* when=FIRST..LAST+STEP, counted from 1 */
};

struct zp_trace_opts {
	int strmax;                 /* -s, 32 */
	bool verbose;               /* -v */
	int xstyle;                 /* 0 abbrev, 1 raw, 2 verbose */
	int tstamp;                 /* -t: 0..3 */
	bool relative;              /* -r */
	bool timing;                /* -T */
	bool fdpaths;               /* -y */
	bool json;
	bool lines;                 /* write every line at once (a terminal) */
	bool align;                 /* results at strace's column 40 */
	unsigned status;            /* ZP_STATUS_*: which calls to show */
	bool narrowed;              /* trace= given */
	uint64_t trace[ZP_TRACE_WORDS];
	bool signals;               /* any signal in sigs: the tracer watches signals */
	uint64_t sigs;              /* signal=SET: bit n-1 for signal n prints --- SIGn --- */
	int ninject;
	struct zp_inject inject[ZP_TRACE_MAX_INJECT];
	char ff[512];               /* -ff: one file per process, PREFIX.PID */
	bool nofollow;              /* --no-follow: the first thread alone, as strace without -f */
};

/* zp_trace_parse -- fill *o from the option string: 0, or -EINVAL with a
 * one-line reason in err */
int zp_trace_parse(const char *s, struct zp_trace_opts *o, char *err, unsigned long errlen);
/* zp_trace_parse_set -- a SET of strace's -e trace=: names, !, /regex,
 * %classes, all, none */
int zp_trace_parse_set(const char *set, uint64_t *bits, char *err, unsigned long errlen);
/* zp_trace_parse_inject -- SET:error=E|retval=N|signal=S|delay_enter=T|
 * delay_exit=T|when=A[..B][+S] (fault: error defaults to ENOSYS) */
/* zp_trace_parse_sigset -- a SET of strace's -e signal=: names with or
 * without SIG, numbers, !, all, none; bit n-1 for signal n */
int zp_trace_parse_sigset(const char *set, uint64_t *bits, char *err, unsigned long errlen);
int zp_trace_parse_inject(const char *spec, bool fault, struct zp_inject *in, char *err,
			  unsigned long errlen);

static inline bool zp_trace_has(const uint64_t *set, long nr)
{
	if (nr < 0 || nr >= ZP_TRACE_WORDS * 64)
		return false;
	return (set[nr / 64] >> (nr % 64)) & 1;
}

#endif
