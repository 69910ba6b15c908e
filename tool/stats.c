/* stats.c -- `zpoline stats`: what the runtime rewrites, per object.
 *
 *   zpoline stats [--json] [-o FILE] [--no-run] [--hook H]... -- PROG [ARG...]
 *       runs PROG with the runtime, which reports once it has rewritten
 *       the program (the program then goes on, unless --no-run);
 *   zpoline stats --static [--json] [--exclude GLOB]... FILE...
 *       scans the files with the same scanner, running nothing; a name
 *       without a slash is looked up on PATH; a single program is followed
 *       by the libraries the dynamic loader would load for it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "zp.h"

enum { OPT_JSON = 0x200, OPT_STATIC, OPT_NO_RUN };

struct stats {
	struct launch l;        /* first: the launch parser's input too */
	bool json, is_static, no_run;
	char **files;
	int nfiles;
};

static const struct argp_option stats_options[] = {
	{ "json", OPT_JSON, NULL, 0,
	  "Print one JSON object instead of a table: for a program, when it exits (at once with "
	  "--no-run), with what was rewritten after start-up as its \"late\" member", 0 },
	{ "static", OPT_STATIC, NULL, 0,
	  "Scan the ELF files given instead of running a program; a single program is followed "
	  "by the libraries it loads", 0 },
	{ "no-run", OPT_NO_RUN, NULL, 0, "End the program once the report is written", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static error_t parse_stats(int key, char *arg __attribute__((unused)), struct argp_state *state)
{
	struct stats *s = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &s->l;
		return 0;
	case OPT_JSON:
		s->json = true;
		return 0;
	case OPT_STATIC:
		s->is_static = true;
		return 0;
	case OPT_NO_RUN:
		s->no_run = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* find_file -- a NAME without a slash: on PATH, as `zpoline run` finds a
 * program, else in the current directory */
static char *find_file(const char *name)
{
	char buf[PATH_MAX];
	int r;

	if (strchr(name, '/') != NULL)
		return (char *)name;
	r = zp_path_lookup(name, buf, sizeof(buf));
	return r == 0 || r == -EACCES ? zp_xstrdup(buf) : (char *)name;
}

static const char doc_stats[] =
	"Report how many system call sites the runtime finds and rewrites in each object: in a "
	"running program (the default), or in ELF files on disk (--static), with the same "
	"scanner, so both give the same counts for the same file.\v"
	"Columns: bytes of executable sections scanned and decoded, syscall and sysenter sites, "
	"sites rewritten to a call or to a trap (red zone live), sites left alone and why, time. "
	"Exit status: the program's (or 0 with --static / --no-run); 2 for a bad command line; "
	"125 when a file cannot be read or the program cannot be hooked. See zpoline(1).";

int cmd_stats(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &zp_launch_argp, 0, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	struct argp argp = { stats_options, parse_stats, "[--] PROG [ARG...]\n--static FILE...",
			     doc_stats, children, NULL, NULL };
	struct stats s = { .l = { .default_hook = "null" } };

	argv[0] = "zpoline stats";
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &s);

	if (!s.is_static) {
		s.l.stats = s.json ? "json" : "table";
		s.l.stats_exit = s.no_run;
		zp_launch(&s.l);
	}

	char **files = s.l.prog;
	int n = 0;
	while (files[n] != NULL)
		n++;
	for (int i = 0; i < n; i++)
		files[i] = find_file(files[i]);
	char interp[PATH_MAX];
	if (n == 1 && zp_prog_interp(files[0], interp, sizeof(interp)) && interp[0] != '\0') {
		struct zp_missing miss;
		const char *prog = files[0];
		n = zp_list_objects(prog, &files, &miss);
		if (n == -ENOEXEC)
			die(EXIT_SETUP, "%s: not an x86-64 ELF file", prog);
		if (n < 0)
			die(EXIT_SETUP, "%s: %s, needed by %s, not found where the dynamic loader looks", prog,
			    miss.name, miss.needed_by);
	}
	/* the scanner is a program of its own (it alone loads Zydis and
	 * libdw): it scans the files and prints the report */
	char scanner[PATH_MAX];
	if (zp_find_scanner(scanner, sizeof(scanner)) < 0)
		die(EXIT_SETUP, "cannot find zpoline-scan beside libzpoline.so: reinstall zpoline");
	char **args = calloc((size_t)n + 12, sizeof(*args));
	int k = 0;
	if (args == NULL)
		die(EXIT_SETUP, "out of memory");
	args[k++] = scanner;
	args[k++] = "report";
	if (s.json)
		args[k++] = "--json";
	if (s.l.exclude[0] != '\0') {
		args[k++] = "--exclude";
		args[k++] = s.l.exclude;
	}
	if (s.l.output != NULL) {
		args[k++] = "--output";
		args[k++] = (char *)s.l.output;
	}
	/* file names after --: a file called --output is a file */
	args[k++] = "--";
	for (int i = 0; i < n; i++)
		args[k++] = files[i];
	args[k] = NULL;
	fflush(stdout);
	execv(scanner, args);
	die(EXIT_SETUP, "cannot run %s: %s", scanner, strerror(errno));
	return 0;
}
