/* check.c -- `zpoline check [--hook NAME|PATH] [--json]`: will `zpoline run`
 * work here, and if not, what to do. One line per item, ok / warn / FAIL,
 * then a summary; exit 0 when it will work, 1 when it will not. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contract.h"
#include "tool.h"
#include "zp.h"
#include "zpoline/hook.h"


enum status { OK, WARN, FAIL };

struct item {
	const char *name;
	enum status status;
	char detail[512];
	char fix[256];
};

#define MAX_ITEMS 16

struct check {
	struct item items[MAX_ITEMS];
	int n;
	const char *hook;
	bool json;
};

__attribute__((format(printf, 4, 5))) static struct item *add(struct check *c, const char *name,
							     enum status st, const char *fmt, ...)
{
	struct item *it = &c->items[c->n++];
	va_list ap;

	it->name = name;
	it->status = st;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	return it;
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* in_child -- run fn in a child process: its exit status (0 = worked) */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int arm_sud(void)
{
	static volatile char selector = 0;     /* 0: allow */
	return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &selector) == 0 ? 0 : 1;
}

static void check_page0(struct check *c)
{
	char val[64];
	bool ok = zp_page0_mappable(val, sizeof(val));

	if (ok && strcmp(val, "0") != 0) {
		/* root maps below vm.mmap_min_addr with CAP_SYS_RAWIO */
		struct item *it = add(c, "page 0", WARN, "vm.mmap_min_addr = %s: this user can map "
				      "address 0 (privileged), other users cannot", val);
		snprintf(it->fix, sizeof(it->fix), "sysctl -w vm.mmap_min_addr=0 (as root), for other users");
		return;
	}
	if (ok) {
		add(c, "page 0", OK, "vm.mmap_min_addr = %s; this user can map address 0", val);
		return;
	}
	struct item *it = add(c, "page 0", WARN, "vm.mmap_min_addr = %s; this user cannot map address 0: "
			      "zpoline run falls back to Syscall User Dispatch, a signal (microseconds) per system call",
			      val);
	snprintf(it->fix, sizeof(it->fix), "sysctl -w vm.mmap_min_addr=0 (as root; add "
		 "vm.mmap_min_addr=0 to /etc/sysctl.d/ to keep it)");
}

static void check_selinux(struct check *c)
{
	char enforce[16], low[64];

	if (access("/sys/fs/selinux", F_OK) != 0) {
		add(c, "SELinux", OK, "not present");
		return;
	}
	read_line("/sys/fs/selinux/enforce", enforce, sizeof(enforce));
	read_line("/sys/fs/selinux/booleans/mmap_low_allowed", low, sizeof(low));
	if (strcmp(enforce, "1") != 0 || low[0] == '1') {
		add(c, "SELinux", OK, "%s; mmap_low_allowed %s", strcmp(enforce, "1") == 0 ? "enforcing" : "permissive",
		    low[0] ? low : "not defined");
		return;
	}
	struct item *it = add(c, "SELinux", WARN, "enforcing, mmap_low_allowed is off: page 0 may be refused");
	snprintf(it->fix, sizeof(it->fix), "setsebool -P mmap_low_allowed 1 (as root)");
}

static void check_kernel(struct check *c)
{
	struct utsname u;

	if (uname(&u) != 0) {
		add(c, "kernel", WARN, "uname failed: %s", strerror(errno));
		return;
	}
	add(c, "kernel", strcmp(u.machine, "x86_64") == 0 ? OK : FAIL, "%s %s %s", u.sysname, u.release,
	    u.machine);
	int r = in_child(arm_sud);
	add(c, "syscall user dispatch", r == 0 ? OK : WARN, "%s",
	    r == 0 ? "available (PR_SET_SYSCALL_USER_DISPATCH)"
		   : "not available (needs Linux 5.11 and CONFIG_GENERIC_ENTRY); zpoline does not rely on it");
}

static void check_cpu(struct check *c)
{
	unsigned a, b, cx, d;
	bool xsave = false, xsavec = false, xsaveopt = false, avx = false, avx512 = false;
	bool pku = false, ospke = false;
	unsigned size = 0;

	if (__get_cpuid(1, &a, &b, &cx, &d)) {
		xsave = (cx & bit_OSXSAVE) != 0;
		avx = (cx & bit_AVX) != 0;
	}
	if (__get_cpuid_max(0, NULL) >= 7) {
		__cpuid_count(7, 0, a, b, cx, d);
		avx512 = (b & bit_AVX512F) != 0;
		pku = (cx & bit_PKU) != 0;
		ospke = (cx & bit_OSPKE) != 0;
	}
	if (xsave && __get_cpuid_max(0, NULL) >= 0xd) {
		__cpuid_count(0xd, 0, a, b, cx, d);
		size = b;
		__cpuid_count(0xd, 1, a, b, cx, d);
		xsaveopt = (a & 1) != 0;
		xsavec = (a & 2) != 0;
	}
	if (!xsave)
		add(c, "vector state", WARN, "no XSAVE: only hooks flagged general-registers-only can run");
	else
		add(c, "vector state", OK, "saved with %s (%u bytes at most)%s%s%s",
		    xsavec ? "XSAVEC" : "XSAVE", size, xsaveopt ? "; XSAVEOPT" : "", avx ? "; AVX" : "",
		    avx512 ? "; AVX-512" : "");
	if (pku && ospke)
		add(c, "protection keys", OK, "PKU available");
	else
		add(c, "protection keys", WARN, "no PKU: page 0 cannot be made execute-only, so loads "
		    "from it succeed; JVMs run in sud mode (slower)");
}

