/* scan-helper.c -- zpoline-scan, the scanner as a program of its own.
 *
 * The scanner needs Zydis and libdw, which cost every process that loads
 * them about a millisecond and most of a megabyte. The runtime and the
 * zpoline command do not link them. On a cache miss the runtime loads the
 * scanner as a module into a link namespace of its own (scan-module.c);
 * it runs this helper in a child process instead where that module cannot
 * be loaded, and alone for a library loaded after start-up (scanner.c says
 * why). `zpoline stats --static` runs it for the report. Not a user
 * command (it lives beside libzpoline.so, not on PATH):
 *
 *   zpoline-scan store DIR KEY PATH [KEY PATH]...
 *       scan each file (PATH "[vdso]": this process's own vDSO, the same
 *       for every process on this kernel) and store its sites in the cache
 *       directory DIR under KEY (a struct zp_cache_key in hex), if the file
 *       still matches KEY before and after the scan. Silent; exit 0 when
 *       every entry was stored, 1 otherwise.
 *   zpoline-scan report [--json] [--exclude GLOBS] [--output FILE] [--] FILE...
 *       the static report of `zpoline stats --static`.
 *   zpoline-scan verify -- DIR
 *       `zpoline cache --verify` (scan-verify.c).
 *   zpoline-scan versions
 *       the decoder's and elfutils' versions, for `zpoline check`. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scan-module.h"
#include "scan-verify.h"

#define EXIT_SETUP 125

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("zpoline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SETUP);
}

static bool unhex(const char *s, void *out, size_t len)
{
	unsigned char *b = out;

	if (strlen(s) != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		b[i] = (unsigned char)v;
	}
	return true;
}

/* Progress: a cold scan of a large program (rustc's driver, node) takes
 * a second or more. On a terminal, once a scan has run for PROGRESS_AFTER_MS,
 * one line names the object being scanned, its size and how much of the
 * batch's bytes are done, updated in place and cleared at the end. Nothing
 * when stderr is not a terminal or the scan is short. */
#define PROGRESS_AFTER_MS 300

struct progress {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished, shown;
	const char *name;       /* being scanned */
	uint64_t size;          /* its size */
	uint64_t done, total;   /* bytes of the batch */
};

static void *show_progress(void *arg)
{
	struct progress *p = arg;
	struct timespec t;
	char line[512];
	bool waited = false;

	pthread_mutex_lock(&p->lock);
	while (!p->finished) {
		clock_gettime(CLOCK_REALTIME, &t);
		long ms = waited ? 200 : PROGRESS_AFTER_MS;
		t.tv_nsec += ms * 1000000;
		t.tv_sec += t.tv_nsec / 1000000000;
		t.tv_nsec %= 1000000000;
		if (pthread_cond_timedwait(&p->cond, &p->lock, &t) != ETIMEDOUT || p->finished)
			continue;
		waited = true;
		const char *base = strrchr(p->name, '/');
		int n = snprintf(line, sizeof(line), "\r\033[Kzpoline: scanning %s (%.1f MB), %d%%",
				 base != NULL ? base + 1 : p->name, (double)p->size / 1e6,
				 p->total ? (int)(100 * p->done / p->total) : 0);
		if (n > 0 && write(2, line, (size_t)n) == n)
			p->shown = true;
	}
	if (p->shown && write(2, "\r\033[K", 4) != 4)
		p->shown = false;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int cmd_store(int argc, char **argv)
{
	int failed = 0;
	struct progress pr = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, "", 0, 0, 0 };
	pthread_t th;
	bool tty = isatty(2);

	if (argc < 3 || argc % 2 != 1)
		die("usage: zpoline-scan store DIR KEY PATH [KEY PATH]...");
	/* the directory is checked again here: the helper trusts no path */
	int dirfd = zp_cache_open_path(argv[0]);
	if (dirfd < 0)
		die("cannot use the cache directory %s: %s", argv[0], strerror(-dirfd));
	for (int i = 2; tty && i < argc; i += 2) {
		struct stat st;
		if (stat(argv[i], &st) == 0)
			pr.total += (uint64_t)st.st_size;
	}
	if (tty && pthread_create(&th, NULL, show_progress, &pr) != 0)
		tty = false;
	for (int i = 1; i + 1 < argc; i += 2) {
		struct zp_cache_key key;
		struct stat st;
		uint64_t size = stat(argv[i + 1], &st) == 0 ? (uint64_t)st.st_size : 0;
		pthread_mutex_lock(&pr.lock);
		pr.name = argv[i + 1];
		pr.size = size;
		pthread_mutex_unlock(&pr.lock);
		if (!unhex(argv[i], &key, sizeof(key)) || !zp_store_one(dirfd, &key, argv[i + 1]))
			failed = 1;
		pthread_mutex_lock(&pr.lock);
		pr.done += size;
		pthread_mutex_unlock(&pr.lock);
	}
	if (tty) {
		pthread_mutex_lock(&pr.lock);
		pr.finished = true;
		pthread_cond_signal(&pr.cond);
		pthread_mutex_unlock(&pr.lock);
		pthread_join(th, NULL);
	}
	close(dirfd);
	return failed;
}

