/* counter -- counts calls, errors and time per system call, and prints a
 * summary like `strace -c` when the run ends.
 *
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    41.10    0.000185          12        15           openat
 *
 * Counts from every process of the run (forked or executed) add up in the
 * memory the runtime shares between them; the process that was started
 * first prints the table when it calls exit_group, with everything counted
 * by then (children that outlive it are not waited for). When it ends
 * otherwise (killed by a signal), the launcher's watcher (tool/watch.c)
 * prints it from that memory: the table and its format are in
 * src/counts.c, for both.
 *
 * Options (--hook-opt), words separated by spaces: sort=time (default),
 * calls, errors or name; trace=SET (strace's -e trace=, see
 * src/decode-opts.h): count only those calls, the others never reach the
 * hook (but execve, execveat and exit_group, not counted then). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <x86intrin.h>

#include <zpoline/hook.h>

#include "counts.h"

/* What runs on every call (enter, exit) touches general registers only,
 * so the hook can declare ZPOLINE_HOOK_GPR_ONLY: the runtime then saves
 * no vector state around it. The table is printed from fini, which runs on
 * exit_group's path, where the runtime saves the vector state anyway. */
#define HOT __attribute__((target("general-regs-only")))
/* what runs on execve's path alone, kept out of the others': called
 * last, it is a jump, and the other calls' path keeps its frameless shape */
#define COLD __attribute__((noinline, target("general-regs-only")))

static const struct zpoline_init *rt;
static struct zp_counts *tab;
static uint64_t interest[ZPOLINE_INTEREST_WORDS];
static pid_t root;
static enum zp_count_order order;
/* the clock (counts.h): the same in every process of the run */
static int use_tsc;
/* whether execve and execveat count: they reach the hook whatever
 * trace= says, as the root's execve tells the watcher its next image may
 * not be hooked */
static bool count_exec[2];

HOT static uint64_t ticks(void)
{
	return use_tsc ? __rdtsc() : zp_count_now_ns();
}

HOT static struct zp_count *row(long nr)
{
	return &tab->c[nr >= 0 && nr < ZP_COUNT_SLOTS ? nr : ZP_COUNT_SLOTS - 1];
}

HOT static void add(long nr, long ret, uint64_t t)
{
	struct zp_count *c = row(nr);

	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->ticks, t, __ATOMIC_RELAXED);
	if (ret < 0 && ret >= -4095)
		__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
}

/* What a call is to the counter, in one table (one load on every call's
 * path instead of a compare for each special call):
 *   PLAIN: counted as it comes back, with its time and error;
 *   UNCOUNTED: exit and exit_group, which strace -c leaves out;
 *   EXEC: execve and execveat, counted on the way in (they come back only
 *     when they fail);
 *   SIGRETURN: rt_sigreturn, counted on the way in (it never comes back);
 *   FORK: fork-like calls, which come back twice: counted once, in the
 *     parent, as strace does;
 *   SENDS, WRITES: calls after which the kernel may end the process with a
 *     signal they raised or let through, before any code of ours runs
 *     again: strace -c sees them return, then the process die, and counts
 *     them; so they are counted on the way in. SENDS is the kill family,
 *     which may signal the caller (abort's tgkill), and rt_sigprocmask,
 *     which may unblock a signal already pending (sent while blocked),
 *     and io_submit and io_uring_enter, whose writes may raise SIGPIPE or
 *     SIGXFSZ while the call itself succeeds (it submitted them);
 *     WRITES the calls that write to a file, pipe or socket, which may
 *     raise SIGPIPE (no reader: the call fails with EPIPE) or SIGXFSZ
 *     (EFBIG). A WRITES call is also counted as failing until it comes back
 *     without an error: the one a process dies in is an EPIPE or EFBIG.
 *   BLOCKS: calls that may wait without end (reads, waits, sleeps, polls,
 *     locks, opens of a FIFO): the one a process is killed in (^C, SIGTERM,
 *     a timeout) strace -c counts, failed. In a process of one thread they
 *     are counted on the way in, as failed until they come back; in a
 *     process with threads as they come back (one another thread is in
 *     when the process ends is not counted by strace -c, and tracking them
 *     as SENDS and WRITES are would cost every futex), so there the one a
 *     signal kills the process in is not counted. The root's call under
 *     way is in the table (`waiting`): when SIGKILL ends the root in it,
 *     which strace -c never sees return, the watcher takes it back out. */
