/* stats.c -- what the runtime rewrote and caught: the report at the end
 * of start-up (ZPOLINE_STATS), and the counts after it, at exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

/* per object loaded at start-up (patch.c fills it), and after it */
struct zp_objstat *zp_stats;
size_t zp_nstats;
struct zp_late_stats zp_late;

/* zp_is_root_process -- the process `zpoline run` started (or, by hand, any) */
bool zp_is_root_process(void)
{
	/* read once, at start-up: then the variable leaves environ */
	static int root = -1;
	if (root < 0) {
		const char *r = getenv(ZP_ENV_ROOT_PID);
		root = r == NULL ? 0 : atoi(r);
	}
	return root == 0 || root == (int)getpid();
}

static const char *stats_how;
static int stats_fd = -1;     /* -2: the trace descriptor, as zp_trace_out says then */

static int stats_out(void)
{
	return stats_fd == -2 ? zp_trace_out() : stats_fd;
}
/* the JSON report: one object, written at exit once the late counts are
 * known; this is all of it but the "late" member and the closing brace */
static char *stats_json_head;

/* phases -- how long each phase of start-up took, ms: "environ 0.035, ..."
 * (json: "\"environ\": 0.035, ..."); a phase that did not run is left out */
static void phases(char *buf, size_t len, bool json)
{
	static const char *const names[ZP_NPHASES] = {
		[ZP_PHASE_ENVIRON] = "environ", [ZP_PHASE_OBJECTS] = "objects", [ZP_PHASE_HOOKS] = "hooks",
		[ZP_PHASE_SETUP] = "page 0 and signals", [ZP_PHASE_SITES] = "sites",
		[ZP_PHASE_IMAGES] = "images", [ZP_PHASE_REWRITE] = "rewrite", [ZP_PHASE_INIT] = "init and the rest",
	};
	uint64_t from = zp_phase_start;
	size_t used = 0;

	buf[0] = '\0';
	for (int p = 0; p < ZP_NPHASES && used < len; p++) {
		if (zp_phase_end[p] == 0 || zp_phase_end[p] < from)
			continue;
		int n = snprintf(buf + used, len - used, json ? "%s\"%s\": %.3f" : "%s%s %.3f", used ? ", " : "",
				 names[p], (double)(zp_phase_end[p] - from) / 1e6);
		used += n > 0 ? (size_t)n : 0;
		from = zp_phase_end[p];
	}
}

/* json_finish -- the report's last members: start-up's phases, the counts
 * after start-up */
static void json_finish(void)
{
	char line[512], ph[320];
	phases(ph, sizeof(ph), true);
	int n = snprintf(line, sizeof(line), ", \"startup_phases_ms\": {%s}, \"late\": {\"objects\": %lu, "
			 "\"call\": %lu, \"trap\": %lu, \"caught_by_dispatch\": %lu, \"rewritten_after_catch\": %lu, "
			 "\"int80_unhooked\": %lu}}\n",
			 ph, zp_late.objects, zp_late.called, zp_late.trapped, zp_late.sud_calls, zp_late.lazy,
			 zp_late.int80);

	zp_write_out(stats_out(), stats_json_head, strlen(stats_json_head));
	if (n > 0)
		zp_write_out(stats_out(), line, (size_t)n);
}

/* zp_stats_at_exit -- what was rewritten or caught after start-up */
void zp_stats_at_exit(void)
{
	char line[256];
	int n;

	/* a forked child inherits this; only the first process reports */
	if (stats_how == NULL || !zp_is_root_process())
		return;
	if (stats_json_head != NULL) {
		json_finish();
		return;
	}
	if (strcmp(stats_how, "json") == 0)
		return;
	else
		n = snprintf(line, sizeof(line), "after start-up: %lu objects loaded and rewritten (%lu call, "
			     "%lu trap sites); %lu calls caught by Syscall User Dispatch, %lu of their sites "
			     "rewritten; %lu int $0x80 calls made as asked, not hooked\n", zp_late.objects,
			     zp_late.called, zp_late.trapped, zp_late.sud_calls, zp_late.lazy, zp_late.int80);
	if (n > 0)
		zp_write_out(stats_out(), line, (size_t)n);
}

/* zp_stats_report -- the rewrite statistics, once start-up is done: how
 * is table or json, fds the descriptor to write them to (NULL: the trace
 * fd) */
void zp_stats_report(const char *how, const char *fds, enum zp_mode how_called, enum zp_save_mode mode)
{
	uint64_t ns = zp_phase_end[ZP_PHASE_INIT] - zp_phase_start;
	char what[128];
	stats_how = how;
	stats_fd = fds != NULL ? atoi(fds) : -2;

	static const char *const saves[] = {
		[ZP_SAVE_GPR] = "general registers only", [ZP_SAVE_XSAVEC] = "xsavec",
		[ZP_SAVE_XSAVE] = "xsave", [ZP_SAVE_ZMM] = "zmm and k registers by moves",
	};
	static const char *const modes[] = {
		[ZP_MODE_FAST] = "fast", [ZP_MODE_TRAP] = "trap",
		[ZP_MODE_SUD] = "Syscall User Dispatch (nothing rewritten)",
	};
	snprintf(what, sizeof(what), "%s, %s", modes[how_called], saves[mode]);
	char *text = zp_report(zp_stats, zp_nstats, strcmp(how, "json") == 0, "live", what, (int64_t)ns);
	const char *quit = getenv(ZP_ENV_STATS_EXIT);
	bool exiting = quit != NULL && strcmp(quit, "1") == 0;
	if (text != NULL && strcmp(how, "json") == 0) {
		/* "...}\n": the late counts go before the brace, at exit */
		size_t len = strlen(text);
		if (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (len > 0 && text[len - 1] == '}')
			text[--len] = '\0';
		stats_json_head = text;
		text = NULL;
		if (exiting)
			json_finish();
	}
	if (text != NULL) {
		char ph[320], line[400];
		phases(ph, sizeof(ph), false);
		int n = snprintf(line, sizeof(line), "start-up phases, ms: %s\n", ph);
		zp_write_out(stats_out(), text, strlen(text));
		if (n > 0)
			zp_write_out(stats_out(), line, (size_t)n);
		free(text);
	}
	if (exiting)
		zp_raw_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}
