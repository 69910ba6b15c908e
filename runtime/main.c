/* main.c -- libzpoline.so's constructor and the order of start-up.
 *
 * Environment (set by `zpoline run`, or by hand):
 *   ZPOLINE_HOOK       hook library path(s), colon-separated, called in
 *                      order; default: the tracer next to this library
 *   ZPOLINE_HOOK_OPTS  the hooks' option strings, in hook order, separated
 *                      by 0x1f
 *   ZPOLINE_SHARED_FD  descriptor (inherited) of the memory hooks share
 *                      across the processes of a run
 *   ZPOLINE_EXCLUDE    colon-separated globs of objects not to rewrite
 *   ZPOLINE_TRACE_FD   descriptor (inherited) where hooks report
 *   ZPOLINE_FOLLOW     0: do not follow children made by fork or clone
 *   ZPOLINE_CATCH_LATE 1: arm Syscall User Dispatch, so that system calls
 *                      from code never rewritten (JIT pages) reach the hooks
 *   ZPOLINE_VERBOSE    1: report what was rewritten (a table on the trace fd)
 *   ZPOLINE_STATS      table or json: that report, by the first process of
 *                      the run only, to ZPOLINE_STATS_FD (default: the
 *                      trace fd); ZPOLINE_STATS_EXIT=1 then ends the process
 *   ZPOLINE_MODE       fast: `call *%rax` into page 0; trap: every site is
 *                      ud2, finished in a SIGILL handler (slow, but page 0
 *                      stays unmapped, as programs that rely on a fault
 *                      there need); auto (default): trap for JVMs
 *
 * This file only orders start-up; what each step does is in the file
 * named beside it. No other file calls into this one.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "page0.h"
#include "runtime.h"

/* whether the start-up is timed (zp_time) */
bool zp_timing;
uint64_t zp_phase_start, zp_phase_end[ZP_NPHASES];

/* file_env -- getenv for a variable that names a file or a descriptor. In
 * a secure-execution process (set-user-ID or set-group-ID, file
 * capabilities: AT_SECURE) the environment is a less privileged user's:
 * there, as ld.so drops LD_PRELOAD, every such variable is dropped, so
 * neither this file, the cache, the hooks nor the children see one */
static const char *file_env(const char *name)
{
	static const char *const names[] = {
		ZP_ENV_HOOK, ZP_ENV_HOOK_OPTS, ZP_ENV_TRACE_FD, ZP_ENV_SHARED_FD,
		ZP_ENV_STATS_FD, ZP_ENV_CACHE_DIR,
	};

	if (getauxval(AT_SECURE) == 0)
		return getenv(name);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
	return NULL;
}

/* is_shared_memfd -- is fd the memory `zpoline run` (or a runtime) made
 * for the hooks: a memfd of ZP_SHARED_SIZE bytes, sealed against any
 * change of size and of seals? A descriptor number from the environment
 * may name anything, a user's file included, and this one gets mapped
 * shared and writable. Only a memfd made with MFD_ALLOW_SEALING can
 * carry these seals (other files report F_SEAL_SEAL alone, or fail). */
#define ZP_SHARED_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
static bool is_shared_memfd(int fd)
{
	struct stat st;

	return fcntl(fd, F_GET_SEALS) == ZP_SHARED_SEALS && fstat(fd, &st) == 0 &&
	       S_ISREG(st.st_mode) && st.st_size == ZP_SHARED_SIZE;
}

/* setup_shared -- the memory the hooks share across the run: inherited
 * from the tool (or a parent), or made now and handed down (children.c)
 * when a hook may use it (make). An inherited descriptor is taken even
 * when none does (but not mapped): it is the runtime's, not the program's,
 * and children get it. */
