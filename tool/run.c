/* run.c -- `zpoline run [OPTION...] [--] PROG [ARG...]`
 *
 * Everything that can be checked is checked before the program starts: the
 * hooks (read with libelf, not loaded), the program (found, executable,
 * dynamically linked, not setuid), and page 0. Then the configuration goes
 * into the environment and the program replaces this process, so its exit
 * status is ours. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tool.h"
#include "zp.h"
#include "zpoline/hook.h"

enum {
	OPT_HOOK = 'H', OPT_EXCLUDE = 'x', OPT_OUTPUT = 'o', OPT_VERBOSE = 'v',
	OPT_HOOK_OPT = 0x100, OPT_NO_FOLLOW, OPT_CATCH_LATE, OPT_MODE, OPT_BEST_EFFORT,
};

static const struct argp_option launch_options[] = {
	{ "hook", OPT_HOOK, "NAME|PATH", 0,
	  "Hook to run: a bundled one by name (tracer, null, counter, deny, audit), or a "
	  "hook .so by path (default: tracer for run, null for stats). "
	  "Repeat to chain hooks, called in the order given", 0 },
	{ "hook-opt", OPT_HOOK_OPT, "STRING", 0,
	  "Options for the hook named just before (see each hook's documentation)", 0 },
	{ "exclude", OPT_EXCLUDE, "GLOB", 0,
	  "Do not rewrite objects whose path or file name matches GLOB (repeatable)", 0 },
	{ "output", OPT_OUTPUT, "FILE", 0, "Write the hooks' output to FILE instead of stderr", 0 },
	{ "catch-late", OPT_CATCH_LATE, NULL, 0,
	  "Also hook system calls from code never rewritten (JIT pages), with Syscall User "
	  "Dispatch; costs every system call a little more", 0 },
	{ "mode", OPT_MODE, "MODE", 0,
	  "How calls reach the hooks: fast (rewritten to calls into page 0), trap (rewritten to "
	  "traps), sud (nothing rewritten, Syscall User Dispatch catches every call) or auto "
	  "(the default: fast, sud for JVMs)", 0 },
	{ "no-follow", OPT_NO_FOLLOW, NULL, 0,
	  "Do not hook the children the program makes with fork or clone (like strace without -f)", 0 },
	{ "best-effort", OPT_BEST_EFFORT, NULL, 0,
	  "Where no object can be scanned (the scanner helper cannot run), run the program with "
	  "those objects unhooked, saying so in one line, instead of refusing (exit status 125)", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static const struct argp_option run_options[] = {
	{ "verbose", OPT_VERBOSE, NULL, 0, "Report what was rewritten in each object", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static error_t parse_launch(int key, char *arg, struct argp_state *state)
{
	struct launch *r = state->input;
	size_t len;

	switch (key) {
	case OPT_HOOK:
		if (r->nhooks == ZP_MAX_HOOKS)
			argp_error(state, "at most %d hooks: glibc has room for %d link namespaces",
				   ZP_MAX_HOOKS, ZP_MAX_HOOKS + 1);
		r->hooks[r->nhooks++] = arg;
		return 0;
	case OPT_HOOK_OPT:
		if (r->nhooks == 0)
			argp_error(state, "--hook-opt applies to the --hook before it; give --hook first");
		if (r->opts[r->nhooks - 1] != NULL)
			argp_error(state, "hook '%s' has two --hook-opt; give its options in one string",
				   r->hooks[r->nhooks - 1]);
		if (strchr(arg, ZP_OPT_SEP) != NULL)
			argp_error(state, "--hook-opt may not contain the 0x1f character");
		r->opts[r->nhooks - 1] = arg;
		return 0;
	case OPT_EXCLUDE:
		/* (argp always gives one: said for the sanitizer build's gcc) */
		if (arg == NULL)
			return ARGP_ERR_UNKNOWN;
		len = strlen(r->exclude);
		if (strchr(arg, ':') != NULL)
			argp_error(state, "--exclude pattern '%s' contains ':'; give one pattern per option", arg);
		if (len + strlen(arg) + 2 > sizeof(r->exclude))
			argp_error(state, "too many --exclude patterns");
		snprintf(r->exclude + len, sizeof(r->exclude) - len, "%s%s", len ? ":" : "", arg);
		return 0;
	case OPT_OUTPUT:
		r->output = arg;
		return 0;
	case OPT_NO_FOLLOW:
		r->no_follow = true;
		return 0;
	case OPT_CATCH_LATE:
		r->catch_late = true;
		return 0;
	case OPT_BEST_EFFORT:
		r->best_effort = true;
		return 0;
	case OPT_MODE:
		if (strcmp(arg, "fast") != 0 && strcmp(arg, "trap") != 0 && strcmp(arg, "sud") != 0 &&
		    strcmp(arg, "auto") != 0)
			argp_error(state, "--mode %s: expected fast, trap, sud or auto", arg);
		r->mode = arg;
		return 0;
	case ARGP_KEY_ARG:
		r->prog = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no program given: %s [OPTION...] -- PROG [ARG...]", state->name);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* zp_check_hook -- a bundled name or a path, checked without loading it */
