/* tool.h -- the zpoline command */
#ifndef ZP_TOOL_H
#define ZP_TOOL_H

#include <argp.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "contract.h"

/* Exit statuses of zpoline itself (documented in zpoline(1)); otherwise
 * `zpoline run` exits with the program's status. */
#define EXIT_USAGE 2        /* bad command line */
#define EXIT_SETUP 125      /* zpoline cannot run the program hooked */
#define EXIT_NOEXEC 126     /* the program cannot be executed */
#define EXIT_NOTFOUND 127   /* the program was not found */

__attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *fmt, ...);
char *zp_xstrdup(const char *s);

/* where the runtime and the bundled hooks are: the build tree next to the
 * tool, or the installed package library directory */
const char *zp_tool_dir(void);
int zp_find_runtime(char *buf, size_t len);
int zp_find_hook(const char *name, char *buf, size_t len);
/* zp_find_scanner -- zpoline-scan, the scanner the runtime runs on a cache
 * miss (it alone links Zydis and libdw) */
int zp_find_scanner(char *buf, size_t len);
/* zp_resolve_hook -- a bundled hook's name or a hook file's path, made
 * absolute into out (PATH_MAX bytes): 0, -ESRCH when it is neither a
 * bundled hook nor an existing file, or realpath's -errno */
int zp_resolve_hook(const char *spec, char *out, size_t len);
/* zp_bundled_hooks -- "null, tracer" */
const char *zp_bundled_hooks(char *buf, size_t len);


/* what `zpoline run` (and `zpoline stats`) start a program with */
struct launch {
	const char *hooks[ZP_MAX_HOOKS];
	const char *opts[ZP_MAX_HOOKS];    /* --hook-opt of each, or NULL */
	int nhooks;
	const char *default_hook;
	char exclude[4096];
	const char *output;
	bool verbose;
	bool no_follow;                 /* ZPOLINE_FOLLOW=0 */
	bool catch_late;                /* ZPOLINE_CATCH_LATE=1 */
	bool best_effort;               /* ZPOLINE_BEST_EFFORT=1 */
	const char *mode;               /* ZPOLINE_MODE */
	const char *stats;              /* "table" or "json": the runtime reports */
	bool stats_exit;                /* ... and ends the program there */
	bool prescan;                   /* fill the cache first (run, not stats) */
	char **prog;
};

/* the options every launching command takes: --hook, --hook-opt,
 * --exclude, --output, and PROG [ARG...]; input: struct launch */
extern const struct argp zp_launch_argp;
/* zp_launch -- check everything, set up the environment, exec PROG */
__attribute__((noreturn)) void zp_launch(struct launch *l);
/* zp_check_hook -- a hook by name or path, resolved and checked, else
 * exit; its flags (ZPOLINE_HOOK_*; 0 for a hook of the original zpoline) */
uint32_t zp_check_hook(const char *spec, char *out, size_t len);

/* zp_watch_start -- fork the watcher that writes the tracer's +++ line of
 * a process killed by SIGKILL, and the counter's table of a program
 * killed by a signal (watch.c); the caller goes on to exec */
struct zp_watch {
	int tracer;                     /* the tracer's place among the hooks, or -1 */
	const char *tracer_opts;
	int ncounters;                  /* the counters' places */
	int counter[ZP_MAX_HOOKS];
	const char *counter_opts[ZP_MAX_HOOKS];
};
void zp_watch_start(int shared_fd, int trace_fd, const struct zp_watch *what);

/* ---- libs.c: what the dynamic loader would load, found without it ---- */
struct zp_missing {
	char name[256];                 /* the DT_NEEDED name not found */
	char needed_by[PATH_MAX];
};
int zp_list_objects(const char *prog, char ***out, struct zp_missing *miss);
/* what the runtime's cache key takes from an object's file */
struct zp_file_id {
	struct stat st;
	uint8_t build_id[32];
	uint32_t build_id_len;
};
int zp_list_objects_ids(const char *prog, char ***out, struct zp_file_id **ids, struct zp_missing *miss);
bool zp_read_file_id(const char *path, struct zp_file_id *id);
bool zp_note_build_id(const uint8_t *p, size_t len, struct zp_file_id *id);
bool zp_prog_interp(const char *path, char *interp, size_t len);

/* ---- prescan.c: the cache filled before the program starts ---- */
/* zp_prescan -- scan what the cache lacks of prog's objects, in this
 * process (runtime: libzpoline.so's path; exclude: --exclude's globs) */
void zp_prescan(const char *runtime, const char *prog, const char *exclude);

/* ---- system.c: what the tool asks of the system ---- */
/* zp_find_prog -- PROG as execvp would find it; exits 127 / 126 like a shell */
void zp_find_prog(const char *prog, char *out, size_t len);
/* zp_path_lookup -- name (no slash) on PATH: 0 and out when an executable
 * file is there, -EACCES when only files that cannot be executed are (out:
 * the first), -ENOENT when none is */
int zp_path_lookup(const char *name, char *out, size_t len);
/* zp_page0_mappable -- can this user map virtual address 0? val gets
 * vm.mmap_min_addr ("?" when unreadable) */
bool zp_page0_mappable(char *val, size_t len);

int cmd_cache(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
