/* scan-helper.c -- zpoline-scan, the scanner as a program of its own.
 *
 * The scanner needs Zydis and libdw, which cost every process that loads
 * them about a millisecond and most of a megabyte. The runtime and the
 * zpoline command do not link them: on a cache miss the runtime runs this
 * helper in a child process and reads what it stored, and `zpoline stats
 * --static` runs it for the report. Not a user command (it lives beside
 * libzpoline.so, not on PATH):
 *
 *   zpoline-scan store DIR KEY PATH [KEY PATH]...
 *       scan each file (PATH "[vdso]": this process's own vDSO, the same
 *       for every process on this kernel) and store its sites in the cache
 *       directory DIR under KEY (a struct zp_cache_key in hex), if the file
 *       still matches KEY before and after the scan. Silent; exit 0 when
 *       every entry was stored, 1 otherwise.
 *   zpoline-scan report [--json] [--exclude GLOBS] [--output FILE] [--] FILE...
 *       the static report of `zpoline stats --static`.
 *   zpoline-scan versions
 *       the decoder's and elfutils' versions, for `zpoline check`. */
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zp.h"

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

static bool same_file(const char *path, const struct zp_cache_key *k)
{
	struct stat st;

	return stat(path, &st) == 0 && zp_cache_key_matches(&st, k);
}

/* vdso -- this process's vDSO image, and its size from its segments */
static const void *vdso(size_t *size)
{
	const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);

	if (eh == NULL)
		return NULL;
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	*size = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > *size)
			*size = ph[i].p_offset + ph[i].p_filesz;
	return eh;
}

static bool store_one(int dirfd, const struct zp_cache_key *key, const char *path)
{
	struct zp_scan scan = { 0 };
	struct zp_elf *e;
	const void *image = NULL;
	size_t size = 0;
	bool ok;

	if (strcmp(path, "[vdso]") == 0) {
		if ((image = vdso(&size)) == NULL || zp_elf_open_mem(image, size, &e) < 0)
			return false;
	} else if (!same_file(path, key) || zp_elf_open_file(path, &e) < 0) {
		return false;
	}
	uint64_t t0 = zp_now_ns();
	ok = zp_scan_object(e, false, 0, &scan) == 0;
	scan.ns = zp_now_ns() - t0;
	zp_elf_close(e);
	/* the bytes scanned must be the ones the key names */
	if (ok && image == NULL)
		ok = same_file(path, key);
	if (ok)
		ok = zp_cache_store(dirfd, key, path, &scan) == 0;
	zp_scan_free(&scan);
	return ok;
}

static int cmd_store(int argc, char **argv)
{
	int failed = 0;

	if (argc < 3 || argc % 2 != 1)
		die("usage: zpoline-scan store DIR KEY PATH [KEY PATH]...");
	/* the directory is checked again here: the helper trusts no path */
	int dirfd = zp_cache_open_path(argv[0]);
	if (dirfd < 0)
		die("cannot use the cache directory %s: %s", argv[0], strerror(-dirfd));
	for (int i = 1; i + 1 < argc; i += 2) {
		struct zp_cache_key key;
		if (!unhex(argv[i], &key, sizeof(key)) || !store_one(dirfd, &key, argv[i + 1]))
			failed = 1;
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
	r = zp_elf_open_file(path, &e);
	if (r < 0)
		die("%s: %s", path, r == -ENOEXEC ? "not an ELF file" : strerror(-r));
	if (zp_elf_check(e, false, &why) < 0)
		die("%s: %s; zpoline handles x86-64 objects only", path, why);
	r = zp_scan_object(e, false, 0, &scan);
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
	if (argc == 2 && strcmp(argv[1], "versions") == 0) {
		printf("Zydis %s, elfutils %s\n", zp_disasm_version(buf, sizeof(buf)), zp_libelf_version());
		return 0;
	}
	die("zpoline-scan is zpoline's internal scanner: use `zpoline stats --static`");
}
