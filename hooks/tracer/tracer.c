/* tracer -- strace's output, from inside the process.
 *
 *   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1234
 *   --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, ...} ---
 *   +++ exited with 0 +++
 *
 * An enter/exit hook. enter notes the time and, for a call that may block
 * or not return, writes the entering half at once; exit writes the rest.
 * Other lines collect in a per-thread buffer of whole lines that is
 * written (one write, so lines never interleave) before any call that may
 * block, fork or end the process, when it fills, and every 10 ms.
 *
 * When threads or processes interleave, a shared word (in the run's shared
 * memory) says whose entering half ends the output so far: anyone else's
 * line first ends it with " <unfinished ...>", and its owner then writes
 * "<... NAME resumed>" as strace does.
 *
 * Signals: the handler the program installs with rt_sigaction is replaced,
 * in the kernel only, by one that prints the --- SIGxxx --- line and calls
 * the program's; oldact is fixed up in exit so the program reads back its
 * own. Signals whose default action kills get such a handler too (where
 * the runtime does not own them), which prints +++ killed by +++ and dies
 * of the same signal.
 *
 * Options (--hook-opt): see src/decode-opts.h and zpoline(1). */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <zpoline/hook.h>

#include "decode-opts.h"
#include "decode.h"
#include "shared.h"
#include "../ownfd.h"
#include "../thread.h"

#define SA_RESTORER_FLAG 0x04000000UL
/* the kernel's other codes for an interrupted call (ZPOLINE_ERESTARTSYS) */
#define ZP_ERESTARTNOHAND 514
#define ZP_ERESTART_RESTARTBLOCK 516

static const struct zpoline_init *rt;

/* own_calls -- zpoline_init.own_calls where the runtime has it (ABI 3) */
static int own_calls(int on)
{
	return rt != NULL && rt->abi_version >= 3 && rt->own_calls != NULL ? rt->own_calls(on) : 1;
}
static struct zp_trace_opts opt;
static struct tr_fmt fmt;
static uint64_t interest[ZPOLINE_INTEREST_WORDS];
static pid_t root_pid;

/* in the memory every process of the run shares (shared.h) */
static struct tr_shared *sh;
static struct tr_shared private_shared;
/* counts per injection and number: in this process (strace counts per task) */
static unsigned long inj_count[ZP_TRACE_MAX_INJECT][1024];

/* the kernel's struct sigaction */
struct ksigaction {
	unsigned long handler, flags, restorer;
	uint64_t mask;
};

/* one call between its enter and its exit */
struct rec {
	uint64_t t0;                    /* ns, when timing */
	uint32_t seq;
	uint32_t gen;                   /* when it was taken (T.gen), for take_rec and put_rec */
	bool busy;                      /* its call's exit is still to come */
	bool partial;                   /* the entering half is written */
	bool injected;
	bool done;                      /* shown by a signal that came as it returned */
	bool restarted;                 /* shown as ERESTARTSYS: a new line at exit */
	int inject;
	long nr, args[6];                     /* rule index + 1 */
	size_t col;                     /* length of the entering half's line so far */
	const char *half;               /* the entering half formatted at enter (keep_call) */
	size_t hlen;                    /* ... its length, 0 if none */
	int next_arg;                   /* ... and the first argument it left out */
	uint64_t saved;
	long orig_act;                  /* rt_sigaction: the program's act */
	struct ksigaction act;          /* ... and what the kernel gets instead */
	struct ksigaction old_prog;     /* ... and the program's previous one */
	struct ksigaction new_prog;     /* ... its new one, recorded once the kernel took it */
	bool set_prog;
};

#define RING 32
#define STACK_SIZE (64 * 1024)
#define OUTCAP TR_OUT_CAP

struct tls {
	pid_t tid, pid;
	uint32_t seq;
	unsigned ring_pos;
	uint32_t gen;                   /* records taken (struct rec) */
	struct rec *entering;           /* the record the enter under way took */
	int level;                      /* formatting nested by a signal handler */
	size_t outlen;
	uint64_t last_flush;
	uint64_t last_ns;               /* -r */
	int lock_depth;
	long uc;                        /* the last handled signal's ucontext */
	bool partial_open;              /* our entering half may end the output */
	struct rec *cur;                /* the call between its enter and exit */
	char *stack;                    /* where lines are formatted (stack.S) */
	bool in_wrapper;                /* our signal handler's own calls (sud mode) */
	uintptr_t alt_lo, alt_hi;       /* the program's sigaltstack on this thread */
	struct rec ring[RING];
	char *out;                      /* a shared buffer (out_slot), or out_own */
	int out_slot;                   /* -1: none */
	uint32_t kept;                  /* seq of the call whose line is in the buffer's call part */
	size_t call_len;                /* ... that line's length (0: none) */
	/* a signal handler's call, while the call the handler interrupted
	 * is kept: the handler's takes the buffer's call part, and the
	 * other's line, kept here, comes back when it ends (stash_kept) */
	struct {
		uint32_t by;            /* seq of the handler's call, 0: none */
		uint32_t kept;
		size_t call_len;
		uint64_t key;
		unsigned join;
		char text[TR_CALL_CAP];
	} stash;
	/* in a vfork (or a clone with CLONE_VM and no CLONE_SETTLS), whose
	 * child runs on this very thread state until it execs or exits: an
	 * enter meanwhile is the child's, and the parent, back, takes again
	 * what it had, its call kept for the watcher */
	bool vforking;
	/* in a fork-like call (no CLONE_VM): a clone child on a stack of its
	 * own does not come back through exit_impl, so its first enter finds
	 * this set in its copy of the parent's state, and a pid of its own */
	bool forking;
	struct vf_save {
		bool active;
		pid_t tid;              /* the parent's */
		char *out;
		int out_slot;
		uint32_t kept;
		size_t call_len;
		struct rec *cur;
	} vf;
	char out_own[OUTCAP];
	char line[3][16384];
	char sigbuf[1024];              /* a signal's line */
	struct tr_thread dec;           /* the decoders' (decode.h) */
};
/* this thread's, mapped at its first call and unmapped at its SYS_exit
 * (thread.h): a `__thread struct tls` would be the loader's dynamic TLS,
 * allocated with the program's malloc in every new thread */
static __thread struct tls *my_tls THREAD_STATE_TLS;

static inline struct tls *tls(void)
{
	struct tls *t = my_tls;

	if (__builtin_expect(t == NULL, 0))
		t = thread_state_new((void **)&my_tls, sizeof(*t), "tracer");
	return t;
}
#define T (*tls())

struct tr_thread *tr_thread(void)
{
	return &T.dec;
}

/* the threads of this process, for the calls they are in when it ends */
#define MAX_THREADS 256
static struct tls *threads[MAX_THREADS];

/* the program's own handlers, which the kernel does not see, and the
 * process they belong to: a vfork child (or any clone with CLONE_VM and
 * not CLONE_THREAD) shares this memory, not the actions, so what it sets
 * before its exec passes through unrecorded */
static struct ksigaction prog[65];
static pid_t prog_pid;
static bool watched[65];

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int my_proc = -1;        /* this process's entry in sh->procs */
static void proc_register(void);

/* self_ids -- who we are; asked of the kernel once per task (a forked
 * child starts over in exit_impl, where fork-like calls return 0) */
