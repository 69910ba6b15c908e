/* main.c -- `zpoline COMMAND ...`: the root argp parser.
 *
 * argp has no subcommands: the root parser runs with ARGP_IN_ORDER, stops at
 * the first argument, and hands the rest of the command line to that
 * command's own argp parser. */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* glibc's argp reads these: they must be visible outside the executable */
__attribute__((visibility("default"))) const char *argp_program_version = "zpoline " ZP_VERSION;

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("zpoline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* zp_xstrdup -- strdup, or exit */
char *zp_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		die(EXIT_SETUP, "out of memory");
	return p;
}

const char *zp_tool_dir(void)
{
	static char dir[PATH_MAX];

	if (dir[0] == '\0') {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		if (n <= 0)
			die(EXIT_SETUP, "cannot find where the zpoline command is: %s", strerror(errno));
		dir[n] = '\0';
		*strrchr(dir, '/') = '\0';
	}
	return dir;
}

/* resolve -- the first readable candidate, made absolute */
static int resolve(char *buf, size_t len, const char *const *cand, size_t n)
{
	char tmp[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		if (access(cand[i], R_OK) == 0 && realpath(cand[i], tmp) != NULL &&
		    strlen(tmp) < len) {
			strcpy(buf, tmp);
			return 0;
		}
	}
	return -ENOENT;
}

/* find -- a file of the package: in the build tree (build_path, beside the
 * tool's directory), in the installed tree relative to the tool, or at the
 * configured prefix (installed_path) */
static int find(const char *build_path, const char *installed_path, char *buf, size_t len)
{
	char build[PATH_MAX], rel[PATH_MAX], inst[PATH_MAX];
	const char *cand[] = { build, rel, inst };

	snprintf(build, sizeof(build), "%s/../%s", zp_tool_dir(), build_path);
	snprintf(rel, sizeof(rel), "%s/%s/%s", zp_tool_dir(), ZP_PKGLIBDIR_FROM_BIN, installed_path);
	snprintf(inst, sizeof(inst), "%s/%s", ZP_PKGLIBDIR, installed_path);
	return resolve(buf, len, cand, 3);
}

int zp_find_runtime(char *buf, size_t len)
{
	return find("runtime/libzpoline.so", "libzpoline.so", buf, len);
}

int zp_find_scanner(char *buf, size_t len)
{
	return find("runtime/zpoline-scan", "zpoline-scan", buf, len);
}

int zp_find_hook(const char *name, char *buf, size_t len)
{
	char file[NAME_MAX + 16];

	snprintf(file, sizeof(file), "hooks/%s.so", name);
	return find(file, file, buf, len);
}

int zp_resolve_hook(const char *spec, char *out, size_t len)
{
	bool bare = strchr(spec, '/') == NULL;

	if (bare && zp_find_hook(spec, out, len) == 0)
		return 0;
	if (bare && access(spec, F_OK) != 0)
		return -ESRCH;
	if (len < PATH_MAX || realpath(spec, out) == NULL)
		return len < PATH_MAX ? -ENAMETOOLONG : -errno;
	return 0;
}

const char *zp_bundled_hooks(char *buf, size_t len)
{
	char dirs[3][PATH_MAX];
	size_t used = 0;

	buf[0] = '\0';
	snprintf(dirs[0], sizeof(dirs[0]), "%s/../hooks", zp_tool_dir());
	snprintf(dirs[1], sizeof(dirs[1]), "%s/%s/hooks", zp_tool_dir(), ZP_PKGLIBDIR_FROM_BIN);
	snprintf(dirs[2], sizeof(dirs[2]), "%s/hooks", ZP_PKGLIBDIR);
	for (int i = 0; i < 3 && used == 0; i++) {
		struct dirent **ents;
		int n = scandir(dirs[i], &ents, NULL, alphasort);
		for (int k = 0; k < n; k++) {
			size_t l = strlen(ents[k]->d_name);
			if (l > 3 && strcmp(ents[k]->d_name + l - 3, ".so") == 0 && used + l < len)
				used += (size_t)snprintf(buf + used, len - used, "%s%.*s",
							 used ? ", " : "", (int)(l - 3),
							 ents[k]->d_name);
			free(ents[k]);
		}
		if (n >= 0)
			free(ents);
	}
	return buf;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "cache", cmd_cache },
	{ "check", cmd_check },
	{ "run", cmd_run },
	{ "stats", cmd_stats },
	{ "trace", cmd_trace },
};

struct root {
	int argc;
	char **argv;
};

static error_t parse_root(int key, char *arg, struct argp_state *state)
{
	struct root *r = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		r->argc = state->argc - state->next + 1;
		r->argv = &state->argv[state->next - 1];
		state->next = state->argc;
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(arg, commands[i].name) == 0)
				return 0;
		argp_error(state, "unknown command '%s'", arg);
		return EINVAL;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no command given");
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const char doc_root[] =
	"Hook every system call a program makes, at close to the cost of the call.\n"
	"\n"
	"Commands:\n"
	"  cache [--clear | --prune | --verify]\n"
	"                  where the cache is, its size and entries; remove entries\n"
	"  check [--hook NAME|PATH] [--json]\n"
	"                  whether zpoline can run here, and what to fix if not\n"
	"  run [OPTION...] [--] PROG [ARG...]\n"
	"                  run PROG with its system calls hooked (default hook: tracer)\n"
	"  stats [--json] [--static] ... PROG [ARG...] | FILE...\n"
	"                  how many system call sites are rewritten, per object\n"
	"  trace [STRACE-OPTION...] [--] PROG [ARG...]\n"
	"                  run PROG traced, with strace's options and output\n"
	"\n"
	"`zpoline COMMAND --help' describes each command. Exit status: that of the\n"
	"program for `run'; 2 for a bad command line; 125 when zpoline cannot run\n"
	"the program hooked; 126 / 127 when the program cannot be executed / found."
	"\vSee zpoline(1).";

int main(int argc, char **argv)
{
	struct argp argp = { NULL, parse_root, "COMMAND [ARG...]", doc_root, NULL, NULL, NULL };
	struct root r = { 0, NULL };

	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &r);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(r.argv[0], commands[i].name) == 0)
			return commands[i].fn(r.argc, r.argv);
	return EXIT_USAGE;
}