static void setup_shared(bool make)
{
	const char *s = file_env(ZP_ENV_SHARED_FD);
	int fd = -1;

	if (s != NULL) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end == '\0' && v >= 0 && v < INT_MAX && is_shared_memfd((int)v))
			fd = (int)v;
	}
	if (!make) {
		/* inherited, kept for the children: no hook here maps it */
		zp_shared_fd = fd;
		return;
	}
	if (fd < 0) {
		int m = memfd_create("zpoline-shared", MFD_ALLOW_SEALING);
		/* mode 0: not to be opened again through /proc/self/fd */
		if (m < 0 || ftruncate(m, ZP_SHARED_SIZE) != 0 || fchmod(m, 0) != 0 ||
		    fcntl(m, F_ADD_SEALS, ZP_SHARED_SEALS) != 0)
			return;
		fd = zp_high_fd(m);
		close(m);
		if (fd < 0)
			return;
		zp_children_own_fd(ZP_ENV_SHARED_FD, fd);
	}
	void *p = mmap(NULL, ZP_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	zp_shared = p;
	zp_shared_fd = fd;
}

/* default_hook -- the tracer beside this library: hooks/ in the same
 * directory (installed), or ../hooks (the build tree); on the heap, as
 * every path of start-up: a PATH_MAX buffer on the stack would run the
 * rest of start-up a page deeper */
static const char *default_hook(void)
{
	static const char *const rel[] = { "/hooks/tracer.so", "/../hooks/tracer.so" };
	Dl_info self;
	char *buf;

	if (dladdr((void *)default_hook, &self) == 0 || self.dli_fname == NULL)
		return NULL;
	const char *slash = strrchr(self.dli_fname, '/');
	if (slash == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (asprintf(&buf, "%.*s%s", (int)(slash - self.dli_fname), self.dli_fname, rel[i]) < 0)
			return NULL;
		if (access(buf, R_OK) == 0)
			return buf;
		free(buf);
	}
	return NULL;
}

/* pick_mode -- ZPOLINE_MODE, or for auto: fast, except that a JVM's null
 * checks are loads from near address 0 that must fault; with the
 * trampoline there they read its bytes instead, unless page 0 can be
 * execute only (protection keys: zp_pkeys, checked again once mapped). */
static bool auto_mode(void)
{
	const char *m = getenv(ZP_ENV_MODE);

	return m == NULL || *m == '\0' || strcmp(m, "auto") == 0;
}

static enum zp_mode pick_mode(void)
{
	const char *m = getenv(ZP_ENV_MODE);

	/* a JVM needs page 0 unmapped: Syscall User Dispatch then, which
	 * costs a signal a call but no scan (trap mode, where the kernel lacks
	 * it, costs an invalid-opcode exception too: far more in a VM) */
	if (auto_mode())
		return zp_loaded_object_matches(ZP_NULL_PAGE_RUNTIMES) && !zp_pkeys() ? ZP_MODE_SUD : ZP_MODE_FAST;
	if (strcmp(m, "trap") == 0)
		return ZP_MODE_TRAP;
	if (strcmp(m, "sud") == 0)
		return ZP_MODE_SUD;
	if (strcmp(m, "fast") != 0)
		zp_fatal(125, "ZPOLINE_MODE=%s: expected fast, trap, sud or auto", m);
	return ZP_MODE_FAST;
}

/* is_scan_helper -- is this process zpoline-scan, beside this library?
 * Under a system-wide preload (/etc/ld.so.preload) the helper gets the
 * runtime too; hooked, it would miss in the cache for its own objects and
 * start itself again, without end. */
static bool is_scan_helper(void)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	const char *base = fn != NULL ? strrchr(fn, '/') : NULL;
	char *path;
	struct stat a, b;
	Dl_info self;

	base = base != NULL ? base + 1 : fn;
	if (base == NULL || strcmp(base, "zpoline-scan") != 0)
		return false;
	if (dladdr((void *)is_scan_helper, &self) == 0 || self.dli_fname == NULL ||
	    strrchr(self.dli_fname, '/') == NULL)
		return false;
	if (asprintf(&path, "%.*s/zpoline-scan", (int)(strrchr(self.dli_fname, '/') - self.dli_fname),
		     self.dli_fname) < 0)
		return false;
	/* the same file: another program of that name is hooked as any */
	bool same = stat(path, &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino;
	free(path);
	return same;
}

