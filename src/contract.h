/* contract.h -- what `zpoline run` and the runtime agree on: the
 * environment variables through which the tool (or a user, by hand)
 * configures the runtime. The runtime reads them at start-up, takes them
 * out of the program's environ, and gives them back to every image the
 * program executes; so this list is what children inherit. */
#ifndef ZP_CONTRACT_H
#define ZP_CONTRACT_H

#define ZP_ENV_HOOK "ZPOLINE_HOOK"              /* hook paths, ':'-separated */
#define ZP_ENV_HOOK_DLMOPEN "ZPOLINE_HOOK_DLMOPEN" /* 1: every hook by dlmopen */
#define ZP_ENV_HOOK_OPTS "ZPOLINE_HOOK_OPTS"    /* their options, 0x1f-separated */
#define ZP_ENV_EXCLUDE "ZPOLINE_EXCLUDE"        /* globs of objects left alone */
#define ZP_ENV_TRACE_FD "ZPOLINE_TRACE_FD"      /* where hooks report */
#define ZP_ENV_SHARED_FD "ZPOLINE_SHARED_FD"    /* the run's shared memory */
#define ZP_ENV_ROOT_PID "ZPOLINE_ROOT_PID"      /* the process the run started */
#define ZP_ENV_MODE "ZPOLINE_MODE"              /* fast, trap, sud, auto */
#define ZP_ENV_CATCH_LATE "ZPOLINE_CATCH_LATE"  /* 1: the Syscall User Dispatch net */
#define ZP_ENV_FOLLOW "ZPOLINE_FOLLOW"          /* 0: children are not followed */
#define ZP_ENV_CACHE "ZPOLINE_CACHE"            /* 0: no cache */
#define ZP_ENV_CACHE_DIR "ZPOLINE_CACHE_DIR"
#define ZP_ENV_IMAGES "ZPOLINE_IMAGES"          /* 0: rewrite in place, no images */
#define ZP_ENV_BEST_EFFORT "ZPOLINE_BEST_EFFORT" /* 1: run what cannot be scanned unhooked */
#define ZP_ENV_SAVE "ZPOLINE_SAVE"              /* force xsave or xsavec */
#define ZP_ENV_VERBOSE "ZPOLINE_VERBOSE"
#define ZP_ENV_STATS "ZPOLINE_STATS"            /* table or json, root process only */
#define ZP_ENV_STATS_FD "ZPOLINE_STATS_FD"
#define ZP_ENV_STATS_EXIT "ZPOLINE_STATS_EXIT"

/* how many hooks a run may chain: glibc allows 16 link namespaces, the
 * main one included */
#define ZP_MAX_HOOKS 15
/* ZPOLINE_HOOK_OPTS separates the hooks' option strings with this byte */
#define ZP_OPT_SEP '\x1f'
#define ZP_OPT_SEP_STR "\x1f"
/* the memory ZPOLINE_SHARED_FD names: a sealed memfd, a slice per hook */
#define ZP_SHARED_SLICE (64 * 1024)
#define ZP_SHARED_SIZE (16 * ZP_SHARED_SLICE)

/* every one of them, for the runtime's environment handling */
#define ZP_ENV_ALL                                                                 \
	ZP_ENV_HOOK, ZP_ENV_HOOK_OPTS, ZP_ENV_EXCLUDE, ZP_ENV_TRACE_FD, ZP_ENV_SHARED_FD, \
	ZP_ENV_ROOT_PID, ZP_ENV_MODE, ZP_ENV_CATCH_LATE, ZP_ENV_FOLLOW, ZP_ENV_CACHE,     \
	ZP_ENV_CACHE_DIR, ZP_ENV_IMAGES, ZP_ENV_SAVE, ZP_ENV_VERBOSE, ZP_ENV_STATS,       \
	ZP_ENV_STATS_FD, ZP_ENV_STATS_EXIT, ZP_ENV_BEST_EFFORT, ZP_ENV_HOOK_DLMOPEN

/* Syscall User Dispatch (prctl), for headers that predate it: the runtime
 * arms it, `zpoline check` probes it */
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

#endif