uint32_t zp_check_hook(const char *spec, char *out, size_t len)
{
	struct zp_hookinfo hi;
	const char *why;
	char names[512];
	int r;

	r = zp_resolve_hook(spec, out, len);
	if (r == -ESRCH)
		die(EXIT_SETUP, "no bundled hook '%s' (bundled: %s); give a path to use a hook file",
		    spec, zp_bundled_hooks(names, sizeof(names)));
	if (r < 0)
		die(EXIT_SETUP, "hook %s: %s", spec, strerror(-r));
	r = zp_hookinfo_read(out, &hi, &why);
	if (r == -ENOEXEC)
		die(EXIT_SETUP, "hook %s: %s; a hook must be an x86-64 ELF shared object", spec, why);
	if (r == -ESRCH)
		die(EXIT_SETUP, "hook %s: %s; see zpoline-hook(7)", spec, why);
	if (r < 0)
		die(EXIT_SETUP, "hook %s: %s", spec, why);
	if (hi.native && (hi.abi_version == 0 || hi.abi_version > ZPOLINE_ABI_VERSION))
		die(EXIT_SETUP, "hook %s was built for hook ABI %u; this zpoline has %u: rebuild it",
		    spec, hi.abi_version, ZPOLINE_ABI_VERSION);
	return hi.native ? hi.flags : 0;
}

/* not_hookable -- the program would run unhooked, for why: refuse, unless
 * the user accepted best effort (then say so once, and run it) */
static void not_hookable(bool best_effort, const char *prog, const char *why)
{
	if (!best_effort)
		die(EXIT_SETUP, "%s %s, so it cannot be hooked; give --best-effort to run it unhooked", prog, why);
	fprintf(stderr, "zpoline: %s %s; it runs unhooked (best effort)\n", prog, why);
}

/* own_interp -- dl_iterate_phdr's callback: the first object's (this
 * program's) PT_INTERP path into *data */
static int own_interp(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_INTERP)
			*(const char **)data = (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	return 1;
}

/* is_dynamic_loader -- is path the dynamic loader this tool runs under (run
 * as a command, `ld.so PROG`, it honours LD_PRELOAD for the program it
 * loads)? */