/* verbose_asked -- ZPOLINE_VERBOSE set, not to 0 */
static bool verbose_asked(void)
{
	const char *v = getenv(ZP_ENV_VERBOSE);

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static void start(void)
{
	static const struct {
		void (*entry)(void);
	} entries[] = {
		[ZP_SAVE_GPR] = { zp_entry_gpr },
		[ZP_SAVE_XSAVEC] = { zp_entry_xsavec },
		[ZP_SAVE_XSAVE] = { zp_entry_xsave },
		[ZP_SAVE_ZMM] = { zp_entry_zmm },
	};
	/* first: under AT_SECURE this drops every variable naming a file */
	const char *hook = file_env(ZP_ENV_HOOK);
	bool loud = verbose_asked();
	int r;

	if (is_scan_helper())
		return;
	/* what children need of the dynamic loader's file comes from keying
	 * the loaded objects */
	zp_object_keyed = zp_children_note_file;
	bool trace_given = zp_trace_setup(file_env(ZP_ENV_TRACE_FD));
	if (hook == NULL || *hook == '\0') {
		hook = default_hook();
		if (hook == NULL)
			zp_fatal(125, "no hook given (ZPOLINE_HOOK) and no tracer.so beside libzpoline.so");
	}
	enum zp_mode how = pick_mode();

	/* The objects loaded now are the program's; the hooks then go into
	 * namespaces of their own, loaded by code not yet rewritten. */
	const char *stats = getenv(ZP_ENV_STATS);
	if (stats != NULL && strcmp(stats, "table") != 0 && strcmp(stats, "json") != 0)
		stats = NULL;
	if (stats == NULL && loud)
		stats = "table";
	if (stats != NULL && !zp_is_root_process())
		stats = NULL;
	r = zp_objects_collect(getenv(ZP_ENV_EXCLUDE), stats != NULL);
	if (r < 0)
		zp_fatal(125, "cannot list the loaded objects: %s", strerror(-r));
	zp_phase_done(ZP_PHASE_OBJECTS);
	zp_hooks_load(hook);
	/* a descriptor for reports, unless every hook is quiet and no
	 * statistics are asked for: then none (copying stderr to a high
	 * number grows the descriptor table, some microseconds a start, and
	 * each fork copies it). The statistics' end is written at exit, when
	 * the program's stderr may be another file: they need their copy */
	if (!trace_given && (stats != NULL || !(zp_hooks_flags() & ZPOLINE_HOOK_QUIET)) && zp_trace_own_stderr())
		zp_children_own_fd(ZP_ENV_TRACE_FD, zp_trace_fd);
	zp_phase_done(ZP_PHASE_HOOKS);
	/* its init is what hands it to the hooks */
	setup_shared(zp_hooks_want_shared());
	/* the registers to save: what the loaded hooks declare */
	enum zp_save_mode mode = zp_pick_save_mode(zp_hooks_flags());

	const char *late = getenv(ZP_ENV_CATCH_LATE);
	bool asked = late != NULL && strcmp(late, "1") == 0;
	/* a hook that enforces a policy gets the net whatever was asked: a
	 * site a stale or altered cache entry left out is still caught */
	bool catch_late = asked || zp_hooks_enforce();
	if (how == ZP_MODE_FAST && (r = zp_trampoline_map(entries[mode].entry)) < 0) {
		zp_msg("cannot map page 0 (%s): hooking through Syscall User Dispatch, a signal "
		       "(microseconds) a call; `sysctl -w vm.mmap_min_addr=0` as root enables the fast mode",
		       strerror(-r));
		how = ZP_MODE_SUD;
	} else if (how == ZP_MODE_FAST && !zp_page0_xonly && auto_mode() &&
		   zp_loaded_object_matches(ZP_NULL_PAGE_RUNTIMES)) {
		/* keys there were, but page 0 came out readable */
		zp_trampoline_unmap();
		how = ZP_MODE_SUD;
	}
	if (how == ZP_MODE_SUD && (r = zp_sud_prepare()) < 0) {
		/* the same calls still reach the hooks, by traps */
		zp_msg("cannot use Syscall User Dispatch (%s; it needs Linux 5.11): hooking through "
		       "traps instead, a signal (microseconds) a call", strerror(-r));
		how = ZP_MODE_TRAP;
	} else if (how != ZP_MODE_SUD && catch_late && (r = zp_sud_prepare()) < 0) {
		if (asked)
			zp_fatal(125, "cannot arm Syscall User Dispatch (%s): it needs Linux 5.11 with "
				 "CONFIG_GENERIC_ENTRY; run without --catch-late", strerror(-r));
		/* an enforcing hook without the net: code the runtime did not
		 * rewrite would run past it */
		if (!zp_best_effort())
			zp_fatal(125, "the hook enforces a policy, and calls from code not rewritten would "
				 "escape it: cannot arm Syscall User Dispatch (%s; it needs Linux 5.11 with "
				 "CONFIG_GENERIC_ENTRY); --best-effort runs without it", strerror(-r));
	}
	/* the decoder for rewriting what the net catches: only when asked
	 * for (an enforcing hook's net is for what should not happen; the
	 * sites it catches stay caught, and no process carries the decoder) */
	if (how == ZP_MODE_FAST && zp_sud_on && asked)
		zp_lazy_enable();
	r = zp_signals_install();
	if (r < 0)
		zp_fatal(125, "cannot install signal handlers: %s", strerror(-r));
	zp_phase_done(ZP_PHASE_SETUP);
	if (how != ZP_MODE_SUD) {
		r = zp_patch_all(how == ZP_MODE_TRAP);
		if (r < 0)
			zp_fatal(125, "cannot rewrite system calls: %s", strerror(-r));
	}
	zp_hooks_init(getenv(ZP_ENV_HOOK_OPTS));
	/* from here the hooks are on: what the runtime still does through
	 * libc is not the program's to show them */
	zp_tls.guard = 1;
	zp_late_enable(getenv(ZP_ENV_EXCLUDE), how);
	/* this library's path, as collecting the objects found it (dladdr
	 * here cost tens of microseconds: the loader's lock, a walk of our
	 * symbols, libc's pages just replaced by its image) */
	if (zp_objs.self_path != NULL && zp_objs.self_path[0] == '/')
		zp_children_init(zp_objs.self_path);
	/* last: from here, code that was not rewritten traps */
	zp_sud_arm_thread();
	zp_phase_done(ZP_PHASE_INIT);
	if (stats != NULL)
		zp_stats_report(stats, file_env(ZP_ENV_STATS_FD), how, mode);
	zp_env_hide();
	zp_tls.guard = 0;
	zp_guard_down(&zp_tls);
}

/* The runtime is linked -z initfirst: the loader runs this before every
 * other initialiser, the program's libraries' and libc's own included, so
 * their calls are hooked too. libc has not set environ yet then; it is
 * the array the loader passes every initialiser, and libc's sets environ
 * to that same array right after (zp_env_hide edits it in place). */
__attribute__((constructor(101))) static void zp_start(int argc, char **argv, char **envp)
{
	extern char **environ;

	if (environ == NULL)
		environ = envp;
	/* the clock only for a report: its first read faults in the vDSO's
	 * data page, microseconds a start */
	zp_timing = verbose_asked() || getenv(ZP_ENV_STATS) != NULL;
	zp_phase_start = zp_time();
	/* before anything of ours runs: procenv.c reads the kernel's map
	 * from the stack and the break as exec left them */
	zp_procenv_hide(argc, argv);
	zp_phase_done(ZP_PHASE_ENVIRON);
	start();
}
