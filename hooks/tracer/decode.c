/* decode.c -- type printers: a value of a type, as strace prints it.
 *
 * Each printer reads what it needs of the program's memory with tr_peek
 * (process_vm_readv), so a bad pointer prints as its address. With
 * tr_fmt.json the same printers write JSON values instead. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "xlat.h"

void tr_put(struct tr_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < room ? (size_t)n : room - 1;
}

void tr_putc(struct tr_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	}
}

/* the integers of every line, without printf's machinery */
void tr_putu(struct tr_buf *b, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (b->len + (size_t)n + 1 >= b->cap)
		return;
	while (n > 0)
		b->p[b->len++] = tmp[--n];
	b->p[b->len] = '\0';
}

void tr_putd(struct tr_buf *b, long v)
{
	if (v < 0) {
		tr_putc(b, '-');
		tr_putu(b, -(unsigned long)v);
	} else {
		tr_putu(b, (unsigned long)v);
	}
}

void tr_putx(struct tr_buf *b, unsigned long v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	int n = 0;

	if (v == 0) {
		tr_putc(b, '0');
		return;
	}
	while (v != 0) {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	}
	if (b->len + (size_t)n + 3 >= b->cap)
		return;
	b->p[b->len++] = '0';
	b->p[b->len++] = 'x';
	while (n > 0)
		b->p[b->len++] = tmp[--n];
	b->p[b->len] = '\0';
}

void tr_puts(struct tr_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > b->cap - b->len - 1)
		n = b->cap - b->len - 1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

pid_t tr_self_pid;

/* Pages process_vm_readv has read lately, per thread, each with the
 * generation of the process's mappings it was read in: while no call that
 * can unmap or protect memory (tr_maps_change) has begun since, they are
 * read directly, without a system call (a path read when its call enters
 * costs what one read when it returned did). A call that changes the
 * mappings waits for the direct reads under way in other threads; a
 * signal handler's call in this thread does not wait for the read it
 * interrupted. A program that takes memory keys or handles its own page
 * faults (pkey_alloc, userfaultfd) can make a page unreadable with no
 * such call: it gets no direct reads. What is not seen: a file mapped
 * shared and truncated by another process (a read there would raise
 * SIGBUS). */
static unsigned long map_gen;
static int map_readers;
static bool map_direct_off;
#define PAGE_CACHE TR_PAGE_CACHE
#define my_reads (tr_thread()->my_reads)
#define page_cache (tr_thread()->page_cache)

void tr_maps_change(bool entering, bool for_good)
{
	if (for_good)
		__atomic_store_n(&map_direct_off, true, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&map_gen, 1, __ATOMIC_SEQ_CST);
	if (!entering)
		return;
	while (__atomic_load_n(&map_readers, __ATOMIC_SEQ_CST) > my_reads)
		sched_yield();
}

static bool page_known(uintptr_t page, unsigned long gen)
{
	return page_cache[page % PAGE_CACHE].page == page && page_cache[page % PAGE_CACHE].gen == gen;
}

/* read_known -- len bytes at src, on at most two pages read lately */
static bool read_known(void *dst, uintptr_t src, size_t len)
{
	uintptr_t first = src >> 12, last = (src + len - 1) >> 12;

	if (last - first > 1 || !page_known(first, page_cache[first % PAGE_CACHE].gen))
		return false;
	my_reads++;
	__atomic_add_fetch(&map_readers, 1, __ATOMIC_SEQ_CST);
	unsigned long gen = __atomic_load_n(&map_gen, __ATOMIC_SEQ_CST);
	bool ok = page_known(first, gen) && page_known(last, gen) &&
		  !__atomic_load_n(&map_direct_off, __ATOMIC_RELAXED);
	if (ok)
		memcpy(dst, (const void *)src, len);
	__atomic_sub_fetch(&map_readers, 1, __ATOMIC_RELEASE);
	my_reads--;
	return ok;
}