static bool is_dynamic_loader(const char *path)
{
	const char *interp = NULL;
	struct stat a, b;

	dl_iterate_phdr(own_interp, &interp);
	return interp != NULL && stat(path, &a) == 0 && stat(interp, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* check_injectable -- LD_PRELOAD works only for a dynamically linked
 * x86-64 program that the loader does not run in secure mode */
static void check_injectable(const char *prog, const char *path, int depth, bool best_effort)
{
	struct zp_elf *e;
	struct stat st;
	const char *why;
	char head[256];
	int fd;

	if (stat(path, &st) == 0 &&
	    (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
	     ((st.st_mode & S_ISGID) && st.st_gid != getgid())))
		return not_hookable(best_effort, prog, "is set-user-ID or set-group-ID: the dynamic loader "
				    "ignores LD_PRELOAD for it");
	if (getxattr(path, "security.capability", NULL, 0) > 0 && getuid() != 0)
		return not_hookable(best_effort, prog, "has file capabilities: the dynamic loader ignores "
				    "LD_PRELOAD for it");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;         /* execve will say why */
	ssize_t n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n > 2 && head[0] == '#' && head[1] == '!' && depth == 0) {
		/* a script: what runs is its interpreter */
		head[n] = '\0';
		char *interp = head + 2 + strspn(head + 2, " \t");
		interp[strcspn(interp, " \t\n")] = '\0';
		if (interp[0] == '/')
			check_injectable(prog, interp, 1, best_effort);
		return;
	}
	if (zp_elf_open_file(path, &e) < 0)
		return;
	if (zp_elf_check(e, false, &why) < 0) {
		zp_elf_close(e);
		die(EXIT_SETUP, "%s: %s; zpoline hooks x86-64 programs only", prog, why);
	}
	if (zp_elf_interp(e) == NULL && !is_dynamic_loader(path)) {
		zp_elf_close(e);
		return not_hookable(best_effort, prog, "is statically linked: LD_PRELOAD cannot load the "
				    "zpoline runtime into it");
	}
	zp_elf_close(e);
}

/* script_interp -- the interpreter a #! line names, into out */
static bool script_interp(const char *path, char *out, size_t len)
{
	char head[256];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 2 || head[0] != '#' || head[1] != '!')
		return false;
	head[n] = '\0';
	char *interp = head + 2 + strspn(head + 2, " \t");
	interp[strcspn(interp, " \t\n")] = '\0';
	return interp[0] == '/' && snprintf(out, len, "%s", interp) < (int)len;
}

/* check_preloads -- code the loader runs before the runtime's constructor
 * can rewrite anything: other LD_PRELOAD entries (their constructors and
 * IFUNC resolvers, and those of what they need) and LD_AUDIT modules. Run
 * unhooked, a library there can do anything a sandbox forbids, then exit
 * 0. The runtime refuses the same for the programs the program starts. */
static void check_preloads(const char *runtime, bool best_effort)
{
	const char *p = getenv("LD_PRELOAD"), *audit = getenv("LD_AUDIT");
	char what[PATH_MAX + 32] = "";

	while (p != NULL && *p != '\0' && what[0] == '\0') {
		size_t l = strcspn(p, " :");
		if (l > 0 && !(l == strlen(runtime) && strncmp(p, runtime, l) == 0))
			snprintf(what, sizeof(what), "LD_PRELOAD names %.*s", (int)(l < PATH_MAX ? l : PATH_MAX), p);
		p += l + (p[l] != '\0');
	}
	if (what[0] == '\0' && audit != NULL && audit[strspn(audit, " :")] != '\0')
		snprintf(what, sizeof(what), "LD_AUDIT names %.*s", PATH_MAX, audit);
	if (what[0] == '\0')
		return;
	if (!best_effort)
		die(EXIT_SETUP, "%s, whose code the dynamic loader runs before the zpoline runtime's, "
		    "unhooked: unset it, or give --best-effort", what);
	fprintf(stderr, "zpoline: %s, whose code the dynamic loader runs before the zpoline runtime's, "
		"unhooked (best effort)\n", what);
}

/* check_page0 -- without page 0 the runtime would say so in every
 * process: say it once here, and run in sud mode */
static void check_page0(void)
{
	char val[32];

	if (!zp_page0_mappable(val, sizeof(val))) {
		/* the fallback: nothing rewritten, Syscall User Dispatch
		 * catches every call (or, on kernels without it, traps) */
		fprintf(stderr, "zpoline: page 0 cannot be mapped (vm.mmap_min_addr = %s): hooking through "
			"Syscall User Dispatch, a signal (microseconds) per system call; `sysctl -w "
			"vm.mmap_min_addr=0` as root enables the fast mode\n", val);
		setenv(ZP_ENV_MODE, "sud", 1);
	}
}

/* check_writable -- an output that refuses every write (/dev/full, a
 * read-only device) would lose the whole trace: an empty write reaches the
 * driver and fails the same way, and changes nothing anywhere else */
static void check_writable(int fd, const char *path)
{
	if (write(fd, "", 0) < 0)
		die(EXIT_SETUP, "cannot write to %s: %s; give -o a file that can be written",
		    path, strerror(errno));
}

