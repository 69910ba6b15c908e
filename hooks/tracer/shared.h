/* shared.h -- the tracer's part of the memory every process of a run
 * shares (the runtime's hook slice, zpoline/hook.h), and what `zpoline
 * trace`'s watcher (tool/watch.c) reads of it.
 *
 * The line lock: a writer puts its tid in `lock` with a compare-and-swap
 * and writes whole lines; a lock whose owner has died is taken over. */
#ifndef TRACER_SHARED_H
#define TRACER_SHARED_H

#include <stdint.h>

#include "decode-opts.h"

#define TR_MAX_PROCS 1024
/* the threads' output buffers, in a memfd of their own that the watcher
 * maps too (buf_fd below names its descriptor, inherited by every process
 * of the run): what a thread formatted but has not written yet survives a
 * SIGKILL */
#define TR_BUF_SLOTS 256
#define TR_BUF_SIZE (64 * 1024)
#define TR_BUF_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* a process's state in procs[] */
enum { TR_PROC_FREE, TR_PROC_RUNNING, TR_PROC_ENDED, TR_PROC_REPORTED,
       TR_PROC_EXEC };          /* in execve: the new image may be one not hooked */

struct tr_shared {
	int lock;                       /* tid of the writer, 0 when free */
	int multi;                      /* a second task exists: lines get [pid N] */
	uint64_t pending;               /* tid << 32 | seq of an entering half not ended */
	int write_error;                /* errno of the first failed write of the trace */
	int buf_fd;                     /* the output buffers' memfd, 0 if none */
	unsigned long inject_count[ZP_TRACE_MAX_INJECT][ZP_TRACE_WORDS * 64 / 64];
	/* execve's entering half, for the new image to end with " = 0" */
	struct exec_slot {
		int pid;                /* the exec'ing process, 0 when free */
		int partial;            /* the half is out (and ends the output when pending) */
		int nr;
		int len;
		char text[3072];
	} execs[8];
	/* every process of the run, for the watcher: one whose +++ line was
	 * never written ended without running another instruction (SIGKILL) */
	struct tr_proc {
		int pid;
		int state;              /* TR_PROC_* */
		int blocked_tid;        /* a thread whose entering half is out, or 0 */
		int blocked_nr;         /* ... and its call */
	} procs[TR_MAX_PROCS];
	/* who uses each output buffer, and how many bytes it holds */
	struct tr_outslot {
		int tid;                /* 0: free */
		int pid;
		unsigned len;
	} out[TR_BUF_SLOTS];
};

#endif