long tr_peek(void *dst, uintptr_t src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };

	/* nothing of the program's is in the lowest 64 KiB (the kernel's
	 * default vm.mmap_min_addr): what is there is the runtime's
	 * trampoline, which the kernel treats as unmapped for the program's
	 * calls; so must the tracer, or it would pass on a copy the kernel
	 * would have refused */
	if (src < 0x10000 || len == 0)
		return 0;
	if (tr_trusted) {
		/* the kernel has just read or written this memory: it is there */
		memcpy(dst, (const void *)src, len);
		return (long)len;
	}
	if (src + len < src)
		return 0;
	if (read_known(dst, src, len))
		return (long)len;
	unsigned long gen = __atomic_load_n(&map_gen, __ATOMIC_SEQ_CST);
	long r = process_vm_readv(tr_self_pid ? tr_self_pid : getpid(), &local, 1, &remote, 1, 0);
	if (r == (long)len) {
		for (uintptr_t p = src >> 12; p <= (src + len - 1) >> 12; p++) {
			page_cache[p % PAGE_CACHE].page = p;
			page_cache[p % PAGE_CACHE].gen = gen;
		}
	}
	return r < 0 ? 0 : r;
}

/* ---- strings ---- */

void tr_print_quoted(struct tr_buf *b, const unsigned char *s, size_t n, bool hex, bool json)
{
	tr_putc(b, '"');
	for (size_t i = 0; i < n && b->len + 8 < b->cap; i++) {
		unsigned char c = s[i];
		char *o = b->p + b->len;
		switch (hex ? -1 : c) {
		case '"': case '\\': *o++ = '\\'; *o++ = (char)c; break;
		case '\f': *o++ = '\\'; *o++ = 'f'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\v':
			if (json) {
				o += sprintf(o, "\\u000b");
				break;
			}
			*o++ = '\\'; *o++ = 'v';
			break;
		default:
			if (c >= ' ' && c <= 0x7e && !hex) {
				*o++ = (char)c;
			} else if (json) {
				o += sprintf(o, "\\u%04x", c);
			} else if (hex) {
				o += sprintf(o, "\\x%02x", c);
			} else {
				/* octal, as short as the next character allows */
				bool digit = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
				*o++ = '\\';
				if (digit || c >> 6)
					*o++ = (char)('0' + (c >> 6));
				if (digit || c >> 3)
					*o++ = (char)('0' + ((c >> 3) & 7));
				*o++ = (char)('0' + (c & 7));
			}
		}
		b->len = (size_t)(o - b->p);
	}
	tr_putc(b, '"');
}

void tr_print_str(struct tr_buf *b, const struct tr_fmt *f, long addr, long max, bool path)
{
	size_t n = 0, lim = path ? 4096 : (size_t)f->strmax;
	unsigned char *strbuf = tr_thread()->strbuf;

	(void)max;
	if (addr == 0) {
		tr_puts(b, f->json ? "null" : "NULL");
		return;
	}
	if (tr_trusted) {
		/* the kernel read it up to its NUL (or to PATH_MAX): so may we */
		const char *s = (const char *)addr;
		size_t len = strnlen(s, path ? 4096 : lim + 1);
		tr_print_quoted(b, (const unsigned char *)s, len > lim ? lim : len, false, f->json);
		if (len > lim && !f->json)
			tr_puts(b, "...");
		return;
	}
	/* page by page: a string may end just before unmapped memory */
	while (n <= lim) {
		size_t chunk = 4096 - ((uintptr_t)(addr + (long)n) & 4095);
		if (chunk > lim + 1 - n)
			chunk = lim + 1 - n;
		/* most strings are short: a first small copy, not a page */
		if (n == 0 && chunk > 256)
			chunk = 256;
		if (chunk == 0)
			break;
		size_t got = (size_t)tr_peek(strbuf + n, (uintptr_t)addr + n, chunk);
		void *z = memchr(strbuf + n, 0, got);
		if (z != NULL) {
			tr_print_quoted(b, strbuf, (size_t)((unsigned char *)z - strbuf), false, f->json);
			return;
		}
		n += got;
		if (got < chunk)
			break;
	}
	if (n == 0) {
		tr_put(b, f->json ? "\"%#lx\"" : "%#lx", (unsigned long)addr);
		return;
	}
	tr_print_quoted(b, strbuf, n > lim ? lim : n, false, f->json);
	if (!f->json)
		tr_puts(b, "...");
}

void tr_print_data(struct tr_buf *b, const struct tr_fmt *f, long addr, long len, bool hex)
{
	size_t n = len < 0 ? 0 : (size_t)len < (size_t)f->strmax ? (size_t)len : (size_t)f->strmax;
	unsigned char *strbuf = tr_thread()->strbuf;

	if (addr == 0) {
		tr_puts(b, f->json ? "null" : "NULL");
		return;
	}
	if (n > 0 && (size_t)tr_peek(strbuf, (uintptr_t)addr, n) != n) {
		tr_put(b, f->json ? "\"%#lx\"" : "%#lx", (unsigned long)addr);
		return;
	}
	tr_print_quoted(b, strbuf, n, hex, f->json);
	if ((size_t)len > n && !f->json)
		tr_puts(b, "...");
}

