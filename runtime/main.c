/* main.c -- libzpoline.so's constructor and the order of start-up.
 *
 * Environment (set by `zpoline run`, or by hand):
 *   ZPOLINE_HOOK       hook library path(s), colon-separated, called in
 *                      order; default: the tracer next to this library
 *   ZPOLINE_HOOK_OPTS  options string handed to the hooks' init
 *   ZPOLINE_EXCLUDE    colon-separated globs of objects not to rewrite
 *   ZPOLINE_TRACE_FD   descriptor (inherited) where hooks report
 *   ZPOLINE_VERBOSE    1: print what was rewritten, per object
 *   ZPOLINE_MODE       fast: `call *%rax` into page 0; trap: every site is
 *                      ud2, finished in a SIGILL handler (slow, but page 0
 *                      stays unmapped, as programs that rely on a fault
 *                      there need); auto (default): trap for JVMs
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "zp.h"

void zp_msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	memcpy(buf, "zpoline: ", 9);
	va_start(ap, fmt);
	n = vsnprintf(buf + 9, sizeof(buf) - 10, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = 9 + (n < (int)sizeof(buf) - 10 ? n : (int)sizeof(buf) - 11);
	buf[n++] = '\n';
	zp_raw_syscall(SYS_write, zp_trace_fd, (long)buf, n, 0, 0, 0);
}

void zp_fatal(int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	zp_msg("%s", buf);
	zp_raw_syscall(SYS_exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

/* setup_trace_fd -- a descriptor for reports that the program does not
 * know about: inherited from the tool (or a parent process), or a copy of
 * stderr made now and handed down through the environment */
static void setup_trace_fd(void)
{
	const char *s = getenv("ZPOLINE_TRACE_FD");
	struct rlimit rl;
	char num[16];

	if (s != NULL) {
		char *end;
		long fd = strtol(s, &end, 10);
		if (*end == '\0' && fd >= 0 && fd < INT_MAX && fcntl((int)fd, F_GETFD) >= 0) {
			zp_trace_fd = (int)fd;
			return;
		}
	}
	int floor = 100;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 200 && rl.rlim_cur != RLIM_INFINITY)
		floor = (int)(rl.rlim_cur - 64);
	int fd = fcntl(2, F_DUPFD, floor);
	if (fd < 0)
		return;
	zp_trace_fd = fd;
	snprintf(num, sizeof(num), "%d", fd);
	setenv("ZPOLINE_TRACE_FD", num, 1);
}

/* default_hook -- the tracer beside this library: hooks/ in the same
 * directory (installed), or ../hooks (the build tree) */
static const char *default_hook(char *buf, size_t len)
{
	static const char *const rel[] = { "/hooks/tracer.so", "/../hooks/tracer.so" };
	Dl_info self;

	if (dladdr((void *)default_hook, &self) == 0 || self.dli_fname == NULL)
		return NULL;
	const char *slash = strrchr(self.dli_fname, '/');
	if (slash == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%.*s%s", (int)(slash - self.dli_fname), self.dli_fname, rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

/* pick_trap_mode -- a JVM's null checks are loads from near address 0 that
 * must fault; with the trampoline there they read its bytes instead. x86
 * cannot map page 0 executable but unreadable without PKU. */
static bool pick_trap_mode(void)
{
	const char *m = getenv("ZPOLINE_MODE");

	if (m == NULL || *m == '\0' || strcmp(m, "auto") == 0)
		return zp_loaded_object_matches("libjvm.so:libjli.so");
	if (strcmp(m, "trap") == 0)
		return true;
	if (strcmp(m, "fast") != 0)
		zp_fatal(125, "ZPOLINE_MODE=%s: expected fast, trap or auto", m);
	return false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor(101))) static void zp_start(void)
{
	static const struct {
		void (*entry)(void);
	} entries[] = {
		[ZP_SAVE_GPR] = { zp_entry_gpr },
		[ZP_SAVE_XSAVEC] = { zp_entry_xsavec },
		[ZP_SAVE_XSAVE] = { zp_entry_xsave },
	};
	char hookbuf[4096];
	const char *hook = getenv("ZPOLINE_HOOK");
	const char *verbose = getenv("ZPOLINE_VERBOSE");
	bool loud = verbose != NULL && *verbose != '\0' && strcmp(verbose, "0") != 0;
	uint64_t t0 = now_ns();
	int r;

	setup_trace_fd();
	if (hook == NULL || *hook == '\0') {
		hook = default_hook(hookbuf, sizeof(hookbuf));
		if (hook == NULL)
			zp_fatal(125, "no hook given (ZPOLINE_HOOK) and no tracer.so beside libzpoline.so");
	}
	enum zp_save_mode mode = zp_pick_save_mode(zp_hooks_gpr_only(hook));
	bool traps = pick_trap_mode();

	/* The objects loaded now are the program's; the hooks then go into
	 * namespaces of their own, loaded by code not yet rewritten. */
	r = zp_patch_collect(getenv("ZPOLINE_EXCLUDE"));
	if (r < 0)
		zp_fatal(125, "cannot list the loaded objects: %s", strerror(-r));
	zp_hooks_load(hook);

	if (!traps) {
		r = zp_trampoline_map(entries[mode].entry);
		if (r < 0)
			zp_fatal(125, "cannot map the trampoline at address 0 (%s): run `sysctl -w "
				 "vm.mmap_min_addr=0` as root, or use ZPOLINE_MODE=trap",
				 strerror(-r));
	}
	r = zp_signals_install();
	if (r < 0)
		zp_fatal(125, "cannot install signal handlers: %s", strerror(-r));
	r = zp_patch_all(loud, traps);
	if (r < 0)
		zp_fatal(125, "cannot rewrite system calls: %s", strerror(-r));
	zp_hooks_init(getenv("ZPOLINE_HOOK_OPTS"));
	if (loud)
		zp_msg("start-up took %.3f ms (%s mode, %s)", (double)(now_ns() - t0) / 1e6,
		       traps ? "trap" : "fast",
		       mode == ZP_SAVE_GPR ? "general registers only" : mode == ZP_SAVE_XSAVEC ? "xsavec" : "xsave");
}
