/* tool.h -- the zpoline command */
#ifndef ZP_TOOL_H
#define ZP_TOOL_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of zpoline itself (documented in zpoline(1)); otherwise
 * `zpoline run` exits with the program's status. */
#define EXIT_USAGE 2        /* bad command line */
#define EXIT_SETUP 125      /* zpoline cannot run the program hooked */
#define EXIT_NOEXEC 126     /* the program cannot be executed */
#define EXIT_NOTFOUND 127   /* the program was not found */

__attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *fmt, ...);

/* where the runtime and the bundled hooks are: the build tree next to the
 * tool, or the installed package library directory */
const char *zp_tool_dir(void);
int zp_find_runtime(char *buf, size_t len);
int zp_find_hook(const char *name, char *buf, size_t len);
/* zp_bundled_hooks -- "null, tracer" */
const char *zp_bundled_hooks(char *buf, size_t len);

int cmd_run(int argc, char **argv);

#endif
