/* trace.c -- `zpoline trace [OPTION...] [--] PROG [ARG...]`: the tracer hook
 * with strace's options.
 *
 * It is `zpoline run --hook tracer` (every launch option works the same)
 * plus strace's own options, translated into the tracer's --hook-opt
 * string (decode-opts.h) and checked with the parser the hook uses, so a
 * bad option is refused before the program starts. -c runs the counter
 * hook instead, -C both. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode-opts.h"
#include "tool.h"

struct trace {
	struct launch l;        /* first: the launch parser's input too */
	char opts[8192];
	size_t olen;
	int follow;             /* -f count */
	bool count, count_too;  /* -c, -C */
	const char *sort;       /* -S */
	bool audit;
	char copts[8192];       /* the counter's: sort= and the trace= words */
};

/* count_trace -- the counter counts the traced calls only, as strace -c */
static void count_trace(struct trace *t, const char *set)
{
	size_t n = strlen(t->copts);

	snprintf(t->copts + n, sizeof(t->copts) - n, "%strace=%s", n ? " " : "", set);
}

enum { OPT_JSON = 0x200, OPT_AUDIT };

static const struct argp_option trace_options[] = {
	{ NULL, 0, NULL, 0, "strace's options:", 1 },
	{ NULL, 'e', "EXPR", 0,
	  "trace=SET, status=SET, signal=SET, inject=SET:..., fault=SET:... (as strace's -e)", 1 },
	{ NULL, 's', "N", 0, "Show at most N bytes of each string (default 32)", 1 },
	{ NULL, 'v', NULL, 0, "Print structures in full", 1 },
	{ NULL, 'X', "FORMAT", 0, "raw, abbrev (default) or verbose: how constants print", 1 },
	{ NULL, 't', NULL, 0, "Time of day on each line; -tt with microseconds, -ttt since the epoch", 1 },
	{ NULL, 'r', NULL, 0, "Time since the previous call on each line", 1 },
	{ NULL, 'T', NULL, 0, "Time spent in each call, at the end of its line", 1 },
	{ NULL, 'y', NULL, 0, "Print the paths of descriptors", 1 },
	{ NULL, 'z', NULL, 0, "Show successful calls only", 1 },
	{ NULL, 'Z', NULL, 0, "Show failed calls only", 1 },
	{ NULL, 'f', NULL, 0, "Follow children (the default); -ff with -o: one file per process, FILE.PID", 1 },
	{ NULL, 'c', NULL, 0, "Count calls, errors and time per call, and print a table at the end", 1 },
	{ NULL, 'C', NULL, 0, "Like -c, and trace too", 1 },
	{ NULL, 'S', "SORTBY", 0, "Sort the -c table by time (default), calls, errors or name", 1 },
	{ NULL, 'p', "PID", 0, "Refused: zpoline cannot attach to a running process", 1 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per call, signal and process end", 1 },
	{ "audit", OPT_AUDIT, NULL, 0,
	  "Instead of the trace, the audit hook's log: execs, credential changes, connects and "
	  "binds, files opened for writing, unlinks, renames, mounts, ptrace, module loads", 1 },
	{ NULL, 0, NULL, 0, "zpoline's launch options:", 2 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

/* add -- one word of the tracer's option string */
static void add(struct trace *t, struct argp_state *state, const char *fmt, const char *val)
{
	char word[2048];
	int n = snprintf(word, sizeof(word), fmt, val);

	if (n < 0 || (size_t)n >= sizeof(word) || t->olen + (size_t)n + 2 > sizeof(t->opts))
		argp_error(state, "options too long");
	if (strchr(word, ' ') != NULL)
		argp_error(state, "'%s': the tracer's settings may not contain spaces", val);
	t->olen += (size_t)snprintf(t->opts + t->olen, sizeof(t->opts) - t->olen, "%s%s",
				    t->olen ? " " : "", word);
}

static void parse_expr(struct trace *t, struct argp_state *state, char *arg)
{
	static const char *const keys[] = { "trace", "status", "signal", "inject", "fault" };
	char *eq = strchr(arg, '=');

	if (eq == NULL) {
		/* strace: -e SET means -e trace=SET */
		add(t, state, "trace=%s", arg);
		count_trace(t, arg);
		return;
	}
	size_t klen = (size_t)(eq - arg);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i]) == klen && strncmp(arg, keys[i], klen) == 0) {
			add(t, state, "%s", arg);
			if (i == 0)
				count_trace(t, eq + 1);
			return;
		}
	}
	if ((klen == 1 && arg[0] == 't') || (klen == 1 && arg[0] == 's')) {
		/* strace's short forms t= and s= (status) */
		char buf[1100];
		snprintf(buf, sizeof(buf), "%s=%s", arg[0] == 't' ? "trace" : "status", eq + 1);
		add(t, state, "%s", buf);
		if (arg[0] == 't')
			count_trace(t, eq + 1);
		return;
	}
	argp_error(state, "-e %.*s=: not supported by zpoline trace (it takes trace=, status=, "
		   "signal=, inject=, fault=)", (int)klen, arg);
}