enum { PLAIN, UNCOUNTED, EXEC, SIGRETURN, FORK, SENDS, WRITES, BLOCKS };

static const unsigned char kinds[] = {
	[SYS_exit] = UNCOUNTED, [SYS_exit_group] = UNCOUNTED,
	[SYS_execve] = EXEC, [SYS_execveat] = EXEC,
	[SYS_rt_sigreturn] = SIGRETURN,
	[SYS_clone] = FORK, [SYS_clone3] = FORK, [SYS_fork] = FORK, [SYS_vfork] = FORK,
	[SYS_kill] = SENDS, [SYS_tkill] = SENDS, [SYS_tgkill] = SENDS, [SYS_rt_sigqueueinfo] = SENDS,
	[SYS_rt_tgsigqueueinfo] = SENDS, [SYS_pidfd_send_signal] = SENDS, [SYS_rt_sigprocmask] = SENDS,
	[SYS_io_submit] = SENDS, [SYS_io_uring_enter] = SENDS,
	[SYS_write] = WRITES, [SYS_writev] = WRITES, [SYS_pwrite64] = WRITES, [SYS_pwritev] = WRITES,
	[SYS_pwritev2] = WRITES, [SYS_sendto] = WRITES, [SYS_sendmsg] = WRITES, [SYS_sendmmsg] = WRITES,
	[SYS_sendfile] = WRITES, [SYS_splice] = WRITES, [SYS_vmsplice] = WRITES, [SYS_tee] = WRITES,
	[SYS_copy_file_range] = WRITES, [SYS_truncate] = WRITES, [SYS_ftruncate] = WRITES,
	[SYS_fallocate] = WRITES,
	[SYS_read] = BLOCKS, [SYS_readv] = BLOCKS, [SYS_pread64] = BLOCKS, [SYS_preadv] = BLOCKS,
	[SYS_preadv2] = BLOCKS, [SYS_recvfrom] = BLOCKS, [SYS_recvmsg] = BLOCKS, [SYS_recvmmsg] = BLOCKS,
	[SYS_accept] = BLOCKS, [SYS_accept4] = BLOCKS, [SYS_connect] = BLOCKS, [SYS_wait4] = BLOCKS,
	[SYS_waitid] = BLOCKS, [SYS_nanosleep] = BLOCKS, [SYS_clock_nanosleep] = BLOCKS, [SYS_pause] = BLOCKS,
	[SYS_rt_sigsuspend] = BLOCKS, [SYS_rt_sigtimedwait] = BLOCKS, [SYS_poll] = BLOCKS, [SYS_ppoll] = BLOCKS,
	[SYS_select] = BLOCKS, [SYS_pselect6] = BLOCKS, [SYS_epoll_wait] = BLOCKS, [SYS_epoll_pwait] = BLOCKS,
	[SYS_epoll_pwait2] = BLOCKS, [SYS_futex] = BLOCKS, [SYS_futex_waitv] = BLOCKS, [SYS_msgrcv] = BLOCKS,
	[SYS_msgsnd] = BLOCKS, [SYS_semop] = BLOCKS, [SYS_semtimedop] = BLOCKS,
	[SYS_mq_timedreceive] = BLOCKS, [SYS_mq_timedsend] = BLOCKS, [SYS_flock] = BLOCKS, [SYS_fcntl] = BLOCKS,
	[SYS_open] = BLOCKS, [SYS_openat] = BLOCKS, [SYS_openat2] = BLOCKS, [SYS_io_getevents] = BLOCKS,
	[SYS_io_pgetevents] = BLOCKS,
};

HOT static int kind(long nr)
{
	return (unsigned long)nr < sizeof(kinds) ? kinds[nr] : PLAIN;
}

/* The SENDS and WRITES calls of this process's threads under way, each
 * in an entry of `pending` (its thread, by its thread pointer, and its
 * number): counted as they started. When the process ends (exit_group) or
 * replaces its image (execve) while another thread is in one (a write
 * blocked on a full pipe), the kernel ends that thread before the call
 * comes back, and strace -c, which never sees it return, leaves it out:
 * so those of the other threads are taken back out of the table then
 * (take_back), and one that comes back all the same (the execve failed,
 * or it returned first) counts again. Those of the thread that ends the
 * process are not under way: a signal handler left them with siglongjmp
 * (raise's tgkill, a write a timer interrupted), and strace -c saw them
 * return. The slot of a call keeps its entry's number (+1, 0: none) in
 * its top byte. A vfork child's calls take entries of its parent's thread
 * (the same thread pointer): one it dies in stays counted, as strace -c
 * counts it, unless another thread of the parent's then ends the process.
 * `self`: the process this memory is the copy of (in a vfork child, its
 * parent's). */