/* scan_file -- one row of the static report, as the runtime would count */
static void scan_file(const char *path, const char *exclude, struct zp_objstat *st)
{
	struct zp_scan scan = { 0 };
	struct zp_elf *e;
	const char *why;
	uint64_t t0 = zp_now_ns();
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "%s", path);
	/* a FIFO or a device would block the read, or never end */
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		die("%s: not a regular file; give an ELF file", path);
	r = zp_elf_open_file(path, &e);
	if (r < 0)
		die("%s: %s", path, r == -ENOEXEC ? "not an ELF file" : strerror(-r));
	if (zp_elf_check(e, false, &why) < 0)
		die("%s: %s; zpoline handles x86-64 objects only", path, why);
	r = zp_scan_object(e, &scan);
	zp_elf_close(e);
	if (r < 0)
		die("cannot scan %s: %s", path, strerror(-r));
	zp_objstat_from_scan(st, &scan);
	if (exclude[0] != '\0' && zp_path_matches(exclude, path)) {
		st->excluded = st->called + st->trapped;
		st->called = st->trapped = 0;
	}
	st->ns = zp_now_ns() - t0;
	zp_scan_free(&scan);
}

static int cmd_report(int argc, char **argv)
{
	bool json = false;
	const char *exclude = "", *output = NULL;
	int i = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--exclude") == 0 && i + 1 < argc)
			exclude = argv[++i];
		else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			output = argv[++i];
		else
			die("zpoline-scan report: unknown option %s", argv[i]);
	}
	int n = argc - i;
	struct zp_objstat *rows = calloc(n > 0 ? (size_t)n : 1, sizeof(*rows));
	if (rows == NULL)
		die("out of memory");
	for (int k = 0; k < n; k++)
		scan_file(argv[i + k], exclude, &rows[k]);
	char *text = zp_report(rows, (size_t)n, json, "static", "fast", -1);
	FILE *out = stdout;
	if (output != NULL && (out = fopen(output, "we")) == NULL)
		die("cannot open %s: %s", output, strerror(errno));
	if (text == NULL)
		die("out of memory");
	fputs(text, out);
	if (fclose(out) != 0)
		die("cannot write the report: %s", strerror(errno));
	free(text);
	free(rows);
	return 0;
}

int main(int argc, char **argv)
{
	char buf[64];

	if (argc >= 2 && strcmp(argv[1], "store") == 0)
		return cmd_store(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "verify") == 0 && strcmp(argv[2], "--") == 0)
		return zp_verify_cache(argv[3]);
	if (argc == 2 && strcmp(argv[1], "versions") == 0) {
		printf("Zydis %s, elfutils %s\n", zp_disasm_version(buf, sizeof(buf)), zp_libelf_version());
		return 0;
	}
	die("zpoline-scan is zpoline's internal scanner: use `zpoline stats --static`");
}
