/* stats.c -- `zpoline stats`: what the runtime rewrites, per object.
 *
 *   zpoline stats [--json] [-o FILE] [--no-run] [--hook H]... -- PROG [ARG...]
 *       runs PROG with the runtime, which reports once it has rewritten
 *       the program (the program then goes on, unless --no-run);
 *   zpoline stats --static [--json] [--exclude GLOB]... FILE...
 *       scans the files with the same scanner, running nothing; a single
 *       program is followed by the libraries the dynamic loader would load
 *       for it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* loaded_objects -- the program and what the dynamic loader would load for
 * it, as the loader itself resolves them (`ld.so --list`, ldd's way) */
static int loaded_objects(const char *prog, char ***out)
{
	struct zp_elf *e;
	char interp[PATH_MAX] = "";
	int n = 0, cap = 16, pipefd[2];
	char **v = calloc((size_t)cap, sizeof(*v));

	if (v == NULL)
		die(EXIT_SETUP, "out of memory");
	v[n++] = strdup(prog);
	if (zp_elf_open_file(prog, &e) == 0) {
		const char *i = zp_elf_interp(e);
		if (i != NULL)
			snprintf(interp, sizeof(interp), "%s", i);
		zp_elf_close(e);
	}
	if (interp[0] == '\0') {
		*out = v;
		return n;
	}
	if (pipe(pipefd) != 0)
		die(EXIT_SETUP, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(interp, interp, "--list", prog, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	FILE *f = fdopen(pipefd[0], "r");
	char line[PATH_MAX + 64];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		/* "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file */
		char *p = strstr(line, "=> ");
		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;
		p[strcspn(p, " \t\n")] = '\0';
		if (n + 1 >= cap) {
			cap *= 2;
			v = realloc(v, (size_t)cap * sizeof(*v));
			if (v == NULL)
				die(EXIT_SETUP, "out of memory");
		}
		v[n++] = strdup(p);
	}
	if (f != NULL)
		fclose(f);
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(EXIT_SETUP, "%s --list %s failed: cannot tell which libraries %s loads", interp, prog, prog);
	*out = v;
	return n;
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
	if (n == 1) {
		struct zp_elf *e;
		if (zp_elf_open_file(files[0], &e) == 0) {
			bool program = zp_elf_interp(e) != NULL;
			zp_elf_close(e);
			if (program)
				n = loaded_objects(files[0], &files);
		}
	}
	/* the scanner is a program of its own (it alone loads Zydis and
	 * libdw): it scans the files and prints the report */
	char scanner[PATH_MAX];
	if (zp_find_scanner(scanner, sizeof(scanner)) < 0)
		die(EXIT_SETUP, "cannot find zpoline-scan beside libzpoline.so: reinstall zpoline");
	char **args = calloc((size_t)n + 10, sizeof(*args));
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
	for (int i = 0; i < n; i++)
		args[k++] = files[i];
	args[k] = NULL;
	fflush(stdout);
	execv(scanner, args);
	die(EXIT_SETUP, "cannot run %s: %s", scanner, strerror(errno));
	return 0;
}