/* ---- flags and enums ---- */

void tr_print_flags(struct tr_buf *b, const struct tr_fmt *f, uint64_t v, const struct tr_xlat *x,
		    const char *zero)
{
	bool any = false;
	uint64_t orig = v;

	if (f->xstyle == TR_X_RAW || f->json) {
		tr_put(b, f->json ? "%llu" : "%#llx", (unsigned long long)v);
		if (f->json || v != 0)
			return;
		return;
	}
	if (f->xstyle == TR_X_VERBOSE) {
		tr_put(b, "%#llx /* ", (unsigned long long)v);
	}
	for (; x->name != NULL; x++) {
		if (x->value != 0 && (v & x->value) == x->value) {
			if (any)
				tr_putc(b, '|');
			tr_puts(b, x->name);
			v &= ~x->value;
			any = true;
		}
	}
	if (v != 0 || !any) {
		if (v == 0 && zero != NULL)
			tr_puts(b, zero);
		else if (v == 0)
			tr_puts(b, "0");
		else
			tr_put(b, "%s%#llx", any ? "|" : "", (unsigned long long)v);
	}
	if (f->xstyle == TR_X_VERBOSE)
		tr_puts(b, " */");
	(void)orig;
}

static const char *xlat_find(const struct tr_xlat *x, uint64_t v)
{
	for (; x->name != NULL; x++)
		if (x->value == v)
			return x->name;
	return NULL;
}

void tr_print_enum(struct tr_buf *b, const struct tr_fmt *f, uint64_t v, const struct tr_xlat *x,
		   const char *unknown_comment)
{
	const char *n = xlat_find(x, v);

	if (f->json) {
		if (n != NULL)
			tr_put(b, "\"%s\"", n);
		else
			tr_put(b, "%lld", (long long)v);
		return;
	}
	if (f->xstyle == TR_X_RAW || (n == NULL && unknown_comment == NULL)) {
		tr_put(b, "%#llx", (unsigned long long)v);
	} else if (n == NULL) {
		tr_put(b, "%#llx /* %s */", (unsigned long long)v, unknown_comment);
	} else if (f->xstyle == TR_X_VERBOSE) {
		tr_put(b, "%#llx /* %s */", (unsigned long long)v, n);
	} else {
		tr_puts(b, n);
	}
}

/* ---- signals ---- */