/* first_line -- run `prog arg` (no shell), its first line of output
 * (stdout and stderr) into buf: its exit status, -1 when it did not run
 * or exit */
static int first_line(const char *prog, const char *arg, char *buf, size_t len)
{
	int fds[2], status;
	pid_t pid;
	FILE *f;

	buf[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execl(prog, prog, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = pid > 0 ? fdopen(fds[0], "r") : NULL;
	if (f != NULL && fgets(buf, (int)len, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	/* the rest is read to its end, so the child never blocks writing */
	while (f != NULL && fgetc(f) != EOF)
		;
	if (f != NULL)
		fclose(f);
	else
		close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void check_runtime(struct check *c)
{
	char path[PATH_MAX];
	struct zp_elf *e;
	const char *why;

	if (zp_find_runtime(path, sizeof(path)) < 0) {
		struct item *it = add(c, "runtime", FAIL, "libzpoline.so not found beside %s or in %s",
				      zp_tool_dir(), ZP_PKGLIBDIR);
		snprintf(it->fix, sizeof(it->fix), "reinstall zpoline (meson install)");
		return;
	}
	if (zp_elf_open_file(path, &e) < 0 || zp_elf_check(e, true, &why) < 0) {
		add(c, "runtime", FAIL, "%s is not an x86-64 shared object", path);
		return;
	}
	zp_elf_close(e);
	/* every dependency resolves where the dynamic loader looks */
	struct zp_missing miss = { .name = "?" };
	char **objs;
	int deps = zp_list_objects(path, &objs, &miss);
	if (deps < 0) {
		struct item *it = add(c, "runtime", FAIL, "%s: dependency %s does not resolve", path, miss.name);
		snprintf(it->fix, sizeof(it->fix), "apt-get install libelf1 libdw1 libzydis4.0");
		return;
	}
	add(c, "runtime", OK, "%s (x86-64 shared object, %d dependencies resolve)", path, deps - 1);

	/* the scanner, run on a cache miss: it reports its libraries */
	char scanner[PATH_MAX], versions[128] = "";
	int st = -1;
	if (zp_find_scanner(scanner, sizeof(scanner)) == 0)
		st = first_line(scanner, "versions", versions, sizeof(versions));
	if (versions[0] == '\0' || st != 0 || strncmp(versions, "Zydis ", 6) != 0) {
		struct item *it = add(c, "scanner", FAIL, "zpoline-scan not found or does not run beside %s: %s",
				      path, versions[0] ? versions : "missing");
		snprintf(it->fix, sizeof(it->fix), "apt-get install libelf1 libdw1 libzydis4.0; reinstall zpoline");
		return;
	}
	add(c, "scanner", OK, "%s (%s)", scanner, versions);
}

/* check_cache -- where the cache is and how big: a warning when it cannot
 * be used (every start then scans again) */
static void check_cache(struct check *c)
{
	char dir[PATH_MAX] = "";
	struct zp_cache_item *v;
	size_t n;
	uint64_t total = 0;
	int fd = zp_cache_open(dir, sizeof(dir), false);

	if (fd == -ENOENT && dir[0] == '\0') {
		add(c, "cache", WARN, "off: objects are scanned at every start");
		return;
	}
	const char *base, *rest;
	char root[PATH_MAX];
	struct stat st;
	if (fd == -ENOENT && zp_cache_root(root, sizeof(root), &base, &rest) == 0 && stat(base, &st) != 0) {
		struct item *it = add(c, "cache", WARN, "%s does not exist, so no cache is kept there: objects are "
				      "scanned at every start", base);
		snprintf(it->fix, sizeof(it->fix), "set ZPOLINE_CACHE_DIR to a directory of yours");
		return;
	}
	if (fd == -ENOENT) {
		add(c, "cache", OK, "%s: empty (made at the first run), at most %.1f MiB", dir,
		    (double)zp_cache_max() / (1 << 20));
		return;
	}
	if (fd < 0 || zp_cache_list(fd, false, &v, &n) < 0) {
		struct item *it = add(c, "cache", WARN, "%s: cannot be used (%s): objects are scanned at every start",
				      dir, fd == -EPERM ? "not yours, or writable by others" : strerror(fd < 0 ? -fd : EIO));
		snprintf(it->fix, sizeof(it->fix), "remove it, or set ZPOLINE_CACHE_DIR to a directory of yours");
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < n; i++)
		total += v[i].bytes;
	free(v);
	close(fd);
	add(c, "cache", OK, "%s: %.1f MiB in %zu items, at most %.1f MiB (`zpoline cache` lists them)", dir,
	    (double)total / (1 << 20), n, (double)zp_cache_max() / (1 << 20));
}

static void check_hook(struct check *c)
{
	char path[PATH_MAX];
	struct zp_hookinfo hi;
	const char *why;

	int r = zp_resolve_hook(c->hook, path, sizeof(path));
	if (r < 0) {
		add(c, "hook", FAIL, "%s: %s", c->hook,
		    r == -ESRCH ? "no bundled hook of that name and no such file" : strerror(-r));
		return;
	}
	r = zp_hookinfo_read(path, &hi, &why);
	if (r < 0) {
		add(c, "hook", FAIL, "%s: %s", path, why);
		return;
	}
	if (hi.native && (hi.abi_version == 0 || hi.abi_version > ZPOLINE_ABI_VERSION)) {
		add(c, "hook", FAIL, "%s: built for hook ABI %u, this zpoline has %u", path, hi.abi_version,
		    ZPOLINE_ABI_VERSION);
		return;
	}
	if (hi.native)
		add(c, "hook", OK, "%s: zpoline_hook, ABI %u, %s%s", path, hi.abi_version,
		    hi.flags & ZPOLINE_HOOK_GPR_ONLY ? "general registers only"
		    : hi.flags & ZPOLINE_HOOK_NO_X87 ? "vector state saved (no x87: by moves where AVX-512)"
						     : "vector state saved",
		    hi.flags & ZPOLINE_HOOK_ENFORCES ? "; enforces a policy: runs with the safety net "
						       "(Syscall User Dispatch) armed" : "");
	else
		add(c, "hook", OK, "%s: __hook_init (original zpoline interface), vector state saved", path);
}

enum { OPT_HOOK = 'H', OPT_JSON = 0x300 };

static const struct argp_option check_options[] = {
	{ "hook", OPT_HOOK, "NAME|PATH", 0, "Also check this hook", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object instead of lines", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static error_t parse_check(int key, char *arg, struct argp_state *state)
{
	struct check *c = state->input;

	switch (key) {
	case OPT_HOOK:
		c->hook = arg;
		return 0;
	case OPT_JSON:
		c->json = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const char doc_check[] =
	"Check that this system can run programs under zpoline, and say what to do where it "
	"cannot.\vExit status: 0 when `zpoline run' will work, 1 when it will not, 2 for a bad "
	"command line. See zpoline(1).";

int cmd_check(int argc, char **argv)
{
	static const char *const word[] = { "ok", "warn", "FAIL" };
	struct argp argp = { check_options, parse_check, NULL, doc_check, NULL, NULL, NULL };
	struct check c = { .n = 0 };
	int fails = 0, warns = 0;

	argv[0] = "zpoline check";
	argp_parse(&argp, argc, argv, 0, NULL, &c);

	check_page0(&c);
	check_selinux(&c);
	check_kernel(&c);
	check_cpu(&c);
	check_runtime(&c);
	check_cache(&c);
	if (c.hook != NULL)
		check_hook(&c);
	for (int i = 0; i < c.n; i++) {
		fails += c.items[i].status == FAIL;
		warns += c.items[i].status == WARN;
	}
	if (c.json) {
		printf("{\"ok\": %s, \"failures\": %d, \"warnings\": %d, \"items\": [", fails ? "false" : "true",
		       fails, warns);
		for (int i = 0; i < c.n; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			zp_json_string(stdout, c.items[i].name);
			printf(", \"status\": \"%s\", \"detail\": ", word[c.items[i].status]);
			zp_json_string(stdout, c.items[i].detail);
			printf(", \"fix\": ");
			zp_json_string(stdout, c.items[i].fix);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (int i = 0; i < c.n; i++) {
			const struct item *it = &c.items[i];
			printf("%-4s  %-22s %s\n", word[it->status], it->name, it->detail);
			if (it->fix[0] != '\0')
				printf("      %-22s fix: %s\n", "", it->fix);
		}
		if (fails)
			printf("%d problem%s: zpoline run will not work until %s fixed\n", fails,
			       fails > 1 ? "s" : "", fails > 1 ? "they are" : "it is");
		else
			printf("zpoline run will work%s\n", warns ? " (see the warnings)" : "");
	}
	return fails ? 1 : 0;
}