#define PENDING 128
#define TICKS_MASK ((1ull << 56) - 1)
static struct {
	uintptr_t thread;               /* 0: free */
	long nr;                        /* -1: not yet, or done; TAKEN: taken back */
} pending[PENDING] = { [0 ... PENDING - 1] = { 0, -1 } };
#define TAKEN (1l << 40)
static pid_t self;
/* a BLOCKS call counted as it started: its slot's top bit */
#define COUNTED_IN (1ull << 63)
/* this process has started a thread (a clone with CLONE_THREAD): the
 * BLOCKS calls count as they come back */
static bool threaded;

/* starts_thread -- will the clone or clone3 about to be made (its first
 * argument arg) start a thread? clone3's flags are read from the
 * program's memory by a call that fails on a bad address, where a load
 * would fault; one that cannot be read counts as a thread (the BLOCKS
 * calls then count as they come back, as in any process with threads) */
COLD static bool starts_thread(long nr, long arg)
{
	uint64_t flags = 0;

	if (nr == SYS_clone)
		flags = (uint64_t)arg;
	else if (nr == SYS_clone3) {
		struct iovec here = { &flags, sizeof(flags) }, there = { (void *)arg, sizeof(flags) };
		if (syscall(SYS_process_vm_readv, self, &here, 1, &there, 1, 0) != (long)sizeof(flags))
			return true;
	}
	return (flags & CLONE_THREAD) != 0;
}

/* track -- an entry of `pending` for the calling thread's call nr: its
 * number + 1, 0 if none (every entry taken) */
