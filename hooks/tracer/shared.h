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
/* a buffer: lines formatted and not written, then the line of the call
 * the thread is in (shown if the process dies in it, its entering half
 * reused when the call returns) */
#define TR_OUT_CAP (64 * 1024)
#define TR_CALL_CAP (16 * 1024)
#define TR_BUF_SIZE (TR_OUT_CAP + TR_CALL_CAP)
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
	/* the watcher's datagram socket, 0 if none: an execve sends it one end
	 * of a close-on-exec socket pair (with the pid as data); the end
	 * closing while the process still has a memory (/proc/PID/exe) says
	 * the execve succeeded, without it that the process died in the call;
	 * a failed execve writes "F" first */
	int exec_sock;
	unsigned long inject_count[ZP_TRACE_MAX_INJECT][ZP_TRACE_WORDS * 64 / 64];
	/* execve's entering half, for the new image to end with " = 0" */
	struct exec_slot {
		int pid;                /* the exec'ing process, 0 when free */
		int tid;                /* ... and thread */
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
		/* one word, so a call's line replaces its unfinished line at
		 * once: the bytes of lines (low half), and of the call's line
		 * at TR_OUT_CAP (high half, 0: in no call) */
		uint64_t len;
		/* a call whose entering half is out (tid << 32 | seq, as
		 * pending): after its line comes its end for when the output
		 * ends with that half, join bytes */
		uint64_t key;
		unsigned join;
	} out[TR_BUF_SLOTS];
};

#define TR_LEN(w) ((unsigned)(w))
#define TR_CALL_LEN(w) ((unsigned)((w) >> 32))

/* tr_unfinished -- the line of the call slot o's thread was in when its
 * process ended (n bytes at *text, 0 if none): strace's " = ?" line, or
 * only its end when the output so far ends with the call's entering half
 * (*joined: written as is, and pending cleared) */
static inline unsigned tr_unfinished(const struct tr_shared *sh, const struct tr_outslot *o, const char *buf,
				     const char **text, int *joined)
{
	uint64_t w = __atomic_load_n(&o->len, __ATOMIC_ACQUIRE);
	unsigned n = TR_CALL_LEN(w);

	*joined = 0;
	if (n == 0 || n > TR_CALL_CAP)
		return 0;
	*text = buf + TR_OUT_CAP;
	if (o->key != 0 && o->key == sh->pending && o->join > 0 && n + o->join <= TR_CALL_CAP) {
		*text += n;
		*joined = 1;
		return o->join;
	}
	return n;
}

#endif