static void self_ids(void)
{
	if (T.pid != 0)
		return;
	pid_t p = getpid();

	tr_self_pid = p;
	if (prog_pid == 0)
		prog_pid = p;
	{
		/* a new task, or a forked child that inherited the parent's TLS */
		T.pid = p;
		T.tid = gettid();
		T.lock_depth = 0;
	}
	/* a new thread may call before its parent's clone returns: lines
	 * get [pid N] from its first on (they are formatted at enter) */
	if (sh != NULL && T.tid != p)
		__atomic_store_n(&sh->multi, 1, __ATOMIC_RELAXED);
	/* a new process; or a vfork parent whose child ran on our memory */
	if (sh != NULL && (T.tid == p || my_proc < 0 || sh->procs[my_proc].pid != p))
		proc_register();
	/* a slot that is ours already (a forked child's copy), free, or a
	 * thread's of another process (copied by fork) */
	for (int i = 0; i < MAX_THREADS; i++) {
		struct tls *t = __atomic_load_n(&threads[i], __ATOMIC_ACQUIRE);
		if (t == &T)
			return;
	}
	for (int i = 0; i < MAX_THREADS; i++) {
		struct tls *t = __atomic_load_n(&threads[i], __ATOMIC_ACQUIRE);
		if ((t == NULL || t->pid != p) &&
		    __atomic_compare_exchange_n(&threads[i], &t, &T, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	}
}

/* ---- the run's processes, for the watcher (shared.h) ---- */

/* proc_register -- a new process (or a new image of one) is running */
static void proc_register(void)
{
	pid_t p = T.pid;

	my_proc = -1;
	for (int pass = 0; pass < 2 && my_proc < 0; pass++) {
		for (int i = 0; i < TR_MAX_PROCS; i++) {
			struct tr_proc *e = &sh->procs[i];
			int old = __atomic_load_n(&e->pid, __ATOMIC_ACQUIRE);
			int st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
			/* first pass: our own entry (an exec keeps the pid);
			 * second: a free one, or one whose process has ended */
			if (pass == 0 ? old != p :
			    !(old == 0 || st == TR_PROC_ENDED || st == TR_PROC_REPORTED))
				continue;
			if (pass == 1 && !__atomic_compare_exchange_n(&e->pid, &old, p, false,
								      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			e->blocked_tid = 0;
			__atomic_store_n(&e->state, TR_PROC_RUNNING, __ATOMIC_RELEASE);
			my_proc = i;
			break;
		}
	}
}

/* proc_ended -- this process's +++ line is out: the watcher has nothing to say */
static void proc_ended(void)
{
	if (my_proc >= 0 && sh->procs[my_proc].pid == T.pid)
		__atomic_store_n(&sh->procs[my_proc].state, TR_PROC_ENDED, __ATOMIC_RELEASE);
}

/* proc_blocked -- the call whose entering half is out (tid 0: none) */
static void proc_blocked(int tid, long nr)
{
	if (my_proc < 0)
		return;
	sh->procs[my_proc].blocked_nr = (int)nr;
	__atomic_store_n(&sh->procs[my_proc].blocked_tid, tid, __ATOMIC_RELEASE);
}

/* proc_exec -- in execve (running again if it fails): the image it
 * starts may not be hooked (static, excluded), and then never says how
 * it ends */
static void proc_exec(bool in)
{
	if (my_proc >= 0 && sh->procs[my_proc].pid == T.pid)
		__atomic_store_n(&sh->procs[my_proc].state, in ? TR_PROC_EXEC : TR_PROC_RUNNING,
				 __ATOMIC_RELEASE);
}

/* last_thread -- no other thread of this process is known */
static bool last_thread(void)
{
	for (int i = 0; i < MAX_THREADS; i++) {
		struct tls *t = __atomic_load_n(&threads[i], __ATOMIC_ACQUIRE);
		if (t != NULL && t != &T && t->pid == T.pid)
			return false;
	}
	return true;
}

/* others_unseen -- under --no-follow, the first thread ending while the
 * process has threads not followed (which the tracer never sees): its
 * exit is not the process's end, and the +++ line waits for that (an
 * exit_group, other_end in enter_impl; else the watcher's), as strace
 * without -f prints it once. /proc/self/status's count, read once. */
static bool others_unseen(long nr)
{
	char buf[4096];

	if (!opt.nofollow || nr != SYS_exit)
		return false;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nThreads:");
	return p != NULL && atoi(p + 9) > 1;
}

static void forget_thread(void)
{
	for (int i = 0; i < MAX_THREADS; i++)
		if (__atomic_load_n(&threads[i], __ATOMIC_ACQUIRE) == &T)
			__atomic_store_n(&threads[i], NULL, __ATOMIC_RELEASE);
}

/* ---- output ---- */

static int ff_fd = -1;
static pid_t ff_pid;
static bool ff_failed;

static void dev_write(const char *p, size_t n)
{
	if (opt.ff[0] != '\0') {
		if (ff_pid != T.pid) {
			char path[600];
			/* a forked child: the parent's file is not its own */
			if (ff_fd >= 0)
				close(ff_fd);
			snprintf(path, sizeof(path), "%s.%d", opt.ff, (int)T.pid);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
			if (fd >= 0) {
				/* out of the program's way */
				int hi = fcntl(fd, F_DUPFD_CLOEXEC, 900);
				if (hi >= 0) {
					close(fd);
					fd = hi;
				}
			}
			ff_fd = fd;
			ff_pid = T.pid;
			static bool registered;
			if (!registered && fd >= 0) {
				/* and out of the program's sight */
				ownfd_add(&ff_fd);
				rt->own_fd(&ff_fd);
				registered = true;
			}
		}
		if (ff_fd < 0 && !ff_failed) {
			ff_failed = true;
			char msg[700];
			int m = snprintf(msg, sizeof(msg), "zpoline: tracer: cannot open %s.%d: %s\n", opt.ff,
					 (int)T.pid, strerror(errno));
			syscall(SYS_write, 2, msg, (size_t)m);
		}
		while (ff_fd >= 0 && n > 0) {
			ssize_t w = write(ff_fd, p, n);
			if (w <= 0) {
				ownfd_write_failed(&sh->write_error, ff_fd, w < 0 ? errno : ENOSPC, "tracer");
				break;
			}
			p += w;
			n -= (size_t)w;
		}
		return;
	}
	long w = rt->trace_write(p, n);
	if (w < 0 || (size_t)w < n) {
		/* a short write ended with an error the next one would tell */
		ownfd_write_failed(&sh->write_error, ownfd_trace, w < 0 ? -w : ENOSPC, "tracer");
	}
}

static void write_lines(const char *p, size_t n);

/* task_gone -- the lock's owner cannot release it any more: it has
 * exited, or died and waits to be reaped (a zombie, which kill(pid, 0)
 * still finds; its parent may be the very task waiting here) */
static bool task_gone(int tid)
{
	char path[48], buf[256];

	if (kill(tid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	const char *paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static void lock(void)
{
	int spins = 0;

	if (__atomic_load_n(&sh->lock, __ATOMIC_RELAXED) == T.tid) {
		T.lock_depth++;         /* a signal handler inside our own write */
		return;
	}
	for (;;) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&sh->lock, &zero, T.tid, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (++spins % 64 == 0) {
			int owner = __atomic_load_n(&sh->lock, __ATOMIC_RELAXED);
			/* a writer killed while holding it */
			if (owner != 0 && spins > 4096 && task_gone(owner))
				__atomic_compare_exchange_n(&sh->lock, &owner, 0, false, __ATOMIC_RELAXED,
							    __ATOMIC_RELAXED);
			sched_yield();
		}
	}
	T.lock_depth = 1;
}

static void unlock(void)
{
	if (--T.lock_depth == 0)
		__atomic_store_n(&sh->lock, 0, __ATOMIC_RELEASE);
}

/* end_line -- a call's line out, and the lock given back: the rest of a
 * line already begun in the output (joined), or whole lines */
static void end_line(const char *p, size_t n, bool joined)
{
	if (joined)
		dev_write(p, n);
	else
		write_lines(p, n);
	sh->pending = 0;
	T.partial_open = false;
	unlock();
}

/* write_lines -- whole lines out (lock held): someone's entering half
 * that ends the output so far is ended first */
static void write_lines(const char *p, size_t n)
{
	if (sh->pending != 0) {
		dev_write(" <unfinished ...>\n", 18);
		sh->pending = 0;
	}
	T.partial_open = false;
	dev_write(p, n);
}

/* ---- the output buffers: shared with the watcher when it gave some ---- */

static char *bufs;              /* TR_BUF_SLOTS of TR_BUF_SIZE, or NULL */

/* out_set_len -- the buffer's length, where the watcher sees it too */
static void out_set_len(size_t n)
{
	__atomic_store_n(&T.outlen, n, __ATOMIC_RELEASE);
	if (T.out_slot >= 0)
		__atomic_store_n(&sh->out[T.out_slot].len, (uint64_t)T.call_len << 32 | n, __ATOMIC_RELEASE);
}

/* out_claim -- this thread's buffer: a free shared one (or one left by a
 * process that is gone), else its own */
static void out_claim(void)
{
	T.out = T.out_own;
	T.out_slot = -1;
	for (int pass = 0; bufs != NULL && pass < 2; pass++) {
		for (int i = 0; i < TR_BUF_SLOTS; i++) {
			struct tr_outslot *o = &sh->out[i];
			int tid = __atomic_load_n(&o->tid, __ATOMIC_ACQUIRE);
			if (pass == 0 ? tid != 0 : (tid == 0 || o->pid == T.pid || !task_gone(o->pid)))
				continue;
			if (!__atomic_compare_exchange_n(&o->tid, &tid, T.tid, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED))
				continue;
			o->pid = T.pid;
			o->key = 0;
			__atomic_store_n(&o->len, 0, __ATOMIC_RELEASE);
			T.out = bufs + (size_t)i * TR_BUF_SIZE;
			T.out_slot = i;
			return;
		}
	}
}

/* out_release -- the thread (or its image) ends; its buffer is empty */
static void out_release(void)
{
	if (T.out_slot < 0)
		return;
	/* not in a vfork child, which runs on its parent's storage */
	if (sh->out[T.out_slot].pid != getpid() || sh->out[T.out_slot].tid != T.tid)
		return;
	__atomic_store_n(&sh->out[T.out_slot].len, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->out[T.out_slot].tid, 0, __ATOMIC_RELEASE);
	T.out = NULL;
	T.out_slot = -1;
	T.kept = 0;
	T.call_len = 0;
}

static void put_prefix(struct tr_buf *b, uint64_t t0);
static bool is_multi(void);
static bool forks(long nr);
static void put_json_head(struct tr_buf *b, const char *type, uint64_t t0);

/* stash_kept -- call seq, made in a signal handler, is the one the thread
 * is in now, not the call the handler interrupted, whose line is kept:
 * that line steps aside until seq ends (one level deep) */
static bool stash_kept(uint32_t seq)
{
	struct tr_outslot *o = &sh->out[T.out_slot];
	size_t n = T.call_len + (o->key != 0 ? o->join : 0);

	if (T.stash.by != 0 || n > TR_CALL_CAP)
		return false;
	T.stash.kept = T.kept;
	T.stash.call_len = T.call_len;
	T.stash.key = o->key;
	T.stash.join = o->join;
	memcpy(T.stash.text, T.out + TR_OUT_CAP, n);
	T.stash.by = seq;
	T.kept = 0;
	T.call_len = 0;
	o->key = 0;
	out_set_len(T.outlen);          /* the watcher sees none while it changes */
	return true;
}

/* unstash_kept -- the handler's call has ended: the interrupted call's
 * line is kept again */
static void unstash_kept(void)
{
	struct tr_outslot *o = &sh->out[T.out_slot];

	memcpy(T.out + TR_OUT_CAP, T.stash.text, T.stash.call_len + (T.stash.key != 0 ? T.stash.join : 0));
	o->key = T.stash.key;
	o->join = T.stash.join;
	T.kept = T.stash.kept;
	T.call_len = T.stash.call_len;
	T.stash.by = 0;
	out_set_len(T.outlen);
}

/* keep_ready -- is there a buffer to keep call r's line in (and, when a
 * call is kept already, has it been set aside)? */
static bool keep_ready(const struct rec *r)
{
	if (bufs == NULL || !(opt.status & ZP_STATUS_UNFINISHED))
		return false;
	if (T.out == NULL)
		out_claim();
	return T.out_slot >= 0 && (T.kept == 0 || stash_kept(r->seq));
}

/* keep_call -- the line strace shows for call r if the process dies in
 * it ("name(args) = ?", with " <unfinished ...>" before the ")" when the
 * arguments that the result fills in are missing), formatted now into
 * the buffer's call part, where the watcher finds it (shared.h). Not
 * written: the entering half is reused for the call's line at exit, so
 * the call costs what it did. A call made while another is kept (in a
 * signal handler) takes its place (stash_kept). With --json, the call's record with the
 * arguments known at enter, "ret": null and "unfinished": true. */
static void keep_call(struct rec *r, struct tr_call *c)
{
	if (!keep_ready(r))
		return;
	char *area = T.out + TR_OUT_CAP;
	struct tr_buf b = { area, 0, TR_CALL_CAP };
	if (opt.json) {
		struct tr_buf text = { T.line[2], 0, sizeof(T.line[2]) };
		struct tr_fmt plain = fmt;
		const char *name = rt->syscall_name(r->nr);
		plain.json = false;
		plain.align = false;
		tr_print_enter(&text, &plain, c, "");
		put_json_head(&b, "syscall", r->t0);
		if (name)
			tr_put(&b, ", \"name\": \"%s\"", name);
		else
			tr_put(&b, ", \"name\": \"syscall_%#lx\"", (unsigned long)r->nr);
		tr_puts(&b, ", \"args\": ");
		tr_json_args(&b, text.p, text.len);
		/* the record up to its arguments' closing ']', for exit */
		r->half = area;
		r->hlen = b.len - 1;
		r->next_arg = c->next_arg;
		tr_puts(&b, ", \"ret\": null, \"unfinished\": true}\n");
	} else {
		put_prefix(&b, r->t0);
		tr_print_enter(&b, &fmt, c, rt->syscall_name(r->nr));
		r->half = area;
		r->hlen = b.len;
		r->next_arg = c->next_arg;
		if (!tr_enter_complete(c))
			tr_puts(&b, " <unfinished ...>");
		tr_putc(&b, ')');
		tr_pad(&b, &fmt, 0);
		tr_puts(&b, " = ?\n");
	}
	sh->out[T.out_slot].key = 0;
	T.kept = r->seq;
	T.call_len = b.len;
	out_set_len(T.outlen);
}

/* keep_partial -- the same for a call whose entering half is out: its
 * end, "<... name resumed>) = ?", and the end of its line for when the
 * output still ends with it. Lock held. */
static void keep_partial(struct rec *r, struct tr_call *c)
{
	if (!keep_ready(r))
		return;
	struct tr_outslot *o = &sh->out[T.out_slot];
	const char *name = rt->syscall_name(r->nr);
	/* strace ends a fork-like call "<... clone resumed>) = ?", without
	 * the arguments its exit would add */
	const char *mark = tr_enter_complete(c) || forks(r->nr) ? "" : " <unfinished ...>";
	struct tr_buf b = { T.out + TR_OUT_CAP, 0, TR_CALL_CAP / 2 };
	/* a fork-like call shows only once there is a child */
	if ((is_multi() || (forks(r->nr) && !opt.nofollow)) && opt.ff[0] == '\0')
		tr_put(&b, "[pid %5d] ", (int)T.tid);
	tr_put(&b, "<... %s resumed>%s)", name ? name : "syscall", mark);
	tr_pad(&b, &fmt, 0);
	tr_puts(&b, " = ?\n");
	/* the joined end, padded from where the line began */
	char *join = T.out + TR_OUT_CAP + b.len;
	struct tr_buf j = { join, 0, TR_CALL_CAP / 2 };
	tr_put(&j, "%s)", mark);
	tr_pad(&j, &fmt, 0 - r->col);   /* the line's first r->col bytes are out */
	tr_puts(&j, " = ?\n");
	o->key = (uint64_t)T.tid << 32 | r->seq;
	o->join = (unsigned)j.len;
	T.kept = r->seq;
	T.call_len = b.len;
	out_set_len(T.outlen);
}

/* drop_call -- call r has its line, or will never have one: nothing to
 * show for it if the process dies now */
static void drop_call(const struct rec *r)
{
	if (T.kept == 0 || T.kept != r->seq)
		return;
	T.kept = 0;
	T.call_len = 0;
	out_set_len(T.outlen);
	if (T.stash.by == r->seq)
		unstash_kept();
}

static void flush_locked(void)
{
	if (T.outlen > 0) {
		write_lines(T.out, T.outlen);
		out_set_len(0);
	}
	T.last_flush = now_ns(CLOCK_MONOTONIC_COARSE);
}

static void flush(void)
{
	if (T.outlen == 0)
		return;
	lock();
	flush_locked();
	unlock();
}

/* emit -- whole lines into the buffer (or straight out when nested) */
static void emit(const char *p, size_t n)
{
	if (T.level > 1 || n >= OUTCAP / 2 || T.partial_open || opt.lines) {
		lock();
		flush_locked();
		if (T.out_slot >= 0)
			out_set_len(T.outlen);          /* a call's line no longer kept */
		write_lines(p, n);
		unlock();
		return;
	}
	if (T.out == NULL)
		out_claim();
	if (T.outlen + n > OUTCAP)
		flush();
	memcpy(T.out + T.outlen, p, n);
	/* after the bytes: a thread that ends the process, or the watcher
	 * after a SIGKILL, writes them */
	out_set_len(T.outlen + n);
	if (T.outlen > OUTCAP * 3 / 4 ||
	    now_ns(CLOCK_MONOTONIC_COARSE) - T.last_flush > 10 * 1000 * 1000)
		flush();
}

/* ---- the line's parts ---- */

/* is_multi -- lines say whose they are ([pid N]): once there is more
 * than one task of the run, never under --no-follow (strace without -f
 * traces one) */
static bool is_multi(void)
{
	return !opt.nofollow && (__atomic_load_n(&sh->multi, __ATOMIC_RELAXED) || T.pid != root_pid);
}

static void put_prefix(struct tr_buf *b, uint64_t t0)
{
	if (is_multi() && opt.ff[0] == '\0')
		tr_put(b, "[pid %5d] ", (int)T.tid);
	if (opt.relative) {
		uint64_t d = T.last_ns ? t0 - T.last_ns : 0;
		T.last_ns = t0;
		tr_put(b, "%6lu.%06lu ", (unsigned long)(d / 1000000000u),
		       (unsigned long)(d / 1000 % 1000000));
	}
	if (opt.tstamp == 3) {
		tr_put(b, "%lu.%06lu ", (unsigned long)(t0 / 1000000000u),
		       (unsigned long)(t0 / 1000 % 1000000));
	} else if (opt.tstamp > 0) {
		struct tm tm;
		time_t s = (time_t)(t0 / 1000000000u);
		localtime_r(&s, &tm);
		tr_put(b, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (opt.tstamp == 2)
			tr_put(b, ".%06lu", (unsigned long)(t0 / 1000 % 1000000));
		tr_putc(b, ' ');
	}
}

static bool timed(void)
{
	return opt.tstamp || opt.relative || opt.timing || opt.json;
}

static struct tr_buf line_buf(void)
{
	int l = T.level < 3 ? T.level : 2;

	return (struct tr_buf){ T.line[l], 0, sizeof(T.line[l]) };
}

static void put_json_head(struct tr_buf *b, const char *type, uint64_t t0)
{
	tr_put(b, "{\"type\": \"%s\", \"pid\": %d, \"tid\": %d, \"time\": %lu.%06lu", type,
	       (int)T.pid, (int)T.tid, (unsigned long)(t0 / 1000000000u),
	       (unsigned long)(t0 / 1000 % 1000000));
}

/* ---- system calls ---- */

static void others_unfinished(bool exiting, int status);

/* exited_line -- "+++ exited with N +++", or its JSON record */
static void exited_line(int status, bool call_shown, const long *args, long nr)
{
	struct tr_buf b = line_buf();
	bool ends = !others_unseen(nr);

	if (opt.json) {
		uint64_t t = now_ns(CLOCK_REALTIME);
		if (call_shown) {
			put_json_head(&b, "syscall", t);
			tr_put(&b, ", \"name\": \"%s\", \"args\": [%ld], \"ret\": null}\n",
			       rt->syscall_name(nr), args[0]);
		}
		if (ends) {
			put_json_head(&b, "exit", t);
			tr_put(&b, ", \"status\": %d}\n", status);
		}
	} else if (ends) {
		if (is_multi() && opt.ff[0] == '\0')
			tr_put(&b, "[pid %5d] ", (int)T.tid);
		tr_put(&b, "+++ exited with %d +++\n", status);
	}
	lock();
	flush_locked();
	if (nr == SYS_exit_group)
		others_unfinished(true, status);
	write_lines(b.p, b.len);
	if (ends && (nr == SYS_exit_group || last_thread()))
		proc_ended();
	unlock();
}

/* others_unfinished -- as this process ends (exit_group, a fatal signal),
 * the calls its other threads are in never return: strace shows them with
 * "= ?" (status "unfinished"), and, for exit_group, each thread's end.
 * Lock held. */
static void others_unfinished(bool exiting, int status)
{
	char buf[4096];

	for (int i = 0; i < MAX_THREADS; i++) {
		struct tls *t = __atomic_load_n(&threads[i], __ATOMIC_ACQUIRE);
		if (t == NULL || t == &T || t->pid != T.pid || t->tid == 0)
			continue;
		/* the lines it formatted but had not written: the process ends
		 * before it would (taken back if it is still adding to them) */
		size_t pending_out = __atomic_load_n(&t->outlen, __ATOMIC_ACQUIRE);
		if (pending_out > 0 && t->out != NULL) {
			write_lines(t->out, pending_out);
			if (__atomic_compare_exchange_n(&t->outlen, &pending_out, 0, false, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED) && t->out_slot >= 0)
				__atomic_store_n(&sh->out[t->out_slot].len, 0, __ATOMIC_RELEASE);
		}
		struct tr_buf b = { buf, 0, sizeof(buf) };
		struct rec *r = t->cur;
		const char *text = NULL;
		int joined = 0;
		unsigned kept = 0;
		int slot = t->out_slot;
		if (bufs != NULL && slot >= 0 && slot < TR_BUF_SLOTS && sh->out[slot].tid == t->tid)
			kept = tr_unfinished(sh, &sh->out[slot], bufs + (size_t)slot * TR_BUF_SIZE, &text, &joined);
		if (kept > 0) {
			/* the line it kept for this (keep_call) */
			if (joined) {
				dev_write(text, kept);
				sh->pending = 0;
			} else {
				write_lines(text, kept);
			}
		} else if (r != NULL && r->seq != 0 && !r->done && (opt.status & ZP_STATUS_UNFINISHED) && !opt.json) {
			const char *name = rt->syscall_name(r->nr);
			if (opt.ff[0] == '\0' && !opt.nofollow)
				tr_put(&b, "[pid %5d] ", (int)t->tid);
			if (r->partial) {
				tr_put(&b, "<... %s resumed> <unfinished ...>)", name ? name : "syscall");
			} else {
				struct tr_call c = { .nr = r->nr, .saved = r->saved };
				memcpy(c.args, r->args, sizeof(c.args));
				tr_print_enter(&b, &fmt, &c, name);
				tr_puts(&b, " <unfinished ...>)");
			}
			tr_pad(&b, &fmt, 0);
			tr_puts(&b, " = ?\n");
		}
		if (exiting && opt.ff[0] == '\0' && !opt.json && !opt.nofollow)
			tr_put(&b, "[pid %5d] +++ exited with %d +++\n", (int)t->tid, status);
		if (b.len > 0)
			write_lines(b.p, b.len);
	}
}

/* exec_note -- an execve's entering half, kept in the shared memory: if
 * the call succeeds, the new image ends its line with " = 0" (strace sees
 * it return there). Lock held. */
static void exec_note(long nr, const char *text, size_t len, bool partial)
{
	for (int i = 0; i < 8; i++) {
		struct exec_slot *e = &sh->execs[i];
		if (e->pid != 0 && e->pid != T.pid && !task_gone(e->pid))
			continue;
		e->pid = T.pid;
		e->tid = T.tid;
		e->partial = partial;
		e->nr = (int)nr;
		e->len = (int)(len < sizeof(e->text) ? len : sizeof(e->text));
		memcpy(e->text, text, (size_t)e->len);
		return;
	}
}

/* exec_watch -- tell the watcher (shared.h) whether this execve ends in
 * a new image or in the process's death: after the point of no return
 * no code of ours runs if the new image is not hooked. Our end of the
 * socket is numbered above the watcher's socket and declared ours (the
 * pair takes the lowest free numbers for a moment, in this enter) */
static int exec_fd = -1;
static pid_t exec_fd_pid;
/* the watcher's socket (sh->exec_sock) and the output buffers' memfd
 * (sh->buf_fd) under this process's numbers for them */
static int exec_sock = -1, buf_fd = -1;

static void exec_watch(void)
{
	int sv[2];
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	pid_t pid = T.pid;
	struct iovec iov = { &pid, sizeof(pid) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };

	if (exec_sock <= 2 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	/* and a pidfd of this process: how it ends is the watcher's to read
	 * even once its parent has reaped it, before the watcher saw it go
	 * (a new image not hooked may run and end at once) */
	int fds[2] = { sv[1], (int)syscall(SYS_pidfd_open, getpid(), 0) };
	int nfds = fds[1] >= 0 ? 2 : 1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	if (sendmsg(exec_sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		close(sv[0]);
		sv[0] = -1;
	}
	close(sv[1]);
	if (nfds == 2)
		close(fds[1]);
	/* out of the program's way, as our other descriptors: the execve
	 * runs with it open (a thread of the program may open files
	 * meanwhile), and natively a closed 0, 1 or 2 stays closed. Above
	 * the watcher's socket, so at or above the runtime's floor for its
	 * own: a path naming it (/proc/self/fd/N) fails as natively */
	if (sv[0] >= 0) {
		int hi = fcntl(sv[0], F_DUPFD_CLOEXEC, exec_sock);
		if (hi >= 0) {
			close(sv[0]);
			sv[0] = hi;
		}
	}
	exec_fd = sv[0];
	exec_fd_pid = T.pid;
}

/* exec_forget -- the execve failed: its line ends in this image */
static void exec_forget(void)
{
	/* a vfork child's execve leaves its number here, not its descriptor */
	if (exec_fd >= 0 && exec_fd_pid == T.pid) {
		(void)!write(exec_fd, "F", 1);
		close(exec_fd);
	}
	exec_fd = -1;
	lock();
	for (int i = 0; i < 8; i++)
		if (sh->execs[i].pid == T.pid)
			sh->execs[i].pid = 0;
	unlock();
}

/* exec_done -- the first call of a new image: the execve that made it
 * returned 0 */
static void exec_done(void)
{
	char buf[4096];

	lock();
	for (int i = 0; i < 8; i++) {
		struct exec_slot *e = &sh->execs[i];
		if (e->pid != T.pid)
			continue;
		struct tr_buf b = { buf, 0, sizeof(buf) };
		const char *name = rt->syscall_name(e->nr);
		bool joined = e->partial && (int)(sh->pending >> 32) == T.pid;
		size_t start = 0;
		if (joined) {
			start = b.len - (size_t)e->len;
		} else if (e->partial) {
			if (is_multi() && opt.ff[0] == '\0')
				tr_put(&b, "[pid %5d] ", (int)T.pid);
			tr_put(&b, "<... %s resumed>", name ? name : "execve");
		} else if (opt.status & ZP_STATUS_SUCCESSFUL) {
			tr_put(&b, "%.*s", e->len, e->text);
		}
		if (joined || e->partial || (opt.status & ZP_STATUS_SUCCESSFUL)) {
			tr_putc(&b, ')');
			tr_pad(&b, &fmt, start);
			tr_puts(&b, " = 0\n");
			if (joined)
				dev_write(b.p, b.len);
			else
				write_lines(b.p, b.len);
			if (joined)
				sh->pending = 0;
		}
		e->pid = 0;
	}
	unlock();
}

static bool shown(long nr)
{
	return !opt.narrowed || zp_trace_has(opt.trace, nr);
}

static int want_inject(long nr)
{
	for (int i = 0; i < opt.ninject; i++) {
		const struct zp_inject *in = &opt.inject[i];
		if (!zp_trace_has(in->set, nr) || nr >= 1024)
			continue;
		unsigned long n = ++inj_count[i][nr];
		if (n >= in->first && n <= in->last && (n - in->first) % in->step == 0)
			return i + 1;
	}
	return 0;
}

static void delay_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* forks -- a call that makes a task: its child starts with a copy of
 * this thread's state (or, after vfork, on it), so nothing is kept */
static bool forks(long nr)
{
	return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork;
}

/* shares_tls -- a clone whose child runs on this thread's state (vfork,
 * posix_spawn's clone) */
static bool shares_tls(long nr, const struct zpoline_call *call)
{
	uint64_t flags;

	if (nr == SYS_vfork)
		return true;
	if (nr == SYS_clone)
		return (call->args[0] & (CLONE_VM | CLONE_SETTLS)) == CLONE_VM;
	if (nr == SYS_clone3 && tr_peek(&flags, (uintptr_t)call->args[0], sizeof(flags)) == sizeof(flags))
		return (flags & (CLONE_VM | CLONE_SETTLS)) == CLONE_VM;
	return false;
}

/* shares_memory -- a clone whose child runs in this memory */
static bool shares_memory(long nr, const struct zpoline_call *call)
{
	uint64_t flags;

	if (nr == SYS_vfork)
		return true;
	if (nr == SYS_clone)
		return (call->args[0] & CLONE_VM) != 0;
	if (nr == SYS_clone3 && tr_peek(&flags, (uintptr_t)call->args[0], sizeof(flags)) == sizeof(flags))
		return (flags & CLONE_VM) != 0;
	return false;
}

static void sigaction_enter(struct zpoline_call *call, struct rec *r)
{
	int sig = (int)call->args[0];
	struct ksigaction act;

	r->orig_act = 0;
	r->set_prog = false;
	if (sig <= 0 || sig > 64 || sig == SIGKILL || sig == SIGSTOP)
		return;
	r->old_prog = prog[sig];
	self_ids();
	if (T.pid != prog_pid)
		return;
	if (call->args[1] == 0 || tr_peek(&act, (uintptr_t)call->args[1], sizeof(act)) != sizeof(act))
		return;
	/* recorded at exit, once the kernel has the new action: until then
	 * a signal still comes to the handler the program had */
	r->new_prog = act;
	r->set_prog = true;
	bool dfl = act.handler == (unsigned long)SIG_DFL, ign = act.handler == (unsigned long)SIG_IGN;
	/* with signal=none the program's handlers run unwrapped; the default
	 * actions stay watched for the +++ killed by +++ line */
	if (ign || (dfl && !watched[sig]) || (!dfl && !opt.signals))
		return;
	extern void tracer_on_signal(int, siginfo_t *, void *);
	r->act = act;
	r->act.handler = (unsigned long)tracer_on_signal;
	r->act.flags |= SA_SIGINFO;
	if (dfl) {
		/* ours, for the +++ killed by +++ line: no flags of the program's */
		r->act.flags = SA_SIGINFO | SA_RESTORER_FLAG;
		r->act.restorer = prog[0].restorer;
		r->act.mask = 0;
		if (r->act.restorer == 0)
			return;
	}
	r->orig_act = call->args[1];
	call->args[1] = (long)&r->act;
}

static void sigaction_exit(struct zpoline_call *call, struct rec *r)
{
	int sig = (int)call->args[0];
	extern void tracer_on_signal(int, siginfo_t *, void *);

	if (r->orig_act != 0)
		call->args[1] = r->orig_act;
	if (sig <= 0 || sig > 64)
		return;
	/* EFAULT with an action we could read: the kernel read it too, and
	 * set it, before it could not write the old one */
	if (r->set_prog && (call->ret == 0 || call->ret == -EFAULT))
		prog[sig] = r->new_prog;
	if (call->ret < 0)
		return;
	struct ksigaction old;
	/* (SIG_DFL left by SA_RESETHAND keeps the flags and mask of the
	 * action it replaced, ours: tracer_on_signal noted the reset) */
	if (call->args[2] != 0 && tr_peek(&old, (uintptr_t)call->args[2], sizeof(old)) == sizeof(old) &&
	    (old.handler == (unsigned long)tracer_on_signal ||
	     (old.handler == (unsigned long)SIG_DFL && r->old_prog.handler == (unsigned long)SIG_DFL &&
	      (r->old_prog.flags & SA_RESETHAND)))) {
		/* the program reads back its own handler */
		struct ksigaction fix = r->old_prog;
		/* as the kernel keeps it: KILL and STOP cannot be blocked,
		 * and the flags it does not know are dropped (it kept those
		 * of ours, which are the program's and SA_SIGINFO) */
		fix.mask &= ~(1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1));
		fix.flags &= old.flags;
		memcpy((void *)call->args[2], &fix, sizeof(fix));
	}
	if (T.pid == prog_pid && prog[0].restorer == 0 && (prog[sig].flags & SA_RESTORER_FLAG))
		prog[0].restorer = prog[sig].restorer;
}

static void finish(struct rec *r, long nr, const long *args, long ret);

static bool started;
static void watch_defaults(void);

/* start -- what needs system calls or thread-local storage, at the first
 * call rather than in init: while the runtime starts it cannot take the
 * calls that the program's (rewritten) libc makes for us, and the first
 * use of our TLS allocates through that libc */
static void start(void)
{
	started = true;
	self_ids();
	/* a new image: execve ended the old one's other threads, whose
	 * buffers are of no thread now: the lines they had formatted go
	 * out, then, as strace shows them, the calls they were in, = ?, and
	 * their end. The exec'ing thread's buffer too: its execve's line
	 * was kept there, and exec_done ends it with = 0. */
	pid_t exec_tid = T.tid;
	for (int i = 0; i < 8; i++)
		if (sh->execs[i].pid == T.pid)
			exec_tid = sh->execs[i].tid;
	for (int i = 0; bufs != NULL && i < TR_BUF_SLOTS; i++) {
		struct tr_outslot *o = &sh->out[i];
		if (o->tid == 0 || o->pid != T.pid)
			continue;
		unsigned len = TR_LEN(__atomic_load_n(&o->len, __ATOMIC_ACQUIRE));
		lock();
		if (len > 0 && len <= TR_OUT_CAP)
			write_lines(bufs + (size_t)i * TR_BUF_SIZE, len);
		const char *text;
		int joined;
		unsigned kept = o->tid == exec_tid ? 0 :
			tr_unfinished(sh, o, bufs + (size_t)i * TR_BUF_SIZE, &text, &joined);
		if (kept > 0 && joined) {
			dev_write(text, kept);
			sh->pending = 0;
		} else if (kept > 0) {
			write_lines(text, kept);
		}
		if (o->tid != exec_tid && !opt.json && opt.ff[0] == '\0') {
			/* strace 6.1: the leader, when another thread execs,
			 * is "superseded"; the others "exited with 0" */
			char end[80];
			int n = o->tid == T.pid ?
				snprintf(end, sizeof(end), "[pid %5d] +++ superseded by execve in pid %d +++\n",
					 o->tid, (int)exec_tid) :
				snprintf(end, sizeof(end), "[pid %5d] +++ exited with 0 +++\n", o->tid);
			write_lines(end, (size_t)n);
		}
		__atomic_store_n(&o->len, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&o->tid, 0, __ATOMIC_RELEASE);
		unlock();
	}
	exec_done();
	T.last_flush = now_ns(CLOCK_MONOTONIC_COARSE);
	if (root_pid == 0)
		root_pid = T.pid;
	watch_defaults();
}

/* maps_change -- nr can make memory that tr_peek read unreadable (its
 * page cache, decode.c): 1, or 2 if it can do so later with no call */
static int maps_change(long nr, const long *args)
{
	switch (nr) {
	case SYS_munmap: case SYS_mremap: case SYS_mprotect: case SYS_pkey_mprotect: case SYS_brk:
	case SYS_shmat: case SYS_shmdt: case SYS_madvise: case SYS_process_madvise:
	case SYS_remap_file_pages: case SYS_truncate: case SYS_ftruncate: case SYS_fallocate:
		return 1;
	case SYS_mmap:
		return (args[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == MAP_FIXED;
	case SYS_pkey_alloc: case SYS_userfaultfd:
		return 2;
	}
	return 0;
}

static void child_start(bool shares);
static void exec_watch(void);

/* take_rec -- a record for a call entering: one no call waits in. A call
 * keeps its record until its exit, however many calls a signal handler
 * makes inside it (between its enter and exit: while it is in the kernel,
 * or as it returns). The ring came round to it after RING of them, and
 * its exit took another call's record: that the handler's frame had shown
 * its line was lost, and the line came again. With every record waiting,
 * the oldest: most likely a call that will never return (one a handler
 * left by siglongjmp). */
static struct rec *take_rec(void)
{
	struct rec *r = NULL;

	for (unsigned i = 0; i < RING && r == NULL; i++) {
		struct rec *q = &T.ring[T.ring_pos++ % RING];
		if (!q->busy)
			r = q;
	}
	for (unsigned i = 0; r == NULL && i < RING; i++)
		if (i == 0 || (int32_t)(T.ring[i].gen - r->gen) < 0)
			r = &T.ring[i];
	memset(r, 0, offsetof(struct rec, act));
	r->gen = ++T.gen;
	r->busy = true;
	T.entering = r;
	return r;
}

/* put_rec -- r's call is back: its record is free, and so are those taken
 * after it still waiting, whose calls cannot return any more (a vfork
 * child's execve, a call a handler inside r's left by siglongjmp) */
static void put_rec(struct rec *r)
{
	/* (none taken after it: the usual case, no walk) */
	for (unsigned i = 0; r->gen != T.gen && i < RING; i++)
		if (T.ring[i].busy && (int32_t)(T.ring[i].gen - r->gen) > 0)
			T.ring[i].busy = false;
	r->busy = false;
}

static int enter_call(struct zpoline_call *call, uint64_t *slot);

/* enter_impl -- the call's enter; a record whose exit will not come (the
 * call answered here, one not followed, rt_sigreturn) is free again */
static int enter_impl(struct zpoline_call *call, uint64_t *slot)
{
	int ret;

	T.entering = NULL;
	ret = enter_call(call, slot);
	if (T.entering != NULL && (ret == ZPOLINE_DONE || *slot == 0 || call->nr == SYS_rt_sigreturn))
		T.entering->busy = false;
	return ret;
}

static int enter_call(struct zpoline_call *call, uint64_t *slot)
{
	long nr = call->nr;
	unsigned props;
	struct rec *r;
	int mc = maps_change(nr, call->args);

	if (mc)
		tr_maps_change(true, mc == 2);

	if (T.in_wrapper) {
		/* in sud mode even our own calls come here: not the program's */
		*slot = 0;
		return ZPOLINE_CALL;
	}
	if (__builtin_expect(T.vforking, 0))
		child_start(true);      /* a clone's child on a stack of its own */
	if (__builtin_expect(T.forking, 0) && getpid() != T.pid) {
		/* a fork-like clone's child on a stack of its own */
		T.forking = false;
		child_start(false);
	}
	if (!started)
		start();
	self_ids();
	if (forks(nr) && !shares_memory(nr, call))
		T.forking = true;
	*slot = 0;
	r = take_rec();
	if (nr == SYS_rt_sigaction)
		sigaction_enter(call, r);
	if (nr == SYS_exit)
		forget_thread();
	if (nr == SYS_exit_group)
		ownfd_exit_status(&sh->write_error, call, root_pid);
	switch (nr) {
	case SYS_exit_group: case SYS_exit: case SYS_execve: case SYS_execveat:
	case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
	case SYS_kill: case SYS_tkill: case SYS_tgkill:
		/* the buffer would be lost, or copied into a child */
		flush();
		break;
	}
	if (nr == SYS_exit)
		out_release();
	if (nr == SYS_execve || nr == SYS_execveat) {
		proc_exec(true);
		exec_watch();
		/* the new image finds them in sh: under the numbers they
		 * have here when the program made them move */
		if (buf_fd > 2 && sh->buf_fd != buf_fd)
			sh->buf_fd = buf_fd;
		if (exec_sock > 2 && sh->exec_sock != exec_sock)
			sh->exec_sock = exec_sock;
	}
	if ((nr == SYS_dup2 || nr == SYS_dup3) && ff_fd >= 0 && call->args[1] == ff_fd &&
	    call->args[0] != ff_fd) {
		/* the program wants the number of our -ff file: ours moves */
		int hi = fcntl(ff_fd, F_DUPFD_CLOEXEC, 900);
		if (hi >= 0) {
			close(ff_fd);
			ff_fd = hi;
		}
	}
	long denied = ownfd_check(call);
	/* --no-follow: the process's end from a thread we do not follow
	 * shows as the end alone */
	bool other_end = opt.nofollow && nr == SYS_exit_group && T.tid != T.pid;
	if (!shown(nr) || other_end) {
		if (denied) {
			call->ret = denied;
			*slot = 0;
			return ZPOLINE_DONE;
		}
		/* wanted for the bookkeeping only; a process's end shows anyway */
		if (nr == SYS_exit_group || nr == SYS_exit)
			exited_line((int)call->args[0] & 0xff, false, call->args, nr);
		*slot = (uint64_t)(r - T.ring) + 1;
		r->seq = 0;
		return ZPOLINE_CALL;
	}
	*slot = (uint64_t)(r - T.ring) + 1;
	r->seq = ++T.seq;
	r->nr = nr;
	memcpy(r->args, call->args, sizeof(r->args));
	T.cur = r;
	if (timed())
		r->t0 = now_ns(opt.tstamp || opt.relative || opt.json ? CLOCK_REALTIME : CLOCK_MONOTONIC);
	if (denied) {
		/* our descriptor, which the program does not have: its line
		 * shows what the program gets */
		struct tr_call c = { .nr = nr };
		memcpy(c.args, call->args, sizeof(c.args));
		tr_capture(&c);
		r->saved = c.saved;
		finish(r, nr, call->args, denied);
		T.cur = NULL;
		call->ret = denied;
		*slot = 0;
		return ZPOLINE_DONE;
	}
	if (opt.ninject && (r->inject = want_inject(nr)) != 0) {
		const struct zp_inject *in = &opt.inject[r->inject - 1];
		if (in->delay_enter_us)
			delay_us(in->delay_enter_us);
		if (in->error || in->has_retval) {
			/* no kernel, and no exit of ours: the whole line now */
			long ret = in->error ? -in->error : in->retval;
			struct tr_call c = { .nr = nr };
			memcpy(c.args, call->args, sizeof(c.args));
			tr_capture(&c);
			r->saved = c.saved;
			r->injected = true;
			finish(r, nr, call->args, ret);
			T.cur = NULL;
			if (in->delay_exit_us)
				delay_us(in->delay_exit_us);
			if (in->signal) {
				flush();
				syscall(SYS_tgkill, T.pid, T.tid, in->signal);
			}
			call->ret = ret;
			*slot = 0;
			return ZPOLINE_DONE;
		}
	}
	props = tr_props(nr);
	if (opt.json && (props & TR_NORETURN)) {
		exited_line((int)call->args[0] & 0xff, (opt.status & ZP_STATUS_UNFINISHED) != 0, call->args, nr);
		return ZPOLINE_CALL;
	}
	T.level++;
	struct tr_call c = { .nr = nr, .exiting = false };
	memcpy(c.args, call->args, sizeof(c.args));
	if (r->orig_act)
		c.args[1] = r->orig_act;
	if (nr == SYS_rt_sigreturn && opt.signals && T.uc != 0 && !opt.json &&
	    (opt.status & ZP_STATUS_SUCCESSFUL)) {
		/* the mask and the result are in the frame the handler returned from */
		ucontext_t *uc = (ucontext_t *)T.uc;
		struct tr_buf b = line_buf();
		put_prefix(&b, r->t0);
		tr_puts(&b, "rt_sigreturn({mask=");
		tr_print_sigset(&b, &fmt, (const uint64_t *)&uc->uc_sigmask, 1);
		tr_puts(&b, "})");
		tr_pad(&b, &fmt, 0);
		long rax = (long)uc->uc_mcontext.gregs[REG_RAX];
		tr_puts(&b, " = ");
		if (rax < 0 && rax >= -4095)
			tr_put_errno(&b, -rax);
		else
			tr_putd(&b, rax);
		tr_putc(&b, '\n');
		T.uc = 0;
		emit(b.p, b.len);
		T.level--;
		return ZPOLINE_CALL;
	}
	/* only what the kernel may overwrite is read now */
	tr_capture(&c);
	r->saved = c.saved;
	if ((props & TR_NORETURN) && !opt.json) {
		/* exit and exit_group: "= ?", which strace counts as unfinished;
		 * the end of the task shows whatever the status filter */
		int st = (int)call->args[0] & 0xff;
		struct tr_buf b = line_buf();
		char tail[64];
		int n;
		if (opt.status & ZP_STATUS_UNFINISHED) {
			put_prefix(&b, r->t0);
			tr_print_enter(&b, &fmt, &c, rt->syscall_name(nr));
			c.ret = 0;
			c.exiting = true;
			tr_print_exit(&b, &fmt, &c, 0);
			tr_putc(&b, '\n');
		}
		bool ends = !others_unseen(nr);
		if (!ends)
			n = 0;
		else if (is_multi() && opt.ff[0] == '\0')
			n = snprintf(tail, sizeof(tail), "[pid %5d] +++ exited with %d +++\n", (int)T.tid, st);
		else
			n = snprintf(tail, sizeof(tail), "+++ exited with %d +++\n", st);
		lock();
		flush_locked();
		if (b.len > 0)
			write_lines(b.p, b.len);
		if (nr == SYS_exit_group)
			others_unfinished(true, st);
		if (n > 0)
			write_lines(tail, (size_t)n);
		if (ends && (nr == SYS_exit_group || last_thread()))
			proc_ended();
		unlock();
	} else if ((props & (TR_BLOCKS | TR_EXEC)) && !opt.json) {
		/* the entering half goes out at once when either result shows:
		 * otherwise the result decides at exit */
		bool early = (opt.status & (ZP_STATUS_SUCCESSFUL | ZP_STATUS_FAILED)) ==
			     (ZP_STATUS_SUCCESSFUL | ZP_STATUS_FAILED);
		struct tr_buf b = line_buf();
		put_prefix(&b, r->t0);
		tr_print_enter(&b, &fmt, &c, rt->syscall_name(nr));
		r->col = b.len;
		lock();
		if (early) {
			flush_locked();
			write_lines(b.p, b.len);
			sh->pending = (uint64_t)T.tid << 32 | r->seq;
			r->partial = true;
			T.partial_open = true;
			proc_blocked(T.tid, nr);
		}
		if (props & TR_EXEC)
			exec_note(nr, b.p, b.len, early);
		if (early)
			keep_partial(r, &c);
		unlock();
	}
	if (!r->partial && !(props & (TR_NORETURN | TR_EXEC)))
		keep_call(r, &c);
	if (forks(nr) && shares_tls(nr, call)) {
		T.vf = (struct vf_save){ true, T.tid, T.out, T.out_slot, T.kept, T.call_len, T.cur };
		T.vforking = true;
	}
	T.level--;
	return ZPOLINE_CALL;
}

static void put_json_call(struct tr_buf *b, struct tr_call *c, struct rec *r, uint64_t t1)
{
	struct tr_buf text = { T.line[2], 0, sizeof(T.line[2]) };
	const char *name = rt->syscall_name(c->nr);
	struct tr_fmt plain = fmt;

	plain.json = false;
	plain.align = false;
	if (r->hlen != 0 && T.kept == r->seq && r->hlen + 2 < b->cap) {
		/* the record as keep_call began it, up to the arguments known
		 * at enter; then those the result filled in */
		memcpy(b->p, r->half, r->hlen);
		b->len = r->hlen;
		c->next_arg = r->next_arg;
		tr_putc(&text, '(');
		tr_print_exit(&text, &plain, c, 0);
		size_t at = b->len;
		bool none_before = b->p[at - 1] == '[';
		tr_json_args(b, text.p, text.len);
		if (b->len == at + 2) {
			b->len = at;            /* "[]": nothing more */
			tr_putc(b, ']');
		} else if (none_before) {
			memmove(b->p + at, b->p + at + 1, b->len - at - 1);
			b->len--;
			b->p[b->len] = '\0';
		} else if (b->len + 1 < b->cap) {
			memmove(b->p + at + 2, b->p + at + 1, b->len - at - 1);
			b->p[at] = ',';
			b->p[at + 1] = ' ';
			b->len++;
			b->p[b->len] = '\0';
		}
	} else {
		put_json_head(b, "syscall", r->t0 ? r->t0 : t1);
		tr_puts(b, ", \"name\": ");
		if (name)
			tr_put(b, "\"%s\"", name);
		else
			tr_put(b, "\"syscall_%#lx\"", (unsigned long)c->nr);
		tr_print_enter(&text, &plain, c, "");
		tr_print_exit(&text, &plain, c, 0);
		/* the same decoders' text, read back as JSON values (json.c) */
		tr_puts(b, ", \"args\": ");
		tr_json_args(b, text.p, text.len);
	}
	if (c->ret < 0 && c->ret >= -4095) {
		const char *en = tr_errno_name(-c->ret);
		tr_put(b, ", \"ret\": -1, \"errno\": \"%s\"", en ? en : "?");
	} else {
		tr_put(b, ", \"ret\": %ld", c->ret);
	}
	if (r->injected)
		tr_puts(b, ", \"injected\": true");
	if (r->t0)
		tr_put(b, ", \"duration\": %lu.%06lu", (unsigned long)((t1 - r->t0) / 1000000000u),
		       (unsigned long)((t1 - r->t0) / 1000 % 1000000));
	tr_puts(b, "}\n");
}

/* finish -- the line, or the rest of it, of a call whose result is known */
static void finish(struct rec *r, long nr, const long *args, long ret)
{
	bool failed = ret < 0 && ret >= -4095;

	if (!(opt.status & (failed ? ZP_STATUS_FAILED : ZP_STATUS_SUCCESSFUL)) && !r->partial)
		return;
	uint64_t t1 = timed() ? now_ns(opt.tstamp || opt.relative || opt.json ? CLOCK_REALTIME : CLOCK_MONOTONIC) : 0;
	struct tr_call c = { .nr = nr, .ret = ret, .exiting = true, .saved = r->saved,
			     .injected = r->injected };
	memcpy(c.args, args, sizeof(c.args));
	if (r->orig_act)
		c.args[1] = r->orig_act;
	T.level++;
	struct tr_buf b = line_buf();
	if (opt.json) {
		put_json_call(&b, &c, r, t1);
	} else if (r->partial) {
		/* the entering half is out: print the rest */
		struct tr_buf head = { T.line[2], 0, sizeof(T.line[2]) };
		tr_print_enter(&head, &fmt, &c, rt->syscall_name(nr));    /* finds next_arg */
		c.saved = r->saved;
		lock();
		drop_call(r);
		uint64_t mine = (uint64_t)T.tid << 32 | r->seq;
		size_t start;
		bool joined = sh->pending == mine;
		if (joined) {
			start = b.len - r->col;     /* the line began in the earlier write */
		} else {
			flush_locked();
			start = b.len;
			if (is_multi() && opt.ff[0] == '\0')
				tr_put(&b, "[pid %5d] ", (int)T.tid);
			tr_put(&b, "<... %s resumed>", rt->syscall_name(nr) ? rt->syscall_name(nr) : "syscall");
		}
		tr_print_exit(&b, &fmt, &c, start);
		if (r->injected)
			tr_puts(&b, " (INJECTED)");
		if (opt.timing)
			tr_put(&b, " <%lu.%06lu>", (unsigned long)((t1 - r->t0) / 1000000000u),
			       (unsigned long)((t1 - r->t0) / 1000 % 1000000));
		tr_putc(&b, '\n');
		end_line(b.p, b.len, joined);
		b.len = 0;
	} else {
		if (r->hlen != 0 && T.kept == r->seq && r->hlen < b.cap) {
			/* the entering half, formatted at enter (keep_call) */
			memcpy(b.p, r->half, r->hlen);
			b.len = r->hlen;
			c.next_arg = r->next_arg;
		} else {
			put_prefix(&b, r->t0);
			tr_print_enter(&b, &fmt, &c, rt->syscall_name(nr));
		}
		c.saved = r->saved;
		tr_print_exit(&b, &fmt, &c, 0);
		if (r->injected)
			tr_puts(&b, " (INJECTED)");
		if (opt.timing)
			tr_put(&b, " <%lu.%06lu>", (unsigned long)((t1 - r->t0) / 1000000000u),
			       (unsigned long)((t1 - r->t0) / 1000 % 1000000));
		tr_putc(&b, '\n');
	}
	if (b.len > 0 && T.kept == r->seq) {
		/* the store of the buffer's new length drops the kept line:
		 * a SIGKILL shows the call once */
		T.kept = 0;
		T.call_len = 0;
	}
	if (b.len > 0)
		emit(b.p, b.len);
	T.level--;
}

/* child_start -- a fork-like call's child, at its first step: as strace,
 * the call shows once, in the parent, and the child has none of the
 * parent's state (on which a vfork child runs, T being the parent's) */
static void child_start(bool shares)
{
	__atomic_store_n(&sh->multi, 1, __ATOMIC_RELAXED);
	T.vforking = false;
	T.pid = 0;
	self_ids();
	if (!shares) {
		thread_state_adopt(my_tls);     /* its own copy */
		prog_pid = T.pid;       /* its own copy of the handlers */
		T.vf.active = false;
		T.stash.by = 0;
	}
	T.outlen = 0;
	/* the parent's buffer is shared memory: the child takes its own */
	T.out = NULL;
	T.out_slot = -1;
	T.kept = 0;
	T.call_len = 0;
	T.partial_open = false;
	T.cur = NULL;
}

/* intr_code -- the code the kernel had for call nr (args) before it made
 * it a restart (restart; rblock: by restart_syscall) or EINTR for a
 * signal's handler, which strace sees at the call's exit and shows: EINTR
 * itself for the waits that return it (checked against strace here) */
static long intr_code(long nr, const long *args, bool restart, bool rblock)
{
	if (rblock)
		return ZP_ERESTART_RESTARTBLOCK;
	if (restart)
		return ZPOLINE_ERESTARTSYS;
	switch (nr) {
	case SYS_clock_nanosleep:
		/* an absolute sleep is not made again by restart_syscall */
		return args[1] & TIMER_ABSTIME ? ZP_ERESTARTNOHAND : ZP_ERESTART_RESTARTBLOCK;
	case SYS_nanosleep: case SYS_poll:
		return ZP_ERESTART_RESTARTBLOCK;
	case SYS_futex: {
		/* a wait with a timeout goes on by restart_syscall */
		long op = args[1] & FUTEX_CMD_MASK;
		return (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) && args[3] != 0 ? ZP_ERESTART_RESTARTBLOCK
										   : ZPOLINE_ERESTARTSYS;
	}
	case SYS_rt_sigsuspend: case SYS_pause: case SYS_ppoll: case SYS_select: case SYS_pselect6:
		return ZP_ERESTARTNOHAND;
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_rt_sigtimedwait:
		return EINTR;
	}
	return ZPOLINE_ERESTARTSYS;
}

static void exit_impl(struct zpoline_call *call, uint64_t *slot)
{
	long nr = call->nr;
	struct rec *r;

	if (maps_change(nr, call->args))
		tr_maps_change(false, false);

	ownfd_moved(call);
	ownfd_opened(call);
	if (forks(nr))
		T.forking = false;
	if ((nr == SYS_vfork || ((nr == SYS_clone || nr == SYS_clone3) && shares_memory(nr, call))) &&
	    call->ret > 0) {
		/* the parent resumes on storage its child used: it is itself
		 * again, whatever happens to the record below */
		T.pid = 0;
		self_ids();
	}
	if (T.vf.active && call->ret != 0 && forks(nr) && T.vf.tid == T.tid) {
		/* back from a call whose child ran on this state */
		T.out = T.vf.out;
		T.out_slot = T.vf.out_slot;
		T.kept = T.vf.kept;
		T.call_len = T.vf.call_len;
		T.cur = T.vf.cur;
		T.vf.active = false;
		T.vforking = false;
	}
	if (*slot == 0 || *slot > RING)
		return;
	/* an exec returns 0 or an error: a child's pid here is the vfork
	 * parent coming back through the frame its child's execve left */
	if ((nr == SYS_execve || nr == SYS_execveat) && call->ret > 0) {
		/* the child ran on this thread's storage: ask again */
		T.pid = 0;
		self_ids();
		put_rec(&T.ring[*slot - 1]);
		return;
	}
	self_ids();
	if (nr == SYS_execve || nr == SYS_execveat)
		proc_exec(false);
	if (my_proc >= 0 && sh->procs[my_proc].blocked_tid == T.tid)
		proc_blocked(0, 0);
	r = &T.ring[*slot - 1];
	if (r->seq != 0 && r->nr != nr) {
		/* a vfork child's calls ran on this thread's slots: the
		 * parent's vfork is the latest record of its number */
		struct rec *found = NULL;
		for (unsigned i = 1; i <= RING && found == NULL; i++) {
			struct rec *q = &T.ring[(T.ring_pos - i) % RING];
			if (q->nr == nr && q->seq != 0)
				found = q;
		}
		if (found == NULL)
			return;
		r = found;
	}
	if (T.cur == r)
		T.cur = NULL;
	if (nr == SYS_rt_sigaction)
		sigaction_exit(call, r);
	if (nr == SYS_sigaltstack && call->ret == 0 && call->args[0] != 0) {
		stack_t ss;
		if (tr_peek(&ss, (uintptr_t)call->args[0], sizeof(ss)) == sizeof(ss)) {
			T.alt_lo = ss.ss_flags & SS_DISABLE ? 0 : (uintptr_t)ss.ss_sp;
			T.alt_hi = ss.ss_flags & SS_DISABLE ? 0 : (uintptr_t)ss.ss_sp + ss.ss_size;
		}
	}
	if ((nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork) && call->ret == 0) {
		/* (a child sharing our memory runs on its parent's records,
		 * whose call is still to return) */
		bool shares = shares_memory(nr, call);
		if (!shares)
			put_rec(r);
		/* under --no-follow the runtime lets the child go: not ours */
		if (!opt.nofollow)
			child_start(shares);
		return;
	}
	put_rec(r);
	if ((nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork) && call->ret > 0) {
		__atomic_store_n(&sh->multi, 1, __ATOMIC_RELAXED);
		/* a vfork child ran on this thread's storage: ask again, and
		 * its exec is not a call of ours in flight */
		T.pid = 0;
		self_ids();
		if (T.cur != NULL && T.cur != r)
			T.cur = NULL;
	}
	if (r->seq == 0)
		return;
	if (nr == SYS_execve || nr == SYS_execveat)
		exec_forget();
	if (r->done) {
		/* a signal handler's line already showed it */
		r->done = false;
	} else if (call->ret == -EINTR && !opt.json && rt->abi_version >= 4 && rt->interrupted() != 0) {
		/* the handler of the signal that ended it runs next, at the
		 * call site: strace shows the code the kernel had */
		finish(r, nr, call->args, -intr_code(nr, call->args, false, false));
	} else {
		if (r->restarted) {
			/* shown as ERESTARTSYS; the restarted call gets a line of its own */
			r->partial = false;
		}
		finish(r, nr, call->args, call->ret);
	}
	drop_call(r);
	if (r->inject) {
		const struct zp_inject *in = &opt.inject[r->inject - 1];
		if (in->delay_exit_us)
			delay_us(in->delay_exit_us);
		if (in->signal) {
			flush();
			syscall(SYS_tgkill, T.pid, T.tid, in->signal);
		}
	}
}

/* its_entry -- the registers at uc are those of r's own kernel entry,
 * which keeps the argument registers: not another call's, such as the
 * runtime's that lets through a signal it held back while the hooks ran
 * (between our enter and the call) */
static bool its_entry(const ucontext_t *uc, const struct rec *r)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	return g[REG_RDI] == r->args[0] && g[REG_RSI] == r->args[1] && g[REG_RDX] == r->args[2] &&
	       g[REG_R10] == r->args[3] && g[REG_R8] == r->args[4] && g[REG_R9] == r->args[5];
}

/* complete_interrupted -- a signal arrived as the current call returned:
 * strace shows the call's result before the signal, so we do too */
__attribute__((noinline)) static void complete_interrupted(ucontext_t *uc)
{
	struct rec *r = T.cur;
	unsigned char insn[2];

	if (r == NULL || r->seq == 0 || r->done || uc == NULL || T.level != 0 || !its_entry(uc, r))
		return;
	long rip = uc->uc_mcontext.gregs[REG_RIP], rax = uc->uc_mcontext.gregs[REG_RAX];
	if (tr_peek(insn, (uintptr_t)rip - 2, 2) == 2 && insn[0] == 0x0f && insn[1] == 0x05 &&
	    !(rax == -EINTR && !opt.json)) {
		finish(r, r->nr, r->args, rax);
		drop_call(r);
		r->done = true;
		T.cur = NULL;
		return;
	}
	/* (made and to be made again: %rcx is the return address the
	 * instruction left; a signal just before it finds it not made) */
	bool restart = tr_peek(insn, (uintptr_t)rip, 2) == 2 && insn[0] == 0x0f && insn[1] == 0x05 &&
		       (rax == r->nr || rax == SYS_restart_syscall) &&
		       uc->uc_mcontext.gregs[REG_RCX] == rip + 2;
	bool intr = rax == -EINTR && tr_peek(insn, (uintptr_t)rip - 2, 2) == 2 && insn[0] == 0x0f &&
		    insn[1] == 0x05;
	if ((restart || intr) && !opt.json) {
		/* what the kernel had before it turned it into a restart or
		 * EINTR for the handler, as strace shows it */
		char buf[160];
		struct tr_buf why = { buf, 0, sizeof(buf) };
		tr_put_errno(&why, intr_code(r->nr, r->args, restart, rax == SYS_restart_syscall));
		struct tr_buf b = line_buf();
		struct tr_call c = { .nr = r->nr, .exiting = false };
		memcpy(c.args, r->args, sizeof(c.args));
		c.saved = r->saved;
		if (!r->partial) {
			put_prefix(&b, r->t0);
			tr_print_enter(&b, &fmt, &c, rt->syscall_name(r->nr));
		} else {
			tr_print_enter(&(struct tr_buf){ T.line[2], 0, sizeof(T.line[2]) }, &fmt, &c,
				       rt->syscall_name(r->nr));
		}
		/* the arguments the kernel fills in are not there: addresses */
		lock();
		uint64_t mine = (uint64_t)T.tid << 32 | r->seq;
		bool joined = r->partial && sh->pending == mine;
		if (r->partial && !joined) {
			flush_locked();
			if (is_multi() && opt.ff[0] == '\0')
				tr_put(&b, "[pid %5d] ", (int)T.tid);
			tr_put(&b, "<... %s resumed>", rt->syscall_name(r->nr));
		}
		size_t start = joined ? b.len - r->col : 0;
		c.ret = -EINTR;     /* the output arguments print as addresses */
		c.exiting = true;
		const struct tr_fmt *f = &fmt;
		struct tr_buf tail = { T.line[2], 0, sizeof(T.line[2]) };
		tr_print_exit(&tail, f, &c, 0);
		/* swap the result tr_print_exit wrote for the restart's */
		char *eq = strstr(tail.p, " = -1 EINTR");
		if (eq != NULL) {
			*eq = '\0';
			tail.len = (size_t)(eq - tail.p);
		}
		tr_put(&b, "%s", tail.p);
		/* tail held only ") ", padded from 0: pad again from the real start */
		while (b.len > 0 && b.p[b.len - 1] == ' ')
			b.len--;
		tr_pad(&b, &fmt, start);
		tr_put(&b, " = %s\n", buf);
		drop_call(r);
		end_line(b.p, b.len, joined);
		r->restarted = restart;
		r->done = !restart;
		r->partial = false;
		T.cur = NULL;
	}
}


/* ---- a stack of our own ---- */

void tracer_call_on(void (*fn)(void *), void *arg, void *top);

struct hop {
	struct zpoline_call *call;
	uint64_t *slot;
	int ret;
	int sig;
	siginfo_t *si;
	void *uc;
};

/* own_stack -- the top of this thread's formatting stack, or NULL when we
 * are on it already (a signal handler inside our own code) or have none */
static char *own_stack(void)
{
	char here;

	if (T.stack == NULL) {
		void *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		T.stack = p;
	}
	if (&here >= T.stack && &here < T.stack + STACK_SIZE)
		return NULL;
	return T.stack + STACK_SIZE - 64;
}

/* run_on_own -- fn(arg) on our stack. On the program's sigaltstack, with
 * signals blocked meanwhile: a signal with SA_ONSTACK arriving while we
 * are off the altstack would get its frame at the altstack's top, over
 * the frames of the handler we were called from. */
static void run_on_own(void (*fn)(void *), void *arg, char *top)
{
	char here;
	uintptr_t sp = (uintptr_t)&here;

	if (sp >= T.alt_lo && sp < T.alt_hi) {
		uint64_t all = ~(1ull << (SIGSEGV - 1) | 1ull << (SIGBUS - 1) | 1ull << (SIGILL - 1) |
				 1ull << (SIGFPE - 1) | 1ull << (SIGTRAP - 1) | 1ull << (SIGSYS - 1));
		uint64_t old;
		if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, 8) == 0) {
			tracer_call_on(fn, arg, top);
			syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
			return;
		}
		fn(arg);
		return;
	}
	tracer_call_on(fn, arg, top);
}

static void enter_thunk(void *p)
{
	struct hop *h = p;

	h->ret = enter_impl(h->call, h->slot);
}

static void exit_thunk(void *p)
{
	struct hop *h = p;

	exit_impl(h->call, h->slot);
}

static int tracer_enter(struct zpoline_call *call, uint64_t *slot)
{
	struct hop h = { call, slot, 0, 0, NULL, NULL };
	char *top = own_stack();

	if (top == NULL)
		return enter_impl(call, slot);
	run_on_own(enter_thunk, &h, top);
	if (call->nr == SYS_exit) {
		/* the thread ends: its state and its stack go (we are off it
		 * now), unless they are another thread's that shares our TLS */
		char *stack = T.stack;
		if (thread_state_end((void **)&my_tls) && stack != NULL)
			munmap(stack, STACK_SIZE);
	}
	return h.ret;
}

static void tracer_exit(struct zpoline_call *call, uint64_t *slot)
{
	struct hop h = { call, slot, 0, 0, NULL, NULL };
	char *top = own_stack();

	if (top == NULL)
		exit_impl(call, slot);
	else
		run_on_own(exit_thunk, &h, top);
}

/* ---- signals ---- */

__attribute__((noinline)) static void signal_line(int sig, siginfo_t *si)
{
	char *buf = T.sigbuf;
	struct tr_buf b = { buf, 0, sizeof(T.sigbuf) };
	char tmp[16];

	if (opt.json) {
		struct tr_fmt jf = fmt;
		jf.json = true;
		put_json_head(&b, "signal", now_ns(CLOCK_REALTIME));
		tr_put(&b, ", \"signal\": \"%s\", \"siginfo\": ", tr_signame(sig, tmp, sizeof(tmp)));
		tr_print_siginfo(&b, &jf, si);
		tr_puts(&b, "}\n");
	} else {
		if (is_multi() && opt.ff[0] == '\0')
			tr_put(&b, "[pid %5d] ", (int)T.tid);
		tr_put(&b, "--- %s ", tr_signame(sig, tmp, sizeof(tmp)));
		tr_print_siginfo(&b, &fmt, si);
		tr_puts(&b, " ---\n");
	}
	lock();
	flush_locked();
	write_lines(b.p, b.len);
	unlock();
}

static long set_action(int sig, const struct ksigaction *act, struct ksigaction *old);

/* killed -- the default action of sig kills: say so, then die of it */
__attribute__((noinline)) static void killed(int sig, siginfo_t *si)
{
	/* the default action kills: say so, then die of it */
	char buf[128];
	char tmp[16];
	int n;
	struct rlimit core;
	/* a core is written only where the limit allows one */
	bool dumps = getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur != 0;

	if (opt.json)
		n = snprintf(buf, sizeof(buf), "{\"type\": \"killed\", \"pid\": %d, \"signal\": \"%s\"}\n",
			     (int)T.pid, tr_signame(sig, tmp, sizeof(tmp)));
	else
		n = snprintf(buf, sizeof(buf), "%s+++ killed by %s%s +++\n", "",
			     tr_signame(sig, tmp, sizeof(tmp)),
			     dumps && (sig == SIGQUIT || sig == SIGABRT || sig == SIGBUS || sig == SIGFPE ||
					sig == SIGSEGV || sig == SIGILL || sig == SIGSYS || sig == SIGTRAP ||
					sig == SIGXCPU || sig == SIGXFSZ) ? " (core dumped)" : "");
	struct ksigaction dfl = { 0, 0, 0, 0 };
	set_action(sig, &dfl, NULL);
	if (is_multi() && opt.ff[0] == '\0' && !opt.json) {
		char pre[32];
		int m = snprintf(pre, sizeof(pre), "[pid %5d] ", (int)T.tid);
		lock();
		flush_locked();
		others_unfinished(false, 0);
		write_lines(pre, (size_t)m);
		dev_write(buf, (size_t)n);
		proc_ended();
		unlock();
	} else {
		lock();
		flush_locked();
		others_unfinished(false, 0);
		write_lines(buf, (size_t)n);
		proc_ended();
		unlock();
	}
	/* a fault comes again when we return; anything else is sent again */
	if (si->si_code <= 0)
		syscall(SYS_tgkill, T.pid, T.tid, sig);

}

static void signal_thunk(void *p)
{
	struct hop *h = p;

	if (opt.signals)
		complete_interrupted(h->uc);
	/* -e signal=SET: which --- SIGxxx --- lines print */
	if (h->sig >= 1 && h->sig <= 64 && (opt.sigs >> (h->sig - 1) & 1))
		signal_line(h->sig, h->si);
}

__attribute__((visibility("hidden"))) void tracer_on_signal(int sig, siginfo_t *si, void *uc);
void tracer_on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct ksigaction h = prog[sig];
	bool was = T.in_wrapper;
	/* the kernel reset its action (ours) to the default, as the
	 * program's would have been */
	if ((h.flags & SA_RESETHAND) && h.handler != (unsigned long)SIG_DFL &&
	    h.handler != (unsigned long)SIG_IGN)
		prog[sig].handler = (unsigned long)SIG_DFL;
	/* in sud mode and with the safety net, the calls made here would
	 * each be a SIGSYS, its frame on the stack this handler runs on (an
	 * alternate stack of 8 KiB could not hold them): plain calls, until
	 * the program's handler runs */
	int allowed = own_calls(1);

	/* in sud and catch modes the calls made here come to our enter:
	 * they are ours, not the program's (and our rt_sigaction to SIG_DFL
	 * must not be turned into a handler again) */
	T.in_wrapper = true;
	/* --no-follow: a task the run does not follow (another thread; a
	 * forked child, whose T and prog_pid are copies of its parent's)
	 * shows no --- line. Such a child dies of the signal alone:
	 * killed() would say the traced process was killed, and send the
	 * signal again to T's task, its parent. (Another thread's death is
	 * the process's: killed() says so.) */
	pid_t self = opt.nofollow ? getpid() : 0;
	bool other_proc = opt.nofollow && prog_pid != 0 && prog_pid != self;
	bool unseen = other_proc || (opt.nofollow && gettid() != self);
	if (!other_proc)
		self_ids();
	/* not on our own stack: a signal with SA_ONSTACK arriving there
	 * (a SIGSYS of ours from a runtime without own_calls, one of the
	 * program's) would get its frame at the top of the program's
	 * sigaltstack, over the frame of the handler we are in */
	struct hop hp = { NULL, NULL, 0, sig, si, uc };
	if (!unseen)
		signal_thunk(&hp);
	if (h.handler == (unsigned long)SIG_IGN) {
		/* the program's action changed while this signal came */
		T.in_wrapper = was;
		own_calls(allowed);
		errno = saved;
		return;
	}
	if (h.handler == (unsigned long)SIG_DFL && other_proc) {
		struct ksigaction dfl = { 0, 0, 0, 0 };
		set_action(sig, &dfl, NULL);
		/* a fault comes again when we return */
		if (si->si_code <= 0)
			syscall(SYS_tgkill, self, gettid(), sig);
		T.in_wrapper = was;
		own_calls(allowed);
		errno = saved;
		return;
	}
	if (h.handler == (unsigned long)SIG_DFL) {
		killed(sig, si);
		T.in_wrapper = was;
		own_calls(allowed);
		errno = saved;
		return;
	}
	/* the program's handler's calls are the program's, even when this
	 * signal came inside our wrapper for another (was) */
	T.in_wrapper = false;
	own_calls(0);
	errno = saved;
	if (h.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h.handler)(sig, si, uc);
	else
		((void (*)(int))h.handler)(sig);
	saved = errno;
	own_calls(allowed);
	T.in_wrapper = was;
	errno = saved;
	if (!unseen)
		T.uc = (long)uc;
}

/* set_action -- rt_sigaction for the tracer itself. SIGSEGV and SIGILL
 * (SIGSYS in sud mode) belong to the runtime, which keeps the program's
 * action for them apart: those go through `next`, where the runtime
 * answers as it does for the program. */
static long set_action(int sig, const struct ksigaction *act, struct ksigaction *old)
{
	if (sig == SIGSEGV || sig == SIGILL || sig == SIGSYS)
		return rt->next(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0, 0);
	return syscall(SYS_rt_sigaction, sig, act, old, 8);
}

/* watch_defaults -- a handler on the signals whose default kills, so the
 * +++ killed by +++ line is written and the lines before it are out */
static void watch_defaults(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGBUS, SIGFPE,
				    SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU,
				    SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS };
	struct ksigaction cur, act;

	/* glibc's restorer: from a handler of the program's, else none yet */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int s = sigs[i];
		if (set_action(s, NULL, &cur) != 0)
			continue;
		prog[s] = cur;
		if (cur.handler != (unsigned long)SIG_DFL)
			continue;
		watched[s] = true;
		act.handler = (unsigned long)tracer_on_signal;
		act.flags = SA_SIGINFO | SA_RESTORER_FLAG;
		act.restorer = prog[0].restorer;
		act.mask = 0;
		if (act.restorer != 0)
			set_action(s, &act, NULL);
	}
}

extern void tracer_restore_rt(void);
__asm__(".text\n"
	".type tracer_restore_rt,@function\n"
	"tracer_restore_rt:\n"
	"\tmovq $15, %rax\n"
	"\tsyscall\n"
	"\thlt\n"
	".size tracer_restore_rt, .-tracer_restore_rt\n");

static int tracer_init(const struct zpoline_init *in)
{
	const char *root = getenv("ZPOLINE_ROOT_PID");
	char err[300];

	rt = in;
	if (zp_trace_parse(in->options, &opt, err, sizeof(err)) < 0) {
		char msg[400];
		int n = snprintf(msg, sizeof(msg), "zpoline: tracer: %s\n", err);
		in->trace_write(msg, (unsigned long)n);
		return -EINVAL;
	}
	fmt.strmax = opt.strmax;
	fmt.verbose = opt.verbose;
	fmt.xstyle = (enum tr_xstyle)opt.xstyle;
	fmt.fdpaths = opt.fdpaths;
	fmt.align = opt.align;
	_Static_assert(sizeof(struct tr_shared) <= 64 * 1024, "the tracer's shared memory is one slice");
	sh = in->shared != NULL && in->shared_size >= sizeof(struct tr_shared) ? in->shared : &private_shared;
	/* no thread-local storage here: its first use allocates, through
	 * the program's libc, which the runtime is still setting up */
	root_pid = root != NULL ? (pid_t)atoi(root) : 0;

	if (opt.narrowed) {
		/* the traced set, and what the bookkeeping needs */
		for (int i = 0; i < ZPOLINE_INTEREST_WORDS && i < ZP_TRACE_WORDS; i++)
			interest[i] = opt.trace[i];
		for (int i = 0; i < opt.ninject; i++)
			for (int w = 0; w < ZPOLINE_INTEREST_WORDS && w < ZP_TRACE_WORDS; w++)
				interest[w] |= opt.inject[i].set[w];
		static const long always[] = { SYS_exit, SYS_exit_group, SYS_clone, SYS_clone3,
					       SYS_fork, SYS_vfork, SYS_rt_sigaction, SYS_sigaltstack,
					       SYS_execve, SYS_execveat, SYS_kill, SYS_tkill, SYS_tgkill,
					       /* maps_change */
					       SYS_munmap, SYS_mremap, SYS_mprotect, SYS_pkey_mprotect, SYS_brk,
					       SYS_shmat, SYS_shmdt, SYS_madvise, SYS_process_madvise,
					       SYS_remap_file_pages, SYS_truncate, SYS_ftruncate, SYS_fallocate,
					       SYS_mmap, SYS_pkey_alloc, SYS_userfaultfd };
		for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
			ZPOLINE_WANT(interest, always[i]);
	} else {
		memset(interest, 0xff, sizeof(interest));
	}
	/* the calls that could write into our output */
	ownfd_init(opt.narrowed ? interest : NULL);
	/* the output buffers the watcher can flush after a SIGKILL: a memfd
	 * of the launcher's, checked as the runtime checks its own */
	if (sh != &private_shared && sh->buf_fd > 2) {
		int bfd = sh->buf_fd;
		struct stat st;
		if (bfd > 2 && fcntl(bfd, F_GET_SEALS) == TR_BUF_SEALS && fstat(bfd, &st) == 0 &&
		    S_ISREG(st.st_mode) && st.st_size == (off_t)TR_BUF_SLOTS * TR_BUF_SIZE) {
			void *m = mmap(NULL, (size_t)TR_BUF_SLOTS * TR_BUF_SIZE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, bfd, 0);
			if (m != MAP_FAILED) {
				bufs = m;
				/* and out of the program's sight; the number is
				 * this process's (the runtime moves it when the
				 * program takes it), not the run's in sh */
				buf_fd = bfd;
				ownfd_add(&buf_fd);
				in->own_fd(&buf_fd);
			}
		}
	}
	/* the watcher's socket for execve's end (exec_watch) */
	if (sh != &private_shared && sh->exec_sock > 2) {
		struct stat st;
		if (fstat(sh->exec_sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			exec_sock = sh->exec_sock;
			ownfd_add(&exec_sock);
			in->own_fd(&exec_sock);
			/* and our end of an execve's socket, while it is open */
			ownfd_add(&exec_fd);
			in->own_fd(&exec_fd);
		} else {
			sh->exec_sock = 0;
		}
	}
	/* our own restorer: the handlers we install before the program's */
	prog[0].restorer = (unsigned long)tracer_restore_rt;

	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_NO_X87, .name = "tracer", .init = tracer_init,
		    .enter = tracer_enter, .exit = tracer_exit, .interest = interest);