static error_t parse_trace(int key, char *arg, struct argp_state *state)
{
	struct trace *t = state->input;
	char *end;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &t->l;
		return 0;
	case 'e':
		parse_expr(t, state, arg);
		return 0;
	case 's':
		if (strtol(arg, &end, 10) < 0 || *arg == '\0' || *end != '\0')
			argp_error(state, "-s %s: give the string limit as a number of bytes", arg);
		add(t, state, "s=%s", arg);
		return 0;
	case 'v':
		add(t, state, "%s", "v");
		return 0;
	case 'X':
		add(t, state, "X=%s", arg);
		return 0;
	case 't': {
		static int ts;
		if (++ts > 3)
			argp_error(state, "-t given more than three times");
		/* the last word wins in the tracer */
		add(t, state, "%s", ts == 1 ? "t" : ts == 2 ? "tt" : "ttt");
		return 0;
	}
	case 'r':
	case 'T':
	case 'y':
	case 'z':
	case 'Z':
	{
		/* flags the tracer takes by their own letter */
		const char letter[2] = { (char)key, '\0' };
		add(t, state, "%s", letter);
		return 0;
	}
	case 'f':
		t->follow++;
		return 0;
	case 'c':
		t->count = true;
		return 0;
	case 'C':
		t->count_too = true;
		return 0;
	case 'S':
		if (strcmp(arg, "time") != 0 && strcmp(arg, "calls") != 0 && strcmp(arg, "errors") != 0 &&
		    strcmp(arg, "name") != 0)
			argp_error(state, "-S %s: sort by time, calls, errors or name", arg);
		t->sort = arg;
		return 0;
	case 'p':
		argp_error(state, "-p: zpoline hooks a program from its start by preloading itself; "
			   "it cannot attach to a running process (use strace -p)");
		return EINVAL;
	case OPT_JSON:
		add(t, state, "%s", "json");
		return 0;
	case OPT_AUDIT:
		t->audit = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const char doc_trace[] =
	"Run PROG with every system call it makes printed as strace prints it.\v"
	"Takes strace's options with strace's meaning, and zpoline run's launch options. "
	"-p is refused: this method cannot attach. Exit status: the program's; 2 for a bad "
	"command line; 125 when zpoline cannot hook the program, or in place of 0 when the "
	"trace could not be written in full; 126 / 127 when PROG cannot be executed / is not "
	"found. See zpoline(1), section TRACE.";

int cmd_trace(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &zp_launch_argp, 0, NULL, 2 },
		{ NULL, 0, NULL, 0 }
	};
	struct argp argp = { trace_options, parse_trace, "[--] PROG [ARG...]", doc_trace, children,
			     NULL, NULL };
	static struct trace t = { .l = { .default_hook = "tracer" } };
	struct zp_trace_opts check;
	char err[400];

	argv[0] = "zpoline trace";
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &t);
	if (t.l.nhooks != 0)
		die(EXIT_USAGE, "zpoline trace runs the tracer hook itself; use zpoline run for --hook");
	if (t.follow >= 2) {
		if (t.l.output == NULL)
			die(EXIT_USAGE, "-ff writes one file per process: give -o FILE too");
		char word[600];
		if (strchr(t.l.output, ' ') != NULL || strlen(t.l.output) > 500)
			die(EXIT_USAGE, "-ff -o %s: the file name may not contain spaces", t.l.output);
		snprintf(word, sizeof(word), "%sff=%s", t.olen ? " " : "", t.l.output);
		strncat(t.opts, word, sizeof(t.opts) - t.olen - 1);
		t.olen = strlen(t.opts);
	}
	/* strace's layout: results aligned at column 40 */
	strncat(t.opts, t.olen ? " align" : "align", sizeof(t.opts) - t.olen - 1);
	t.olen = strlen(t.opts);
	if (t.l.output == NULL && isatty(2)) {
		strncat(t.opts, t.olen ? " lines" : "lines", sizeof(t.opts) - t.olen - 1);
		t.olen = strlen(t.opts);
	}
	if (zp_trace_parse(t.opts, &check, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (t.count && t.count_too)
		die(EXIT_USAGE, "give -c or -C, not both");
	static char sort[sizeof(t.copts) + 32];
	if (t.sort != NULL || t.copts[0] != '\0')
		snprintf(sort, sizeof(sort), "%s%s%s%s", t.sort ? "sort=" : "", t.sort ? t.sort : "",
			 t.sort && t.copts[0] ? " " : "", t.copts);
	if (t.audit) {
		if (t.count || t.count_too || t.olen > (size_t)(t.l.output == NULL && isatty(2) ? 11 : 5))
			die(EXIT_USAGE, "--audit writes the audit log only: it takes no trace options");
		t.l.hooks[t.l.nhooks++] = "audit";
	} else if (t.count) {
		t.l.hooks[t.l.nhooks] = "counter";
		t.l.opts[t.l.nhooks++] = sort[0] ? sort : NULL;
	} else {
		t.l.hooks[t.l.nhooks] = "tracer";
		t.l.opts[t.l.nhooks++] = t.olen ? t.opts : NULL;
		if (t.count_too) {
			t.l.hooks[t.l.nhooks] = "counter";
			t.l.opts[t.l.nhooks++] = sort[0] ? sort : NULL;
		}
	}
	if (t.follow >= 2)
		t.l.output = NULL;
	zp_launch(&t.l);
}