/* high_fd -- move fd out of the program's way, inheritable */
static int high_fd(int fd)
{
	int r = zp_high_fd(fd);

	if (r < 0)
		die(EXIT_SETUP, "cannot duplicate a descriptor: %s", strerror(-r));
	return r;
}

/* is_bundled -- is the hook file st the bundled hook name (the same
 * file, by whatever path --hook gave it)? */
static bool is_bundled(const char *name, const struct stat *st)
{
	char path[PATH_MAX];
	struct stat b;

	return zp_resolve_hook(name, path, sizeof(path)) == 0 && stat(path, &b) == 0 && b.st_dev == st->st_dev &&
	       b.st_ino == st->st_ino;
}

static void set(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		die(EXIT_SETUP, "cannot set %s: %s", name, strerror(errno));
}

/* runtime_var -- 1 for LD_PRELOAD naming the runtime alone, 2 for a
 * variable of the runtime's, 0 for the program's (LD_PRELOAD naming
 * another library too is the program's variable, which the runtime writes
 * without itself where it stands) */
static int runtime_var(const char *e)
{
	static const char *const names[] = { ZP_ENV_ALL };

	if (strncmp(e, "LD_PRELOAD=", 11) == 0) {
		/* the runtime first (the launcher's): any other entry names
		 * another library unless it is the runtime again */
		const char *p = e + 11;
		size_t n = strcspn(p, ": ");
		for (p += n; *p != '\0';) {
			p += strspn(p, ": ");
			size_t l = strcspn(p, ": ");
			if (l > 0 && !(l == n && strncmp(p, e + 11, n) == 0))
				return 0;
			p += l;
		}
		return 1;
	}
	for (size_t v = 0; v < sizeof(names) / sizeof(names[0]); v++)
		if (strncmp(e, names[v], strlen(names[v])) == 0 && e[strlen(names[v])] == '=')
			return 2;
	return 0;
}

/* runtime_vars_last -- LD_PRELOAD, then the runtime's variables, moved to
 * the end of the environment, the rest in order: exec lays the strings out
 * in this order, and the runtime then ends /proc/PID/environ before them
 * (runtime/procenv.c) */
static void runtime_vars_last(void)
{
	extern char **environ;
	size_t n = 0, k = 0, m = 0;

	while (environ[n] != NULL)
		n++;
	char **ours = calloc(n + 1, sizeof(*ours));
	if (ours == NULL)
		die(EXIT_SETUP, "out of memory");
	for (int kind = 1; kind <= 2; kind++)
		for (size_t i = 0; i < n; i++)
			if (runtime_var(environ[i]) == kind)
				ours[m++] = environ[i];
	for (size_t i = 0; i < n; i++)
		if (runtime_var(environ[i]) == 0)
			environ[k++] = environ[i];
	memcpy(environ + k, ours, m * sizeof(*ours));
	free(ours);
}

const struct argp zp_launch_argp = { launch_options, parse_launch, NULL, NULL, NULL, NULL,
				     NULL };

static error_t parse_run(int key, char *arg __attribute__((unused)), struct argp_state *state)
{
	struct launch *r = state->input;

	if (key == OPT_VERBOSE) {
		r->verbose = true;
		return 0;
	}
	if (key == ARGP_KEY_INIT)
		state->child_inputs[0] = r;
	return ARGP_ERR_UNKNOWN;
}

static const char doc_run[] =
	"Run PROG with every system call it makes passed through the hooks.\v"
	"Bundled hooks: tracer (the default; one strace-like line per call), null "
	"(passes everything through), counter (a table of calls, like strace -c), "
	"deny (injects failures), audit (a JSON log of security-relevant calls). "
	"Exit status: the program's; 2 for a bad command "
	"line; 125 when zpoline refuses or cannot hook the program; 126 / 127 when PROG "
	"cannot be executed / is not found. See zpoline(1).";