static const char *const signames[32] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
	[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
	[SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

const char *tr_signame(int sig, char *tmp, size_t len)
{
	if (len < 12)
		return NULL;
	if (sig > 0 && sig < 32 && signames[sig] != NULL)
		return signames[sig];
	if (sig == 32)
		return "SIGRTMIN";
	if (sig > 32 && sig <= 64) {
		snprintf(tmp, len, "SIGRT_%u", (unsigned)(sig - 32) % 100u);
		return tmp;
	}
	return NULL;
}

void tr_print_signal(struct tr_buf *b, const struct tr_fmt *f, long sig)
{
	char tmp[16];
	const char *n = tr_signame((int)sig, tmp, sizeof(tmp));

	if (f->json)
		n ? tr_put(b, "\"%s\"", n) : tr_put(b, "%ld", sig);
	else if (n == NULL || f->xstyle == TR_X_RAW)
		tr_put(b, "%ld", sig);
	else if (f->xstyle == TR_X_VERBOSE)
		tr_put(b, "%ld /* %s */", sig, n);
	else
		tr_puts(b, n);
}

void tr_print_sigset(struct tr_buf *b, const struct tr_fmt *f, const uint64_t *set, int words)
{
	int bits = words * 64, count = 0;
	bool inv, first = true;

	for (int i = 0; i < words; i++)
		count += __builtin_popcountll(set[i]);
	inv = count * 2 > bits;
	if (f->json)
		inv = false;
	tr_puts(b, inv ? "~[" : "[");
	for (int s = 1; s <= bits; s++) {
		bool in = (set[(s - 1) / 64] >> ((s - 1) % 64)) & 1;
		if (in == inv)
			continue;
		char tmp[16];
		const char *n = tr_signame(s, tmp, sizeof(tmp));
		if (!first)
			tr_puts(b, f->json ? ", " : " ");
		first = false;
		if (f->json)
			n ? tr_put(b, "\"%s\"", n) : tr_put(b, "%d", s);
		else if (n != NULL)
			tr_puts(b, n + 3);
		else
			tr_put(b, "%d", s);
	}
	tr_putc(b, ']');
}

void tr_print_siginfo(struct tr_buf *b, const struct tr_fmt *f, const void *p)
{
	const siginfo_t *si = p;
	char tmp[16];
	const char *code = NULL;
	bool json = f->json;

	tr_puts(b, json ? "{\"si_signo\": " : "{si_signo=");
	tr_print_signal(b, f, si->si_signo);
	tr_puts(b, json ? ", \"si_code\": " : ", si_code=");
	/* a positive code is the signal's own (a fault's, a child's) */
	static const struct {
		int signo;
		const struct tr_xlat *codes;
	} own_codes[] = {
		{ SIGCHLD, tr_cld_codes }, { SIGSEGV, tr_segv_codes }, { SIGBUS, tr_bus_codes },
		{ SIGILL, tr_ill_codes }, { SIGFPE, tr_fpe_codes }, { SIGTRAP, tr_trap_codes },
		{ SIGSYS, tr_sys_codes }, { SIGIO, tr_poll_codes },
	};
	if (si->si_code <= 0 || si->si_code == SI_KERNEL)
		code = xlat_find(tr_si_codes, (uint64_t)(int64_t)si->si_code);
	else
		for (size_t i = 0; i < sizeof(own_codes) / sizeof(own_codes[0]); i++)
			if (own_codes[i].signo == si->si_signo)
				code = xlat_find(own_codes[i].codes, (uint64_t)si->si_code);
	if (json)
		code ? tr_put(b, "\"%s\"", code) : tr_put(b, "%d", si->si_code);
	else
		code ? tr_puts(b, code) : tr_put(b, "%d", si->si_code);
	(void)tmp;
	if (si->si_code == SI_USER || si->si_code == SI_TKILL || si->si_code == SI_QUEUE) {
		tr_put(b, json ? ", \"si_pid\": %d, \"si_uid\": %u" : ", si_pid=%d, si_uid=%u",
		       si->si_pid, si->si_uid);
		if (si->si_code == SI_QUEUE)
			tr_put(b, json ? ", \"si_int\": %d" : ", si_int=%d, si_ptr=%p", si->si_int,
			       si->si_ptr);
	} else if (si->si_signo == SIGCHLD && si->si_code > 0) {
		tr_put(b, json ? ", \"si_pid\": %d, \"si_uid\": %u, \"si_status\": " :
		       ", si_pid=%d, si_uid=%u, si_status=", si->si_pid, si->si_uid);
		if (si->si_code == CLD_EXITED)
			tr_put(b, "%d", si->si_status);
		else
			tr_print_signal(b, f, si->si_status);
		tr_put(b, json ? ", \"si_utime\": %ld, \"si_stime\": %ld" : ", si_utime=%ld, si_stime=%ld",
		       (long)si->si_utime, (long)si->si_stime);
	} else if ((si->si_signo == SIGSEGV || si->si_signo == SIGBUS || si->si_signo == SIGILL ||
		    si->si_signo == SIGFPE) && si->si_code > 0) {
		if (json)
			tr_put(b, ", \"si_addr\": %lu", (unsigned long)si->si_addr);
		else
			si->si_addr ? tr_put(b, ", si_addr=%p", si->si_addr) : tr_puts(b, ", si_addr=NULL");
	} else if (si->si_code == SI_TIMER) {
		tr_put(b, json ? ", \"si_timerid\": %#x, \"si_overrun\": %d" :
		       ", si_timerid=%#x, si_overrun=%d, si_int=%d, si_ptr=%p",
		       si->si_timerid, si->si_overrun, si->si_int, si->si_ptr);
	} else if (si->si_code == SI_KERNEL && si->si_signo == SIGSEGV) {
		tr_puts(b, json ? ", \"si_addr\": 0" : ", si_addr=NULL");
	}
	tr_putc(b, '}');
}

/* ---- structures ---- */

static void put_mode(struct tr_buf *b, const struct tr_fmt *f, unsigned mode)
{
	const char *type = xlat_find(tr_file_types, mode & S_IFMT);

	if (f->json) {
		tr_put(b, "%u", mode);
		return;
	}
	if (f->xstyle == TR_X_RAW) {
		tr_put(b, "%#o", mode);
		return;
	}
	if (type != NULL)
		tr_puts(b, type), tr_putc(b, '|');
	else if (mode & S_IFMT)
		tr_put(b, "%#o|", mode & S_IFMT);
	if (mode & S_ISUID)
		tr_puts(b, "S_ISUID|");
	if (mode & S_ISGID)
		tr_puts(b, "S_ISGID|");
	if (mode & S_ISVTX)
		tr_puts(b, "S_ISVTX|");
	/* printf's %#03o */
	if (mode & 0700)
		tr_putc(b, '0');
	tr_putc(b, (char)('0' + ((mode >> 6) & 7)));
	tr_putc(b, (char)('0' + ((mode >> 3) & 7)));
	tr_putc(b, (char)('0' + (mode & 7)));
}

static void put_dev(struct tr_buf *b, const struct tr_fmt *f, unsigned long long dev)
{
	if (f->json)
		tr_put(b, "%llu", dev);
	else
		tr_put(b, "makedev(%#x, %#x)", major(dev), minor(dev));
}

static void put_time(struct tr_buf *b, const char *name, long sec, long nsec, bool json)
{
	if (json) {
		tr_put(b, ", \"%s\": %ld, \"%s_nsec\": %ld", name, sec, name, nsec);
		return;
	}
	struct tm tm;
	char when[64];
	time_t t = sec;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (nsec)
		tr_put(b, ", %s=%ld /* %s.%09ld+0000 */, %s_nsec=%ld", name, sec, when, nsec, name, nsec);
	else
		tr_put(b, ", %s=%ld /* %s+0000 */, %s_nsec=%ld", name, sec, when, name, nsec);
}

void tr_print_stat(struct tr_buf *b, const struct tr_fmt *f, const void *p)
{
	const struct stat *st = p;
	bool j = f->json;
	unsigned type = st->st_mode & S_IFMT;

	if (f->verbose || j) {
		tr_puts(b, j ? "{\"st_dev\": " : "{st_dev=");
		put_dev(b, f, st->st_dev);
		tr_put(b, j ? ", \"st_ino\": %lu, \"st_mode\": " : ", st_ino=%lu, st_mode=",
		       (unsigned long)st->st_ino);
		put_mode(b, f, st->st_mode);
		tr_put(b, j ? ", \"st_nlink\": %lu, \"st_uid\": %u, \"st_gid\": %u, \"st_blksize\": %ld, \"st_blocks\": %ld" :
		       ", st_nlink=%lu, st_uid=%u, st_gid=%u, st_blksize=%ld, st_blocks=%ld",
		       (unsigned long)st->st_nlink, st->st_uid, st->st_gid, (long)st->st_blksize,
		       (long)st->st_blocks);
		if (type == S_IFCHR || type == S_IFBLK) {
			tr_puts(b, j ? ", \"st_rdev\": " : ", st_rdev=");
			put_dev(b, f, st->st_rdev);
		} else {
			tr_put(b, j ? ", \"st_size\": %ld" : ", st_size=%ld", (long)st->st_size);
		}
		put_time(b, "st_atime", st->st_atim.tv_sec, st->st_atim.tv_nsec, j);
		put_time(b, "st_mtime", st->st_mtim.tv_sec, st->st_mtim.tv_nsec, j);
		put_time(b, "st_ctime", st->st_ctim.tv_sec, st->st_ctim.tv_nsec, j);
		tr_putc(b, '}');
		return;
	}
	tr_puts(b, "{st_mode=");
	put_mode(b, f, st->st_mode);
	if (type == S_IFCHR || type == S_IFBLK) {
		tr_puts(b, ", st_rdev=");
		put_dev(b, f, st->st_rdev);
	} else {
		tr_puts(b, ", st_size=");
		tr_putd(b, (long)st->st_size);
	}
	tr_puts(b, ", ...}");
}

void tr_print_sockaddr(struct tr_buf *b, const struct tr_fmt *f, const void *p, unsigned len)
{
	const struct sockaddr *sa = p;
	bool j = f->json;
	char ip[INET6_ADDRSTRLEN];

	if (len < sizeof(sa->sa_family)) {
		tr_puts(b, "{}");
		return;
	}
	tr_puts(b, j ? "{\"sa_family\": " : "{sa_family=");
	tr_print_enum(b, f, sa->sa_family, tr_families, NULL);
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = p;
		if (len < sizeof(*in))
			break;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		tr_put(b, j ? ", \"sin_port\": %u, \"sin_addr\": \"%s\"" :
		       ", sin_port=htons(%u), sin_addr=inet_addr(\"%s\")", ntohs(in->sin_port), ip);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = p;
		if (len < sizeof(*in6))
			break;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		tr_put(b, j ? ", \"sin6_port\": %u, \"sin6_flowinfo\": %u, \"sin6_addr\": \"%s\", \"sin6_scope_id\": %u" :
		       ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u",
		       ntohs(in6->sin6_port), ntohl(in6->sin6_flowinfo), ip, in6->sin6_scope_id);
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = p;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		if (len <= offsetof(struct sockaddr_un, sun_path))
			break;
		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		tr_puts(b, j ? ", \"sun_path\": " : ", sun_path=");
		if (un->sun_path[0] == '\0' && n > 1) {
			tr_puts(b, j ? "\"@" : "@");
			if (j)
				b->len--;   /* the quote goes back on */
			tr_print_quoted(b, (const unsigned char *)un->sun_path + 1,
					strnlen(un->sun_path + 1, n - 1), false, j);
		} else {
			tr_print_quoted(b, (const unsigned char *)un->sun_path,
					strnlen(un->sun_path, n), false, j);
		}
		break;
	}
	default:
		break;
	}
	tr_putc(b, '}');
}