COLD static uint64_t track(long nr)
{
	uintptr_t me = (uintptr_t)__builtin_thread_pointer();

	for (unsigned i = 0, h = (unsigned)(me >> 6) % PENDING; i < PENDING; i++) {
		unsigned k = (h + i) % PENDING;
		uintptr_t free = 0;
		if (__atomic_load_n(&pending[k].thread, __ATOMIC_RELAXED) != 0 ||
		    !__atomic_compare_exchange_n(&pending[k].thread, &free, me, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&pending[k].nr, nr, __ATOMIC_RELEASE);
		return k + 1;
	}
	return 0;
}

/* untrack -- the call of entry e (track's) came back: whether it had been
 * taken back */
COLD static bool untrack(uint64_t e)
{
	if (e == 0)
		return false;
	long nr = __atomic_exchange_n(&pending[e - 1].nr, -1l, __ATOMIC_ACQ_REL);
	__atomic_store_n(&pending[e - 1].thread, 0, __ATOMIC_RELEASE);
	return nr >= 0 && (nr & TAKEN) != 0;
}

/* take_back -- the process ends or execs: the calls of its other threads
 * under way will not come back */
COLD static void take_back(void)
{
	uintptr_t me = (uintptr_t)__builtin_thread_pointer();

	/* a vfork child: the calls are its parent's, which goes on */
	if (getpid() != self)
		return;
	for (unsigned k = 0; k < PENDING; k++) {
		uintptr_t t = __atomic_load_n(&pending[k].thread, __ATOMIC_ACQUIRE);
		long nr = __atomic_load_n(&pending[k].nr, __ATOMIC_ACQUIRE);
		if (t == 0 || t == me || nr < 0 || (nr & TAKEN) != 0 ||
		    !__atomic_compare_exchange_n(&pending[k].nr, &nr, nr | TAKEN, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_sub_fetch(&row(nr)->calls, 1, __ATOMIC_RELAXED);
		if (kind(nr) == WRITES)
			__atomic_sub_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
	}
}

/* forked -- a fork-like call came back in the child: a process of its own
 * (not a thread, nor a vfork child in its parent's memory) has none of
 * the calls its parent's other threads had under way. clone3's flags are
 * read only in a new process: a copy of the memory the call read them
 * from, or that memory while the vfork parent waits (a new thread's
 * parent goes on, and may have used that memory for something else). */
COLD static void forked(const struct zpoline_call *call)
{
	if (getpid() == self)
		return;
	uint64_t flags = call->nr == SYS_clone	 ? (uint64_t)call->args[0]
			 : call->nr == SYS_clone3 ? *(const uint64_t *)call->args[0]
			 : call->nr == SYS_vfork  ? CLONE_VM
						  : 0;

	if (flags & CLONE_VM)
		return;
	self = getpid();
	threaded = false;
	for (unsigned k = 0; k < PENDING; k++) {
		pending[k].thread = 0;
		pending[k].nr = -1;
	}
}

/* exec_enter -- an execve, counted on the way in; in the root, until it
 * fails or its next image's counter starts, the table is not the watcher's
 * to print: that image may not be hooked, and may still run */
COLD static void exec_enter(long nr)
{
	take_back();
	if (count_exec[nr == SYS_execveat])
		add(nr, 0, 0);
	if (getpid() == root)
		__atomic_store_n(&tab->root, ZP_ROOT_EXEC, __ATOMIC_RELEASE);
}

/* exec_failed -- the execve came back: the image runs on */
COLD static void exec_failed(long nr)
{
	if (count_exec[nr == SYS_execveat])
		__atomic_add_fetch(&tab->c[nr].errors, 1, __ATOMIC_RELAXED);
	int st = ZP_ROOT_EXEC;
	if (getpid() == root)
		__atomic_compare_exchange_n(&tab->root, &st, ZP_ROOT_RUNNING, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
}

/* enter_special -- enter for every kind but PLAIN: a jump from enter,
 * whose path for the others keeps its frameless shape */
COLD static int enter_special(const struct zpoline_call *call, int k, uint64_t *slot)
{
	long nr = call->nr, call_flags = call->args[0];

	switch (k) {
	case UNCOUNTED:
		if (nr == SYS_exit_group)
			take_back();
		break;
	case EXEC:
		exec_enter(nr);
		break;
	case SIGRETURN:
		/* what it gives back (the runtime says, from ABI 3: the
		 * context's %rax, an interrupted call's -EINTR, say), counted
		 * failed as strace -c counts it */
		add(nr, call->ret, 0);
		break;
	case SENDS:
	case WRITES:
		__atomic_add_fetch(&row(nr)->calls, 1, __ATOMIC_RELAXED);
		if (k == WRITES)
			__atomic_add_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		*slot = (track(nr) << 56) | (ticks() & TICKS_MASK);
		break;
	case BLOCKS:
		if (__atomic_load_n(&threaded, __ATOMIC_RELAXED)) {
			*slot = ticks() & TICKS_MASK;
			break;
		}
		__atomic_add_fetch(&row(nr)->calls, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		if (self == root)
			__atomic_store_n(&tab->waiting, nr, __ATOMIC_RELAXED);
		*slot = COUNTED_IN | (ticks() & TICKS_MASK);
		break;
	case FORK:
		/* a thread about to start: known before it can make a call */
		if (starts_thread(nr, call_flags))
			__atomic_store_n(&threaded, true, __ATOMIC_RELAXED);
		*slot = ticks();
		break;
	}
	return ZPOLINE_CALL;
}

/* exit_special -- exit for every kind but PLAIN */
COLD static void exit_special(const struct zpoline_call *call, int k, uint64_t t0)
{
	long nr = call->nr, r = call->ret;
	bool failed = r < 0 && r >= -4095;

	switch (k) {
	case EXEC:
		/* counted on the way in; here it failed */
		exec_failed(nr);
		break;
	case FORK:
		if (r != 0) {
			add(nr, r, ticks() - t0);
			/* (a vfork child's call under way it was killed in is
			 * not the root's) */
			if (self == root)
				__atomic_store_n(&tab->waiting, -1l, __ATOMIC_RELAXED);
		} else {
			forked(call);
		}
		break;
	case BLOCKS:
		if (!(t0 & COUNTED_IN)) {
			add(nr, r, (ticks() - t0) & TICKS_MASK);
			break;
		}
		/* counted on the way in, as failed: the time, and the error
		 * it has */
		if (self == root)
			__atomic_store_n(&tab->waiting, -1l, __ATOMIC_RELAXED);
		__atomic_add_fetch(&row(nr)->ticks, (ticks() - t0) & TICKS_MASK, __ATOMIC_RELAXED);
		if (!failed)
			__atomic_sub_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		break;
	case SENDS:
	case WRITES:
		/* taken back (take_back), yet it came back: counted again */
		if (untrack(t0 >> 56)) {
			__atomic_add_fetch(&row(nr)->calls, 1, __ATOMIC_RELAXED);
			if (k == WRITES)
				__atomic_add_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		}
		/* counted on the way in: the time, and the error it has */
		__atomic_add_fetch(&row(nr)->ticks, (ticks() - t0) & TICKS_MASK, __ATOMIC_RELAXED);
		if (k == SENDS && failed)
			__atomic_add_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		else if (k == WRITES && !failed)
			__atomic_sub_fetch(&row(nr)->errors, 1, __ATOMIC_RELAXED);
		break;
	}
}

HOT static int counter_enter(struct zpoline_call *call, uint64_t *slot)
{
	int k = kind(call->nr);

	if (__builtin_expect(k != PLAIN, 0))
		return enter_special(call, k, slot);
	*slot = ticks();
	return ZPOLINE_CALL;
}

HOT static void counter_exit(struct zpoline_call *call, uint64_t *slot)
{
	int k = kind(call->nr);

	if (__builtin_expect(k != PLAIN, 0)) {
		exit_special(call, k, *slot);
		return;
	}
	add(call->nr, call->ret, ticks() - *slot);
}

/* whether a write of the table from fini fell short */
static bool print_short;

static long print_out(const void *buf, unsigned long len)
{
	long n = rt->trace_write(buf, len);

	if (n != (long)len)
		print_short = true;
	return n;
}

static void counter_fini(void)
{
	sigset_t ending;

	if (getpid() != root)
		return;
	/* The table is written by the program's process as it ends: a reader
	 * of its pipe gone (SIGPIPE) or the program's file size limit (a
	 * `ulimit -f` before it ended, SIGXFSZ) would kill it with a status
	 * not its own, where strace -c, writing from a process of its own,
	 * leaves the program's. Blocked: the process ends anyway. */
	sigemptyset(&ending);
	sigaddset(&ending, SIGPIPE);
	sigaddset(&ending, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &ending, NULL);
	/* printed: the watcher (tool/watch.c) prints it for a root that ends
	 * without this, and for one whose table did not go whole (EFBIG: the
	 * watcher has no such limit) */
	__atomic_store_n(&tab->root, ZP_ROOT_PRINTED, __ATOMIC_SEQ_CST);
	zp_count_print(tab, order, print_out);
	int st = ZP_ROOT_PRINTED;
	if (print_short)
		__atomic_compare_exchange_n(&tab->root, &st, ZP_ROOT_RUNNING, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED);
}

static int counter_init(const struct zpoline_init *in)
{
	static struct zp_counts private_table;
	const char *r = getenv("ZPOLINE_ROOT_PID");
	uint64_t want[ZP_TRACE_WORDS];
	char err[300];

	rt = in;
	if (zp_count_parse(in->options, &order, want, err, sizeof(err)) < 0) {
		char msg[400];
		int m = snprintf(msg, sizeof(msg), "zpoline: counter: %s\n", err);
		in->trace_write(msg, (unsigned long)m);
		return -EINVAL;
	}
	_Static_assert(ZPOLINE_INTEREST_WORDS == ZP_TRACE_WORDS, "one bitmap for both");
	memcpy(interest, want, sizeof(interest));
	count_exec[0] = want[SYS_execve / 64] & (1ull << (SYS_execve % 64));
	count_exec[1] = want[SYS_execveat / 64] & (1ull << (SYS_execveat % 64));
	ZPOLINE_WANT(interest, SYS_execve);
	ZPOLINE_WANT(interest, SYS_execveat);
	/* (never counted) the calls of other threads under way are taken
	 * back at it, as at an execve */
	ZPOLINE_WANT(interest, SYS_exit_group);
	/* the run's shared memory when there is some; this process's own else */
	tab = in->shared != NULL && in->shared_size >= sizeof(struct zp_counts) ? in->shared : &private_table;
	self = getpid();
	root = r != NULL ? (pid_t)atoi(r) : getpid();
	if (tab == &private_table)
		root = getpid();
	struct zp_counts clock;
	zp_count_clock(&clock);
	use_tsc = clock.use_tsc;
	if (getpid() == root) {
		/* the root's clock converts the ticks (the table's, the
		 * watcher's); from here, were it killed, the watcher prints */
		tab->use_tsc = clock.use_tsc;
		tab->tsc0 = clock.tsc0;
		tab->ns0 = clock.ns0;
		__atomic_store_n(&tab->waiting, -1l, __ATOMIC_RELAXED);
		__atomic_store_n(&tab->root, ZP_ROOT_RUNNING, __ATOMIC_RELEASE);
	}
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "counter", .init = counter_init,
		    .enter = counter_enter, .exit = counter_exit, .fini = counter_fini,
		    .interest = interest);