void zp_launch(struct launch *lp)
{
	struct launch r = *lp;
	char runtime[PATH_MAX], prog[PATH_MAX], num[32];
	char hooks[ZP_MAX_HOOKS * PATH_MAX / 4];
	size_t used = 0;
	bool shared = false;

	if (zp_find_runtime(runtime, sizeof(runtime)) < 0)
		die(EXIT_SETUP, "cannot find libzpoline.so beside %s or in %s: reinstall zpoline",
		    zp_tool_dir(), ZP_PKGLIBDIR);
	/* the loader splits LD_PRELOAD at spaces and colons: such a path
	 * would preload nothing, and the program would run unhooked */
	if (runtime[strcspn(runtime, " :")] != '\0')
		die(EXIT_SETUP, "the runtime's path %s contains a space or ':', which LD_PRELOAD "
		    "cannot hold: install zpoline (or move the build tree) under a path without them",
		    runtime);
	if (r.nhooks == 0)
		r.hooks[r.nhooks++] = r.default_hook;
	/* the bundled tracer and counter, whose lines and table the watcher
	 * knows */
	bool tracer[ZP_MAX_HOOKS] = { false }, counter[ZP_MAX_HOOKS] = { false };
	for (int i = 0; i < r.nhooks; i++) {
		char path[PATH_MAX];
		struct stat hst;
		if (!(zp_check_hook(r.hooks[i], path, sizeof(path)) & ZPOLINE_HOOK_NO_SHARED))
			shared = true;
		if (stat(path, &hst) == 0) {
			tracer[i] = is_bundled("tracer", &hst);
			counter[i] = is_bundled("counter", &hst);
		}
		if (strchr(path, ':') != NULL)
			die(EXIT_SETUP, "hook path %s contains ':', which ZPOLINE_HOOK uses as a separator", path);
		if (used + strlen(path) + 2 > sizeof(hooks))
			die(EXIT_USAGE, "hook paths too long");
		used += (size_t)snprintf(hooks + used, sizeof(hooks) - used, "%s%s", used ? ":" : "", path);
	}
	zp_find_prog(r.prog[0], prog, sizeof(prog));
	check_injectable(r.prog[0], prog, 0, r.best_effort);
	check_preloads(runtime, r.best_effort);
	unsetenv(ZP_ENV_CATCH_LATE);
	if (r.mode != NULL)
		set(ZP_ENV_MODE, r.mode);
	const char *mode = getenv(ZP_ENV_MODE);
	if (mode == NULL || (strcmp(mode, "sud") != 0 && strcmp(mode, "trap") != 0))
		check_page0();

	int fd;
	if (r.output != NULL) {
		int o = open(r.output, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
		if (o < 0)
			die(EXIT_SETUP, "cannot open %s: %s", r.output, strerror(errno));
		check_writable(o, r.output);
		fd = high_fd(o);
		close(o);
	} else {
		fd = high_fd(2);
	}
	snprintf(num, sizeof(num), "%d", fd);
	set(ZP_ENV_TRACE_FD, num);

	/* memory the hooks share across every process of the run: not made
	 * when every hook declares it uses none (null), so that the program
	 * holds one descriptor of ours fewer */
	int shared_fd = -1;
	if (shared) {
		/* sealed, so the runtime can tell it from any other descriptor a
		 * number in the environment might name (see runtime/main.c) */
		int m = memfd_create("zpoline-shared", MFD_ALLOW_SEALING);
		/* mode 0: a program that guesses its number cannot open it again
		 * through /proc/self/fd (but root) */
		if (m < 0 || ftruncate(m, ZP_SHARED_SIZE) != 0 || fchmod(m, 0) != 0 ||
		    fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
			die(EXIT_SETUP, "cannot create the hooks' shared memory: %s", strerror(errno));
		shared_fd = high_fd(m);
		snprintf(num, sizeof(num), "%d", shared_fd);
		close(m);
		set(ZP_ENV_SHARED_FD, num);
	}

	char opts[8192];
	size_t olen = 0;
	for (int i = 0; i < r.nhooks; i++) {
		/* the tracer shows one task's lines, as strace without -f */
		char *with;
		if (r.no_follow && tracer[i]) {
			if (asprintf(&with, "%s%snofollow", r.opts[i] ? r.opts[i] : "",
				     r.opts[i] && *r.opts[i] ? " " : "") < 0)
				die(EXIT_SETUP, "out of memory");
			r.opts[i] = with;
		}
		const char *o = r.opts[i] ? r.opts[i] : "";
		if (olen + strlen(o) + 2 > sizeof(opts))
			die(EXIT_USAGE, "hook options too long");
		olen += (size_t)snprintf(opts + olen, sizeof(opts) - olen, "%s%s", i ? ZP_OPT_SEP_STR : "", o);
	}
	if (olen > 0)
		set(ZP_ENV_HOOK_OPTS, opts);
	else
		unsetenv(ZP_ENV_HOOK_OPTS);

	const char *old = getenv("LD_PRELOAD");
	char *preload;
	if (asprintf(&preload, "%s%s%s", runtime, old && *old ? ":" : "", old && *old ? old : "") < 0)
		die(EXIT_SETUP, "out of memory");
	set("LD_PRELOAD", preload);
	set(ZP_ENV_HOOK, hooks);
	if (r.exclude[0] != '\0')
		set(ZP_ENV_EXCLUDE, r.exclude);
	else
		unsetenv(ZP_ENV_EXCLUDE);
	snprintf(num, sizeof(num), "%d", (int)getpid());
	set(ZP_ENV_ROOT_PID, num);
	if (r.verbose)
		set(ZP_ENV_VERBOSE, "1");
	if (r.catch_late)
		set(ZP_ENV_CATCH_LATE, "1");
	if (r.no_follow)
		set(ZP_ENV_FOLLOW, "0");
	else
		unsetenv(ZP_ENV_FOLLOW);
	if (r.best_effort)
		set(ZP_ENV_BEST_EFFORT, "1");
	else
		unsetenv(ZP_ENV_BEST_EFFORT);
	if (r.stats != NULL)
		set(ZP_ENV_STATS, r.stats);
	if (r.stats_exit)
		set(ZP_ENV_STATS_EXIT, "1");

	/* the cache filled now, so that the program scans nothing; not in
	 * sud mode, where nothing is rewritten, nor for `zpoline stats`,
	 * which reports what the runtime's own start costs */
	mode = getenv(ZP_ENV_MODE);
	if (r.prescan && (mode == NULL || strcmp(mode, "sud") != 0)) {
		char interp[PATH_MAX], abs[PATH_MAX + 2];
		const char *p = script_interp(prog, interp, sizeof(interp)) ? interp : prog;
		/* the entry names the program as the runtime does, by an
		 * absolute path (`./x` would be gone from any other directory
		 * to `zpoline cache`, which --prune then removes) */
		char cwd[PATH_MAX];
		if (p[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL &&
		    (size_t)snprintf(abs, sizeof(abs), "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
				     strncmp(p, "./", 2) == 0 ? p + 2 : p) < sizeof(abs))
			p = abs;
		zp_prescan(runtime, p, r.exclude);
	}

	/* the tracer's +++ line of a process killed by SIGKILL, the
	 * counter's table of a program killed by a signal (watch.c) */
	struct zp_watch watch = { .tracer = -1 };
	for (int i = 0; i < r.nhooks; i++) {
		if (watch.tracer < 0 && tracer[i]) {
			watch.tracer = i;
			watch.tracer_opts = r.opts[i] ? r.opts[i] : "";
		}
		if (counter[i]) {
			watch.counter[watch.ncounters] = i;
			watch.counter_opts[watch.ncounters++] = r.opts[i] ? r.opts[i] : "";
		}
	}
	if (shared_fd >= 0 && (watch.tracer >= 0 || watch.ncounters > 0))
		zp_watch_start(shared_fd, fd, &watch);
	runtime_vars_last();
	execv(prog, r.prog);
	if (errno == ENOEXEC) {
		/* like execvp: a file with no #! line is a shell script */
		int n = 0;
		while (r.prog[n] != NULL)
			n++;
		char **sh = calloc((size_t)n + 2, sizeof(*sh));
		if (sh != NULL) {
			sh[0] = "/bin/sh";
			sh[1] = prog;
			for (int i = 1; i < n; i++)
				sh[i + 1] = r.prog[i];
			execv("/bin/sh", sh);
		}
	}
	die(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "%s: %s", r.prog[0], strerror(errno));
}

int cmd_run(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &zp_launch_argp, 0, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	struct argp argp = { run_options, parse_run, "[--] PROG [ARG...]", doc_run, children, NULL,
			     NULL };
	struct launch r = { .default_hook = "tracer", .prescan = true };

	argv[0] = "zpoline run";
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &r);
	zp_launch(&r);
}
