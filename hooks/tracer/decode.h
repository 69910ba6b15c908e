/* decode.h -- the tracer's decoders: system call arguments and results
 * printed the way strace prints them.
 *
 * The decoders are data: a table maps each system call number to the
 * types of its arguments and of its result (syscalls.c), and a small set of
 * type printers (decode.c) turns a value of a type into text, reading the
 * program's memory without trusting its pointers. Nothing here writes
 * anywhere but into a struct tr_buf, so the unit tests call the printers on
 * known inputs directly. */
#ifndef TRACER_DECODE_H
#define TRACER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* a line (or several) being built; never overflows, truncates instead */
struct tr_buf {
	char *p;
	size_t len, cap;
};

enum tr_xstyle { TR_X_ABBREV, TR_X_RAW, TR_X_VERBOSE };

/* what changes how values print (strace's -s, -v, -X, -y) */
struct tr_fmt {
	int strmax;                 /* -s: bytes of a string or buffer shown */
	bool verbose;               /* -v: structures in full */
	enum tr_xstyle xstyle;      /* -X */
	bool fdpaths;               /* -y: descriptors with their paths */
	bool json;                  /* values as JSON instead of strace's C-like text */
	bool align;                 /* " = " at strace's column 40 */
};

void tr_put(struct tr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tr_putc(struct tr_buf *b, char c);
void tr_puts(struct tr_buf *b, const char *s);
void tr_putu(struct tr_buf *b, unsigned long v);
void tr_putd(struct tr_buf *b, long v);
void tr_putx(struct tr_buf *b, unsigned long v);     /* 0x..., or 0 */

/* ---- names ---- */
struct tr_xlat {
	uint64_t value;
	const char *name;
};
/* tr_signame -- "SIGINT", "SIGRTMIN", "SIGRT_3"; NULL for a bad number */
const char *tr_signame(int sig, char *tmp, size_t len);
void tr_put_errno(struct tr_buf *b, long err);
/* tr_errno_name -- errno err's name (the kernel's restart codes too), or NULL */
const char *tr_errno_name(long err);

/* ---- one system call ---- */

/* the line's parts: what enter can print (name and the arguments the
 * kernel reads), and what only exit can (the arguments it writes, and
 * the result) */
struct tr_call {
	long nr;
	long args[6];
	long ret;
	bool exiting;               /* ret is known */
	bool injected;              /* ret is ours: the kernel never saw the call */
	int next_arg;               /* the first argument not printed yet */
	uint64_t saved;             /* value an argument had at enter (in/out) */
};

/* syscall properties (tr_props) */
#define TR_BLOCKS 0x1u          /* may block: show the entering half at once */
#define TR_NORETURN 0x2u        /* does not return (exit, exit_group) */
#define TR_EXEC 0x4u            /* returns only on failure */
#define TR_KNOWN 0x8u           /* described in the table */

unsigned tr_props(long nr);
/* tr_capture -- at enter, what an in/out argument held (into c->saved) */
void tr_capture(struct tr_call *c);
/* tr_print_enter -- "name(arg, arg, " up to the first argument that
 * only the result fills in */
void tr_print_enter(struct tr_buf *b, const struct tr_fmt *f, struct tr_call *c,
		    const char *name);
/* tr_enter_complete -- after tr_print_enter: it printed every argument,
 * and only the result is left (strace's RVAL_DECODED at entering: a call
 * the process dies in then ends ") = ?", else " <unfinished ...>) = ?") */
bool tr_enter_complete(const struct tr_call *c);
/* tr_print_exit -- the rest of the arguments, ")" and, padded to strace's
 * column, " = result" (with no newline) */
void tr_print_exit(struct tr_buf *b, const struct tr_fmt *f, struct tr_call *c, size_t line_start);
/* tr_pad -- strace's alignment of " = " at column 40 */
void tr_pad(struct tr_buf *b, const struct tr_fmt *f, size_t line_start);

/* ---- the type printers, for tests and for the signal lines ---- */
void tr_print_str(struct tr_buf *b, const struct tr_fmt *f, long addr, long max, bool path);
void tr_print_data(struct tr_buf *b, const struct tr_fmt *f, long addr, long len, bool hex);
void tr_print_quoted(struct tr_buf *b, const unsigned char *s, size_t n, bool hex, bool json);
void tr_print_flags(struct tr_buf *b, const struct tr_fmt *f, uint64_t v, const struct tr_xlat *x,
		    const char *zero);
void tr_print_enum(struct tr_buf *b, const struct tr_fmt *f, uint64_t v, const struct tr_xlat *x,
		   const char *unknown_comment);
void tr_print_sigset(struct tr_buf *b, const struct tr_fmt *f, const uint64_t *set, int words);
void tr_print_siginfo(struct tr_buf *b, const struct tr_fmt *f, const void *siginfo);
void tr_print_stat(struct tr_buf *b, const struct tr_fmt *f, const void *st);
void tr_print_sockaddr(struct tr_buf *b, const struct tr_fmt *f, const void *sa, unsigned len);
void tr_print_wstatus(struct tr_buf *b, int st);
void tr_print_signal(struct tr_buf *b, const struct tr_fmt *f, long sig);
void tr_print_open_flags(struct tr_buf *b, const struct tr_fmt *f, long v);

/* tr_json_args -- the arguments of a call as the decoders print them,
 * "name(a, b, ...) = r", as a JSON array of values (json.c) */
void tr_json_args(struct tr_buf *b, const char *text, size_t len);

/* the decoders' per-thread state, in the block of the hook that links
 * them (thread.h: not in the loader's dynamic TLS) */
#define TR_PAGE_CACHE 16
struct tr_thread {
	bool trusted;           /* tr_trusted */
	int my_reads;           /* direct reads under way in this thread */
	struct {
		uintptr_t page;
		unsigned long gen;
	} page_cache[TR_PAGE_CACHE];
	unsigned char strbuf[4097];
	char path[4096];        /* a descriptor's path (-y) */
	unsigned char dirents[65536];   /* not on the stack: handlers may run
					 * on a small sigaltstack */
};

/* tr_thread -- this thread's, defined by the hook (tracer.c, audit.c) */
struct tr_thread *tr_thread(void);

/* tr_peek -- copy from the program without trusting the pointer: the
 * number of bytes copied */
long tr_peek(void *dst, uintptr_t src, size_t len);
/* the process's pid (0: ask), and whether tr_peek may read directly:
 * set only around arguments the kernel has just read or written */
extern pid_t tr_self_pid;
#define tr_trusted (tr_thread()->trusted)
/* tr_maps_change -- a call that can unmap or protect the program's memory
 * enters (and waits for other threads' direct reads) or has returned:
 * what tr_peek read before is read through the kernel again; for_good:
 * always from now on */
void tr_maps_change(bool entering, bool for_good);

#endif