void tr_print_wstatus(struct tr_buf *b, int st)
{
	char tmp[16];

	if (WIFEXITED(st)) {
		tr_put(b, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		const char *n = tr_signame(WTERMSIG(st), tmp, sizeof(tmp));
		tr_put(b, "[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]", n ? n : "?",
		       WCOREDUMP(st) ? " && WCOREDUMP(s)" : "");
	} else if (WIFSTOPPED(st)) {
		const char *n = tr_signame(WSTOPSIG(st), tmp, sizeof(tmp));
		tr_put(b, "[{WIFSTOPPED(s) && WSTOPSIG(s) == %s}]", n ? n : "?");
	} else if (WIFCONTINUED(st)) {
		tr_puts(b, "[{WIFCONTINUED(s)}]");
	} else {
		tr_put(b, "[%#x]", st);
	}
}

void tr_print_open_flags(struct tr_buf *b, const struct tr_fmt *f, long v)
{
	unsigned long rest = (unsigned long)v & ~(unsigned long)O_ACCMODE;
	const char *acc = (v & O_ACCMODE) == O_RDWR ? "O_RDWR" :
			  (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY" :
			  (v & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "O_ACCMODE";

	if (f->xstyle == TR_X_RAW || f->json) {
		tr_put(b, f->json ? "%lu" : "%#lx", (unsigned long)v);
		return;
	}
	if (f->xstyle == TR_X_VERBOSE)
		tr_put(b, "%#lo /* ", (unsigned long)v);
	tr_puts(b, acc);
	if (rest != 0) {
		struct tr_fmt plain = *f;
		plain.xstyle = TR_X_ABBREV;
		tr_putc(b, '|');
		tr_print_flags(b, &plain, rest, tr_open_flags, NULL);
	}
	if (f->xstyle == TR_X_VERBOSE)
		tr_puts(b, " */");
}

/* the kernel's codes for a call a signal interrupted (its <linux/errno.h>):
 * a program never gets them, a tracer sees them at the call's exit */
static const char *const kernel_codes[][2] = {
	{ "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ "ERESTARTNOINTR", "To be restarted" },
	{ "ERESTARTNOHAND", "To be restarted if no handler" },
	{ "ENOIOCTLCMD", "No ioctl command" },
	{ "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

/* kernel_code -- err's row there (name, description), or NULL */
static const char *const *kernel_code(long err)
{
	if (err >= 512 && err < 512 + (long)(sizeof(kernel_codes) / sizeof(kernel_codes[0])))
		return kernel_codes[err - 512];
	return NULL;
}

const char *tr_errno_name(long err)
{
	const char *const *k = kernel_code(err);

	return k != NULL ? k[0] : strerrorname_np((int)err);
}

void tr_put_errno(struct tr_buf *b, long err)
{
	const char *const *k = kernel_code(err);
	const char *n = strerrorname_np((int)err);

	if (k != NULL)
		tr_put(b, "? %s (%s)", k[0], k[1]);
	else if (n != NULL)
		tr_put(b, "-1 %s (%s)", n, strerror((int)err));
	else
		tr_put(b, "-1 E%ld (Unknown error %ld)", err, err);
}

void tr_pad(struct tr_buf *b, const struct tr_fmt *f, size_t line_start)
{
	size_t col = b->len - line_start;

	if (!f->align)
		return;

	while (col < 39 && b->len + 1 < b->cap) {
		b->p[b->len++] = ' ';
		col++;
	}
	b->p[b->len] = '\0';
}
