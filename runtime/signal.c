/* signal.c -- system calls that arrive by a fault instead of the stub.
 *
 * SIGILL: a red-zone site, rewritten to ud2. SIGSEGV: a number past the
 * sled (negative, x32, or simply too large), which lands on hlt in page 0
 * or on unmapped memory. In both cases the kernel has put the signal frame
 * below the red zone and saved every register, vector state included, so
 * the handler can run the hooks and write the result into the context.
 *
 * The program keeps its own SIGSEGV and SIGILL handlers: rt_sigaction on
 * them is virtualised (zp_next sends it here), and faults that are not
 * ours are handed to what the program installed, or to the default. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "page0.h"
#include "runtime.h"


static struct zp_ksigaction shadow[NSIG];
/* A vfork child (CLONE_VM, not CLONE_SIGHAND) shares the shadow with its
 * parent, not the actions: what it sets for our signals is its own, here
 * by its pid (the parent, back, and a later child find another's) */
static struct {
	long pid;
	uint64_t set;           /* bit sig - 1: act[sig] is the child's */
	struct zp_ksigaction act[NSIG];
} child_own;

/* action -- the program's action for sig, as this process sees it */
static struct zp_ksigaction *action(int sig)
{
	if (child_own.pid != 0 && (child_own.set >> (sig - 1) & 1) &&
	    child_own.pid == zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0))
		return &child_own.act[sig];
	return &shadow[sig];
}

/* record -- the action the program set for sig. A vfork child shares our
 * memory, not our actions: what it sets (before its exec or exit) is its
 * own, not its parent's */
static void record(int sig, const struct zp_ksigaction *act)
{
	if (!zp_in_vfork_child()) {
		shadow[sig] = *act;
		return;
	}
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (child_own.pid != pid) {
		child_own.set = 0;
		child_own.pid = pid;
	}
	child_own.act[sig] = *act;
	child_own.set |= 1ull << (sig - 1);
}

bool zp_signal_is_ours(int sig)
{
	return sig > 0 && sig <= 64 && (zp_signal_own_mask() >> (sig - 1)) & 1;
}

/* write_user -- copy to the program's memory, or false where it cannot
 * be written (the trampoline's pages are read-only) */
static bool write_user(void *dst, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len }, remote = { dst, len };
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);

	return zp_raw_syscall(SYS_process_vm_writev, pid, (long)&local, 1, (long)&remote, 1, 0) ==
	       (long)len;
}

static void handler(int sig, siginfo_t *si, void *ucv);
static void wrapped(int sig, siginfo_t *si, void *ucv);
static long raw_sigmask(int how, const uint64_t *set, uint64_t *old);

bool zp_signal_copy_out(void *dst, const void *src, size_t len)
{
	return write_user(dst, src, len);
}

/* Signals of ours sent (not faults) while the program blocks them: kept
 * here, as the kernel would keep them pending, one of each (standard
 * signals do not queue). Sent to a thread (tgkill): that thread's; sent
 * to the process: whichever thread unblocks it first. Nothing per thread
 * in TLS: static TLS comes out of every thread's stack. */
__thread uint64_t zp_own_blocked __attribute__((tls_model("initial-exec")));
#define NKEPT 3                 /* SIGSEGV, SIGILL, SIGSYS */
static struct kept {
	int sig;                /* 0: free */
	long pid;               /* the process that keeps it */
	long tid;               /* the thread it was sent to, 0: the process */
	siginfo_t info;
} kept[NKEPT];
static long kept_lock;          /* the pid of its holder, 0: free */

static long my_tid(void)
{
	return zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* The table is shared with a vfork child and copied into a forked one;
 * natively neither starts with a signal pending. An entry is this
 * process's by its pid; another's is a copy from before a fork (free to
 * take over, as is the lock it held) unless this is a vfork child, whose
 * parent's entries are live. */
struct kept_view {
	long pid;
	bool others_live;
};

static struct kept_view kept_view(void)
{
	return (struct kept_view){ zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), zp_in_vfork_child() };
}

static void kept_take_lock(const struct kept_view *v)
{
	for (;;) {
		long holder = 0;
		if (__atomic_compare_exchange_n(&kept_lock, &holder, v->pid, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (holder != v->pid && !v->others_live &&
		    __atomic_compare_exchange_n(&kept_lock, &holder, v->pid, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;         /* held when this process was forked */
		zp_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
}

static void kept_drop_lock(void)
{
	__atomic_store_n(&kept_lock, 0, __ATOMIC_RELEASE);
}

/* keep_pending -- a signal sent while the program blocks it */
static void keep_pending(int sig, const siginfo_t *si)
{
	struct kept_view v = kept_view();
	long tid = si->si_code == SI_TKILL ? my_tid() : 0;
	bool already = false;

	kept_take_lock(&v);
	for (int i = 0; i < NKEPT; i++)
		already |= kept[i].sig == sig && kept[i].pid == v.pid && kept[i].tid == tid;
	for (int i = 0; i < NKEPT && !already; i++) {
		if (kept[i].sig == 0 || (kept[i].pid != v.pid && !v.others_live)) {
			kept[i] = (struct kept){ sig, v.pid, tid, *si };
			break;
		}
	}
	kept_drop_lock();
}

uint64_t zp_signal_pending(void)
{
	uint64_t set = 0;
	long tid = 0, pid = 0;

	for (int i = 0; i < NKEPT; i++) {
		int sig = __atomic_load_n(&kept[i].sig, __ATOMIC_RELAXED);
		if (sig == 0)
			continue;
		if (pid == 0)
			pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
		if (kept[i].tid != 0 && tid == 0)
			tid = my_tid();
		if (kept[i].pid == pid && (kept[i].tid == 0 || kept[i].tid == tid))
			set |= 1ull << (sig - 1);
	}
	return set;
}

/* take -- sig out of the pending ones (this thread's first), or false */
static bool take(int sig, siginfo_t *out)
{
	struct kept_view v = kept_view();
	long tid = my_tid();
	struct kept *k = NULL;

	kept_take_lock(&v);
	for (int i = 0; i < NKEPT; i++)
		if (kept[i].sig == sig && kept[i].pid == v.pid &&
		    (kept[i].tid == tid || (kept[i].tid == 0 && k == NULL)))
			k = &kept[i];
	if (k != NULL) {
		*out = k->info;
		k->sig = 0;
	}
	kept_drop_lock();
	return k != NULL;
}

/* next_of -- the signal of set the kernel dequeues first from one queue:
 * the synchronous ones (those a fault raises) lowest first, then the
 * lowest (kernel/signal.c, next_signal) */
static int next_of(uint64_t set)
{
	const uint64_t sync = 1ull << (SIGSEGV - 1) | 1ull << (SIGBUS - 1) | 1ull << (SIGILL - 1) |
			      1ull << (SIGTRAP - 1) | 1ull << (SIGFPE - 1) | 1ull << (SIGSYS - 1);

	if (set & sync)
		set &= sync;
	return set != 0 ? __builtin_ctzll(set) + 1 : 0;
}

/* hex -- the hexadecimal number at p, after blanks */
static uint64_t hex(const char *p)
{
	uint64_t v = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	for (;; p++) {
		unsigned d = *p >= '0' && *p <= '9' ? (unsigned)(*p - '0')
			     : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10) : 16;
		if (d == 16)
			return v;
		v = v << 4 | d;
	}
}

/* queued -- the thread's own pending signals (*own) and the process's
 * (*shared), as the kernel holds them: /proc shows the two queues apart
 * (sigpending, all, only their union). Read only when both the kernel and the
 * runtime hold some the wait takes; without /proc all are taken as the
 * process's, as kill() leaves them. */
static void queued(uint64_t all, uint64_t *own, uint64_t *shared)
{
	char buf[2048];
	long fd = zp_raw_syscall(SYS_openat, AT_FDCWD, (long)"/proc/thread-self/status", O_RDONLY | O_CLOEXEC, 0,
				 0, 0);
	long n = fd >= 0 ? zp_raw_syscall(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0) : -1;

	if (fd >= 0)
		zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	*own = 0;
	*shared = all;
	if (n <= 0)
		return;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nSigPnd:"), *q = strstr(buf, "\nShdPnd:");
	if (p == NULL || q == NULL)
		return;
	*own = hex(p + 8);
	*shared = hex(q + 8);
}

int zp_signal_next(uint64_t set, void *info)
{
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = my_tid();
	uint64_t mine = 0, process = 0, kown = 0, kshared = 0, pending = 0;

	for (int i = 0; i < NKEPT; i++) {
		int sig = __atomic_load_n(&kept[i].sig, __ATOMIC_RELAXED);
		if (sig == 0 || kept[i].pid != pid || !(set >> (sig - 1) & 1))
			continue;
		if (kept[i].tid == tid)
			mine |= 1ull << (sig - 1);
		else if (kept[i].tid == 0)
			process |= 1ull << (sig - 1);
	}
	if ((mine | process) == 0)
		return 0;
	zp_raw_syscall(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0, 0);
	if ((pending & set) != 0)
		queued(pending, &kown, &kshared);
	/* the thread's queue before the process's */
	bool thread = ((kown & set) | mine) != 0;
	int sig = next_of(thread ? (kown & set) | mine : (kshared & set) | process);
	if (!((thread ? mine : process) >> (sig - 1) & 1))
		return -sig;
	return take(sig, info) ? sig : zp_signal_take(set, info);
}

int zp_signal_take(uint64_t set, void *info)
{
	for (int sig = 1; sig < 64; sig++)
		if ((set >> (sig - 1) & 1) && take(sig, info))
			return sig;
	return 0;
}

void zp_signal_unblocked(uint64_t sigs)
{
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long tid = my_tid();
	siginfo_t si;

	for (int sig = 1; sig < 64; sig++)
		if ((sigs >> (sig - 1) & 1) && take(sig, &si))
			/* to this thread, with what the sender put in it */
			zp_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&si, 0, 0);
}

/* zp_signal_exec_prepare -- before the kernel's execve: the new image
 * starts with the caller's blocked mask and its pending signals, so the
 * runtime's signals the program blocks are blocked for real now (a
 * signal arriving from here on stays pending in the kernel, which carries
 * it across), and those kept pending for this thread or the process are
 * queued again, as they were sent. *saved: the mask to restore if the
 * execve fails; false: nothing done. */
bool zp_signal_exec_prepare(uint64_t *saved)
{
	uint64_t view = zp_own_blocked;
	long pid, tid;
	siginfo_t si;

	if (view == 0)
		return false;
	if (raw_sigmask(SIG_BLOCK, &view, saved) != 0)
		return false;
	/* a vfork child takes none: they are its parent's (take) */
	pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	tid = my_tid();
	for (int sig = 1; sig < 64; sig++) {
		if (!(view >> (sig - 1) & 1) || !take(sig, &si))
			continue;
		/* keep_pending's rule: SI_TKILL was sent to this thread */
		if (si.si_code == SI_TKILL)
			zp_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&si, 0, 0);
		else
			zp_raw_syscall(SYS_rt_sigqueueinfo, pid, sig, (long)&si, 0, 0, 0);
	}
	return true;
}

/* zp_signal_exec_failed -- the execve failed: the mask as it was; what
 * is pending of ours reaches the handler, which keeps it again */
void zp_signal_exec_failed(uint64_t saved)
{
	raw_sigmask(SIG_SETMASK, &saved, NULL);
}

/* install_old -- our handler for sig, on the alternate stack or not; the
 * action it replaces into old, unless NULL */
static long install_old(int sig, unsigned long onstack, struct zp_ksigaction *old)
{
	struct zp_ksigaction act = {
		.handler = (void *)handler,
		.flags = SA_SIGINFO | SA_RESTORER | SA_NODEFER | onstack,
		.restorer = (void *)zp_sigreturn_restorer,
	};

	return zp_raw_syscall(SYS_rt_sigaction, sig, (long)&act, (long)old, 8, 0, 0);
}

static long install(int sig, unsigned long onstack)
{
	return install_old(sig, onstack, NULL);
}

/* adopt_sigsys -- the net armed after start-up: SIGSYS becomes the
 * runtime's, the program's action kept as at start-up */
static long adopt_sigsys(void)
{
	struct zp_ksigaction now;
	long r = zp_raw_syscall(SYS_rt_sigaction, SIGSYS, 0, (long)&now, 8, 0, 0);

	/* a handler the program set through the runtime: the kernel holds
	 * the wrapper, the program's is in the shadow already */
	if (r == 0 && now.handler != (void *)wrapped)
		shadow[SIGSYS] = now;
	if (r == 0)
		r = install(SIGSYS, shadow[SIGSYS].flags & SA_ONSTACK);
	return r;
}

long zp_signal_program_sud(long mode, long off, long len, long sel)
{
	static int lock;
	uint64_t bit = 1ull << (SIGSYS - 1), blocked = 0;
	long r = zp_sud_program_check(mode, off, len, sel);

	if (r <= 0)
		return r;
	/* one dispatch setting a thread: the runtime's must be armed in this
	 * one, so that the kernel leaves the choice to it. In fast and trap
	 * mode without the net it is not yet: it is from here, in this thread
	 * and in those started later. */
	if (!__atomic_load_n(&zp_sud_on, __ATOMIC_ACQUIRE)) {
		while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
			zp_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
		if (!zp_sud_on) {
			r = zp_sud_find_text();
			if (r == 0)
				r = adopt_sigsys();
			if (r == 0)
				__atomic_store_n(&zp_sud_on, 1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
		if (r < 0)
			return r;
	}
	/* this thread's SIGSYS blocked only in the program's view, as the
	 * runtime's other signals (a thread started before may block it) */
	if (raw_sigmask(SIG_BLOCK, NULL, &blocked) == 0 && (blocked & bit)) {
		zp_own_blocked |= bit;
		raw_sigmask(SIG_UNBLOCK, &bit, NULL);
	}
	return zp_sud_program_arm(mode, off, len, sel);
}

/* the runtime's signals a program's handler asked to block, per signal
 * (zp_signal_other_action) */
static uint64_t masked_out[65];

/* zp_signal_cloned -- in the child of a clone3: CLONE_CLEAR_SIGHAND has
 * reset every action, the runtime's own too. Ours go back; the program's,
 * as the kernel resets them, to the default (those ignored stay ignored),
 * except in a child sharing our memory, whose record is its parent's. */
void zp_signal_cloned(uint64_t flags)
{
	if (!(flags & CLONE_CLEAR_SIGHAND))
		return;
	/* the kernel emptied every action's mask */
	if (!(flags & CLONE_VM))
		memset(masked_out, 0, sizeof(masked_out));
	for (int sig = 1; sig < NSIG; sig++) {
		if (!zp_signal_is_ours(sig))
			continue;
		if (!(flags & CLONE_VM))
			shadow[sig] = (struct zp_ksigaction){
				.handler = shadow[sig].handler == SIG_IGN ? SIG_IGN : SIG_DFL,
			};
		install(sig, 0);
	}
}

long zp_signal_action(int sig, const void *act, void *oldact, size_t sigsetsize)
{
	struct zp_ksigaction tmp, prev;

	/* the kernel's order: the new action read, taken, then the old one
	 * written; either can fail with EFAULT, also in the trampoline's
	 * pages (page0.h) */
	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (act != NULL && ((zp_page0_mapped && (uintptr_t)act < ZP_LOW_END) ||
			    zp_read_user(&tmp, (uintptr_t)act, sizeof(tmp)) != sizeof(tmp)))
		return -EFAULT;
	prev = *action(sig);
	/* our handler takes the alternate stack when the program's would:
	 * its handler then runs there, and a fault with an unusable
	 * alternate stack still reaches a handler that never asked for it */
	if (act != NULL && ((tmp.flags ^ prev.flags) & SA_ONSTACK))
		install(sig, tmp.flags & SA_ONSTACK);
	if (act != NULL)
		record(sig, &tmp);
	if (oldact != NULL && !write_user(oldact, &prev, sizeof(prev)))
		return -EFAULT;
	return 0;
}

static long raw_sigmask(int how, const uint64_t *set, uint64_t *old)
{
	return zp_raw_syscall(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

/* forward -- the fault is not ours: do what the program asked for. A
 * fault (si_code > 0) whose signal the program blocks or ignores gets the
 * default action, as the kernel forces it: blocked here means blocked in
 * the program's view (zp_own_blocked), which includes the signal itself
 * inside its own handler unless SA_NODEFER. */
/* restorer_hooked -- does the program's restorer make its rt_sigreturn
 * through the runtime (which then gives back the program's view of the
 * mask)? With Syscall User Dispatch on, any call does; else its call must
 * be a site rewritten (glibc's __restore_rt: mov $15,%rax; syscall). One
 * of code never rewritten (no unwind table to scan it by) would go
 * straight to the kernel: its handler is then called from here. */
static bool restorer_hooked(uintptr_t restorer)
{
	if (zp_sud_on)
		return true;
	for (uintptr_t p = restorer; p < restorer + 24; p++)
		if (zp_sites_is_call(p + 2) || zp_sites_is_trap(p))
			return true;
	return false;
}

/* same_stack -- are a and b both on the alternate stack the frame at uc
 * was made with, or both off it? */
static bool same_stack(const ucontext_t *uc, uintptr_t a, uintptr_t b)
{
	uintptr_t lo = (uintptr_t)uc->uc_stack.ss_sp, len = uc->uc_stack.ss_size;
	bool none = (uc->uc_stack.ss_flags & SS_DISABLE) != 0;

	return (!none && a - lo < len) == (!none && b - lo < len);
}

/* handed_over -- note the frame at uc as one the program's handler runs
 * on, or false when the list is full of live ones. Those at or below it
 * on its stack were left (siglongjmp) and are dropped. */
static bool handed_over(ucontext_t *uc, siginfo_t *si, int sig)
{
	struct zp_thread *t = &zp_tls;
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->nforwarded; i++)
		if (!(t->forwarded[i].uc <= (uintptr_t)uc && same_stack(uc, t->forwarded[i].uc, (uintptr_t)uc)))
			t->forwarded[k++] = t->forwarded[i];
	t->nforwarded = k;
	if (k == ZP_FORWARDED)
		return false;
	t->forwarded[k].uc = (uintptr_t)uc;
	t->forwarded[k].si = (uintptr_t)si;
	t->forwarded[k].sig = sig;
	t->nforwarded = k + 1;
	return true;
}

/* forward -- (may_jump: the handler may be entered on this frame) */
static void forward(int sig, siginfo_t *si, ucontext_t *uc, int saved_errno, bool may_jump)
{
	struct zp_ksigaction *a = action(sig);
	uint64_t bit = 1ull << (sig - 1), own = zp_signal_own_mask();
	bool fault = si->si_code > 0;
	/* forced by the kernel from inside a system call (uretprobe called
	 * from elsewhere than its trampoline): dealt with as a fault (blocked
	 * or ignored, it kills), but it does not come again on return */
	bool forced = sig == SIGILL && si->si_code == SI_KERNEL;

	if (a->handler == SIG_IGN && !fault)
		return;
	if (a->handler == SIG_DFL || a->handler == SIG_IGN || (fault && (zp_own_blocked & bit))) {
		struct zp_ksigaction dfl = { .handler = SIG_DFL };
		if (a->handler != SIG_DFL && (a != &shadow[sig] || !zp_in_vfork_child()))
			a->handler = SIG_DFL;
		zp_own_blocked &= ~bit;
		zp_raw_syscall(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
		/* a fault repeats on return (seccomp's SIGSYS does not); a
		 * sent signal must be sent again */
		if (!fault || forced || sig == SIGSYS)
			zp_raw_syscall(SYS_tgkill, zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0),
				       zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
		return;
	}
	uint64_t mask, old, view = zp_own_blocked;
	memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
	/* the handler reads the mask it interrupted as the program set it */
	mask |= view;
	memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	mask |= a->mask;
	if (!(a->flags & SA_NODEFER))
		mask |= bit;
	/* The handler's own system calls may arrive by these signals (trap
	 * sites, page 0 gone): blocked, the kernel would kill the thread.
	 * Blocked they are in the program's view. */
	zp_own_blocked = mask & own;
	mask &= ~own;
	void *handler = a->handler;
	unsigned long flags = a->flags;
	if (flags & SA_RESETHAND)
		a->handler = SIG_DFL;
	struct zp_thread *t = &zp_tls;
	t->handled++;
	/* (a handler that leaves by siglongjmp leaves the call too) */
	t->turn = NULL;
	if (may_jump && (flags & SA_RESTORER) && t->guard == 0 && t->entry == NULL &&
	    restorer_hooked((uintptr_t)a->restorer) && handed_over(uc, si, sig)) {
		/* as the kernel would have entered it, on this very frame: it
		 * returns to the program's restorer, whose rt_sigreturn the
		 * hooks see and which gives the program's view of the mask
		 * back (zp_signal_returning). Only for the program's own code
		 * interrupted: inside a dispatch (a signal the runtime sends
		 * again as the program unblocks it) its calls would not be
		 * the program's, nor would its rt_sigreturn be seen. More
		 * handlers nested than the list holds are called. */
		raw_sigmask(SIG_SETMASK, &mask, NULL);
		errno = saved_errno;
		zp_handler_jump(handler, sig, si, uc, a->restorer);
	}
	raw_sigmask(SIG_SETMASK, &mask, &old);
	if (flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))handler)(sig, si, uc);
	else
		((void (*)(int))handler)(sig);
	raw_sigmask(SIG_SETMASK, &old, NULL);
	/* rt_sigreturn sets the mask from uc_sigmask, which the handler may
	 * have changed: the runtime's signals in it are the program's view */
	memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
	view = zp_own_blocked;
	zp_own_blocked = mask & own;
	mask &= ~own;
	memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	if (view & ~zp_own_blocked)
		zp_signal_unblocked(view & ~zp_own_blocked);
}

void zp_signal_returning(void *ucv)
{
	struct zp_thread *t = &zp_tls;
	ucontext_t *uc = ucv;
	uint32_t i = t->nforwarded;
	uint64_t mask, view = zp_own_blocked, own = zp_signal_own_mask(), signo;

	/* the frame's mask, as rt_sigreturn will read it (a frame it cannot
	 * read is the kernel's to refuse) */
	if (zp_probe_copy(&mask, &uc->uc_sigmask, 1) < 0)
		return;
	/* one handed over: by its address and its signal (a frame left by
	 * siglongjmp has the address of a later one the kernel made) */
	while (i > 0 && !(t->forwarded[i - 1].uc == (uintptr_t)ucv &&
			  zp_probe_copy(&signo, (const void *)t->forwarded[i - 1].si, 1) == 0 &&
			  (int)signo == t->forwarded[i - 1].sig))
		i--;
	if (i > 0) {
		/* this frame's, and those left inside it by siglongjmp; the
		 * runtime's signals in uc_sigmask are the program's view,
		 * which the handler may have changed */
		t->nforwarded = i - 1;
		zp_own_blocked = mask & own;
	} else {
		/* a frame the kernel made for the program's handler: its mask
		 * never holds the runtime's signals, unless the handler put
		 * them there to have them blocked on return */
		zp_own_blocked |= mask & own;
	}
	if (mask & own) {
		/* never blocked for real: a fault with them blocked kills */
		mask &= ~own;
		memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	}
	if (view & ~zp_own_blocked)
		zp_signal_unblocked(view & ~zp_own_blocked);
}

/* ---- the program's other handlers, held back while hook code runs ----
 *
 * A handler of the program's that the kernel enters while this thread is
 * inside a hook or the runtime (the guard up) would have its calls pass
 * the hooks by, as hook code's own do (nothing tells them apart), and
 * would enter hooks not written to be entered again from inside
 * themselves. So the kernel holds `wrapped` for every handler the program
 * sets for a signal not the runtime's, with the program's flags, mask and
 * restorer (SA_RESETHAND done here, SA_SIGINFO for the context). There,
 * with the guard down, the program's handler is entered on the kernel's
 * very frame, as the kernel would; with the guard up, the signal is sent
 * to this thread again with its siginfo, and blocked in the context
 * returned to: the kernel keeps it pending (queued or merged as for any
 * blocked signal) until the guard comes down (zp_guard_down), when the
 * handler runs where the program's code or its call resumes: before the
 * call, or after it, as natively it would around the call. Faults are
 * not held back: the instruction would only fault again. */

static bool is_mark(const siginfo_t *x, const void *value)
{
	return x->si_code == ZP_MARK_CODE && x->si_value.sival_ptr == value;
}

/* take_until_mark -- each instance of sig ahead of the mark in this
 * thread's queue (which the kernel empties before the process's) taken
 * and sent again, behind the rest, then the mark taken: the queue turned
 * round to the instance that was just behind the mark */
static void take_until_mark(int sig, const void *value)
{
	uint64_t one = 1ull << (sig - 1);
	struct timespec now = { 0, 0 };
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = my_tid();
	siginfo_t x;

	while (zp_raw_syscall(SYS_rt_sigtimedwait, (long)&one, (long)&x, (long)&now, 8, 0, 0) == sig &&
	       !is_mark(&x, value))
		zp_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&x, 0, 0);
}

/* hold_back -- sig held back, to be delivered when the guard comes down:
 * 0, or the handler must run now. A standard signal is kept in one of
 * the thread's slots (std_sig), blocked: another instance sent before
 * the guard comes down is then pending in the kernel on its own, as it
 * would be natively while the handler of the first ran, and both reach
 * the handler (zp_signal_std_release). With no slot left, it is sent
 * again to this thread with its siginfo (one pending at most). A
 * real-time one is
 * queued, and the instances after it in the kernel's order must stay
 * after it: the thread's slot (held_sig) keeps it, and once the guard is
 * down (zp_signal_held_mark) each instance the kernel delivers carries
 * the one held before it, until the mark queued behind them frees the
 * slot. The slot taken (by another signal, or by this one: si then comes
 * right after the held one), sent again, ahead of the instances queued
 * to the thread since: a mark goes in first, then si, then the queue is
 * turned round to si (instances queued meanwhile may land among those
 * moved). */
static __attribute__((noinline)) long hold_back(struct zp_thread *t, int sig, siginfo_t *si, bool ours)
{
	if (sig < 32) {                 /* the kernel's first real-time signal */
		long tid = my_tid();
		uint64_t bit = 1ull << (sig - 1);
		int k = 0;
		if (t->std_held != 0 && t->std_tid != tid) {
			/* a vfork child's that ended: its signals ended with it */
			t->std_held = 0;
			memset(t->std_sig, 0, sizeof(t->std_sig));
		}
		while (k < ZP_STD_SLOTS && t->std_sig[k] != 0)
			k++;
		/* kept already (a hook unblocked it), or no slot left */
		if ((t->std_held & bit) || k == ZP_STD_SLOTS)
			return zp_signal_queue_self(sig, si);
		memcpy(t->std_info[k], si, sizeof(t->std_info[k]));
		t->std_tid = tid;
		t->std_sig[k] = (uint8_t)sig;
		t->std_held |= bit;
		return 0;
	}
	if (t->held_sig == 0) {
		_Static_assert(sizeof(t->held_info) == sizeof(*si), "siginfo");
		memcpy(t->held_info, si, sizeof(t->held_info));
		t->held_tid = my_tid();
		t->held_marked = false;
		t->held_sig = sig;
		return 0;
	}
	if (ours && is_mark(si, t->held_info)) {
		/* the release queues another */
		t->held_marked = false;
		return 0;
	}
	uint64_t bit = 1ull << (sig - 1), was;
	char value;
	/* (blocked here even under SA_NODEFER: the kernel must not deliver
	 * the ones being moved; the context returned to blocks it anyway) */
	raw_sigmask(SIG_BLOCK, &bit, &was);
	long marked = zp_signal_send_mark(sig, &value);
	long r = zp_signal_queue_self(sig, si);
	if (marked == 0)
		take_until_mark(sig, &value);
	/* not held back: its handler runs now, with the mask it would have */
	if (r != 0)
		raw_sigmask(SIG_SETMASK, &was, NULL);
	return r;
}

/* held_swap -- an instance of the held signal delivered with the guard
 * down: its frame takes the held one to the handler, and it waits in the
 * slot in turn; the mark frees the slot */
static __attribute__((noinline, cold)) void held_swap(struct zp_thread *t, siginfo_t *si)
{
	siginfo_t now;

	memcpy(&now, si, sizeof(now));
	memcpy(si, t->held_info, sizeof(*si));
	if (is_mark(&now, t->held_info)) {
		t->held_sig = 0;
		return;
	}
	memcpy(t->held_info, &now, sizeof(now));
	/* unblocked without a release (code the runtime does not see) */
	if (!t->held_marked)
		zp_signal_held_mark(t);
}

bool zp_signal_holding(int sig)
{
	struct zp_thread *t = &zp_tls;

	return t->held_sig != 0 && t->held_sig == sig && t->held_tid == my_tid();
}

int zp_signal_waited(int sig, void *info)
{
	struct zp_thread *t = &zp_tls;
	siginfo_t *si = info;

	if (zp_signal_holding(sig)) {
		held_swap(t, si);
		return sig;
	}
	return is_mark(si, t->held_info) ? 0 : sig;
}

/* at_site_taken -- the mask a context returns to the program with, the
 * signals left for it (at_site) let through, and none left any more (a
 * vfork child's, left in its parent's state, are not the parent's) */
static uint64_t at_site_taken(struct zp_thread *t, uint64_t mask)
{
	if (t->at_site_tid == my_tid())
		mask &= ~t->at_site;
	t->at_site = 0;
	return mask;
}

void zp_release_frame(ucontext_t *uc, void *fp)
{
	struct zp_thread *t = &zp_tls;
	greg_t *g = uc->uc_mcontext.gregs;
	struct _fpx_sw_bytes sw;
	/* (zp_xsave_size: the XSAVE area's size, and 64 bytes to align it) */
	uint32_t size = (uint32_t)(zp_xsave_size - 64), magic2 = FP_XSTATE_MAGIC2;
	uint32_t lo, hi;
	uint64_t mask = 0;

	/* <asm/ucontext.h>'s UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS
	 * (that header clashes with glibc's) */
	uc->uc_flags = 0x1 | 0x2 | 0x4;
	uc->uc_link = NULL;
	zp_raw_syscall(SYS_sigaltstack, 0, (long)&uc->uc_stack, 0, 0, 0, 0);
	/* a slot-output site's: the fixup (zp_bad_call) pops the copy of the
	 * return address and steps over the red zone; the context is where it
	 * goes */
	if (g[REG_RIP] == (greg_t)zp_slotout_fixup) {
		g[REG_RIP] = *(const greg_t *)g[REG_RSP];
		g[REG_RSP] += 8 + 128;
	}
	/* as the syscall instruction leaves them (the site's return, for a
	 * call to be made again there too) */
	g[REG_RCX] = g[REG_RIP] + (t->site_restart ? 2 : 0);
	t->site_restart = false;
	g[REG_R11] = g[REG_EFL];
	g[REG_CSGSFS] = (greg_t)(0x33 | 0x2bull << 48);     /* __USER_CS; __USER_DS for ss */
	g[REG_ERR] = g[REG_TRAPNO] = g[REG_OLDMASK] = g[REG_CR2] = 0;
	uc->uc_mcontext.fpregs = fp;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	memset(&sw, 0, sizeof(sw));
	sw.magic1 = FP_XSTATE_MAGIC1;
	sw.extended_size = size + FP_XSTATE_MAGIC2_SIZE;
	sw.xstate_bv = (uint64_t)hi << 32 | lo;
	sw.xstate_size = size;
	memcpy((char *)fp + 464, &sw, sizeof(sw));         /* sw_reserved */
	memcpy((char *)fp + size, &magic2, sizeof(magic2));
	mask = at_site_taken(t, t->at_site_mask);
	memcpy(&uc->uc_sigmask, &mask, sizeof(mask));       /* the kernel's 8 bytes */
}

/* may_wait -- a sent signal, or one the kernel raises for an event; not a
 * fault of the instruction interrupted, nor a seccomp filter's SIGSYS for
 * the call just made (its handler answers that call in the context) */
static bool may_wait(int sig, const siginfo_t *si)
{
	return si->si_code <= 0 || !(sig == SIGBUS || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS ||
				     sig == SIGSEGV || sig == SIGILL);
}

/* kernel_default -- the kernel's action for sig to the default, as its
 * SA_RESETHAND leaves one: a's flags, mask and restorer kept */
static void kernel_default(int sig, const struct zp_ksigaction *a)
{
	struct zp_ksigaction dfl = *a;

	dfl.handler = SIG_DFL;
	dfl.mask &= ~zp_signal_own_mask();
	zp_raw_syscall(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
}

extern const uint8_t zp_stub_start[] ZP_HIDDEN, zp_stub_end[] ZP_HIDDEN;

/* at_call_site -- a signal that interrupted a call made on a direct path
 * (a number no hook wants: the stub's `syscall`, then BACK, the return
 * address to the site on top of the stack, every other register the
 * program's) shows the handler the context a native call leaves: %rip
 * after the call site, or at it for a call the kernel restarts, %rsp
 * above the return address, %rcx the site's return. The handler returns
 * there, as BACK would have. (On the hooks' paths the exits are still to
 * run, on the stub's frame: their context stays the runtime's.) */
static void at_call_site(ucontext_t *uc)
{
	static const uint8_t back[3] = { 0x59, 0xff, 0xe1 };  /* popq %rcx; jmp *%rcx */
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *rip = (const uint8_t *)g[REG_RIP];
	uintptr_t site;

	if (rip < zp_stub_start + 2 || rip + 5 > zp_stub_end)
		return;
	bool after = memcmp(rip, back, 3) == 0 && rip[-2] == 0x0f && rip[-1] == 0x05;
	bool restart = rip[0] == 0x0f && rip[1] == 0x05 && memcmp(rip + 2, back, 3) == 0;
	if (!(after || restart) || zp_probe_copy((uint64_t *)&site, (const void *)g[REG_RSP], 1) < 0)
		return;
	g[REG_RIP] = (greg_t)(after ? site : site - 2);
	g[REG_RSP] += 8;
	g[REG_RCX] = (greg_t)site;
}

bool zp_intr_inside;
extern const uintptr_t zp_hooked_calls[4] ZP_HIDDEN;

/* in_call -- where a signal found the program's call made by the
 * `syscall` at insn: NOT_IN_CALL; AFTER it, which returned (or was cut
 * short, EINTR); or AGAIN, the kernel having set up a restart (%rip back
 * on it, %rax the number again). A signal that came just before the
 * `syscall`, the call not made, is NOT_IN_CALL: %rcx is not yet the
 * return address the instruction leaves there (the runtime's code never
 * holds that address in it), and the handler runs there, the call made
 * after it as natively. */
enum { NOT_IN_CALL, AFTER, AGAIN };

static int in_call(const ucontext_t *uc, uintptr_t insn)
{
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	if (rip == insn + 2)
		return AFTER;
	if (rip == insn && (uintptr_t)uc->uc_mcontext.gregs[REG_RCX] == insn + 2)
		return AGAIN;
	return NOT_IN_CALL;
}

/* at_hooked_call -- the frame of the enter/exit path's call a signal
 * interrupted, or met as it returned: the kernel's turn, the stub's
 * `syscall` (stub.S, zp_hooked_calls) with %rbx the frame; NULL elsewhere.
 * Natively the handler finds the program at its call site; here the
 * exits are still to run, on the stub's frame. So the signal waits for
 * them, held back as during a hook, and the stub lets it through at the
 * site (zp_exit): after the call, or at it for a call the kernel makes
 * again once the handler has run, which the exits see as -ERESTARTSYS,
 * as a tracer does under ptrace. */
static struct zp_cframe *at_hooked_call(const struct zp_thread *t, const ucontext_t *uc)
{
	if (t->guard != 0 || zp_intr_inside)
		return NULL;
	for (size_t i = 0; i < 4; i++)
		if (in_call(uc, zp_hooked_calls[i]) != NOT_IN_CALL)
			return (struct zp_cframe *)uc->uc_mcontext.gregs[REG_RBX];
	return NULL;
}

/* at_turn -- the dispatch whose program's call a signal interrupted (or
 * met as it returned) on the chain path (zp_next: t->turn, the
 * `syscall` of zp_turn_syscall), NULL elsewhere: as at_hooked_call, the
 * signal waits for the chain's end, where the stub lets it through at the
 * site, or the signal path in the context it returns to */
static struct zp_entry *at_turn(const struct zp_thread *t, const ucontext_t *uc)
{
	if (t->guard != 0 || zp_intr_inside || t->turn == NULL || t->turn != t->entry ||
	    in_call(uc, (uintptr_t)zp_turn_syscall_insn) == NOT_IN_CALL)
		return NULL;
	return t->turn;
}

/* restart_after -- the kernel set up a restart of the call made at insn:
 * the call returns -ERESTARTSYS to the runtime instead, which makes it
 * again once the handler has run, unless the hooks change it; true if so */
static bool restart_after(ucontext_t *uc, uintptr_t insn)
{
	greg_t *g = uc->uc_mcontext.gregs;

	if (in_call(uc, insn) != AGAIN)
		return false;
	g[REG_RIP] += 2;
	g[REG_RAX] = -ZPOLINE_ERESTARTSYS;
	return true;
}

/* interrupted -- the call at f, which sig interrupted, goes on to its
 * exits, -ERESTARTSYS for a restart */
static void interrupted(struct zp_cframe *f, ucontext_t *uc, int sig)
{
	if (!(f->exits & ZP_EXITS_SITE))
		f->intr = sig;
	f->exits |= ZP_EXITS_SITE;
	for (size_t i = 0; i < 4; i++)
		if (restart_after(uc, zp_hooked_calls[i]))
			f->exits |= ZP_EXITS_RESTART;
}

/* release_first -- a handler entered as the guard came down, before the
 * signals held back were let through: they came first, and go first; and
 * its context must not block them, or its return would block them again
 * once let through (for good) */
static __attribute__((noinline, cold)) void release_first(struct zp_thread *t, ucontext_t *uc)
{
	uint64_t sigs = t->deferred, mask;

	zp_guard_down(t);
	memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
	mask &= ~sigs;
	memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
}

static void wrapped(int sig, siginfo_t *si, void *ucv)
{
	struct zp_thread *t = &zp_tls;
	ucontext_t *uc = ucv;
	uint64_t bit = 1ull << (sig - 1), mask;
	struct zp_cframe *f = NULL;
	struct zp_entry *e = NULL;

	/* (held here, or a mark of this thread's) */
	bool ours = t->held_sig == sig && t->held_tid == my_tid();
	if (!ours && si->si_code == ZP_MARK_CODE && is_mark(si, t->held_info))
		zp_sigreturn_at(uc);    /* nothing held for it any more */
	/* (in the kernel's turn, not a signal that only the call's own mask
	 * let in, io_pgetevents' say: the program's mask, restored in the
	 * context, blocks it, and it stays blocked after the call; its
	 * handler runs here, as before) */
	memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
	bool holds = may_wait(sig, si) &&
		     ((t->guard & ZP_GUARD_HOOK) ||
		      (t->guard == 0 && !(mask & bit) &&
		       ((f = at_hooked_call(t, uc)) != NULL || (e = at_turn(t, uc)) != NULL)));
	uint64_t was = 0;
	if (holds) {
		/* no other signal meanwhile: one held back here too would
		 * race for the slots */
		uint64_t all = ~zp_signal_own_mask();
		raw_sigmask(SIG_BLOCK, &all, &was);
		ours = t->held_sig == sig && t->held_tid == my_tid();
	}
	/* the kernel's turn is over, the exits or the chain's end to come:
	 * the guard up from here until they are done (zp_exit and
	 * zp_kernel_turn_end put it back), for a handler entered before then,
	 * in the stub or the chain, would return with this signal blocked in
	 * its context after a release */
	if (f != NULL || e != NULL)
		t->guard = ZP_GUARD_HOOK;
	if (holds && hold_back(t, sig, si, ours) == 0) {
		memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
		mask |= bit;
		memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
		t->deferred |= bit;
		if (f != NULL)
			interrupted(f, uc, sig);
		if (e != NULL) {
			if (e->intr == 0)
				e->intr = sig;
			if (restart_after(uc, (uintptr_t)zp_turn_syscall_insn))
				e->restart = true;
		}
		zp_sigreturn_at(uc);
	}
	if (holds)
		raw_sigmask(SIG_SETMASK, &was, NULL);
	if (f != NULL || e != NULL) {
		/* not held back after all: its handler runs here */
		t->guard = 0;
	}
	if (ours)
		held_swap(t, si);
	struct zp_ksigaction *a = action(sig);
	void *h = a->handler;
	if (h == SIG_IGN || h == SIG_DFL) {
		/* the action changed while the kernel delivered: what the new
		 * one does (a fault repeats on return) */
		if (h == SIG_DFL) {
			kernel_default(sig, a);
			if (may_wait(sig, si))
				zp_signal_queue_self(sig, si);
		}
		zp_sigreturn_at(uc);
	}
	void *restorer = a->restorer;
	if (a->flags & SA_RESETHAND) {
		if (a != &shadow[sig] || !zp_in_vfork_child())
			a->handler = SIG_DFL;
		kernel_default(sig, a);
	}
	t->handled++;
	/* the handler reads the mask it interrupted as the program set it,
	 * when its rt_sigreturn comes through the runtime (which then takes
	 * the runtime's signals back out of it) */
	if (zp_own_blocked != 0 && restorer_hooked((uintptr_t)restorer) && handed_over(uc, si, sig)) {
		memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
		mask |= zp_own_blocked;
		memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	}
	at_call_site(uc);
	/* (a handler that leaves by siglongjmp leaves the call too) */
	t->turn = NULL;
	if (__builtin_expect(t->deferred != 0, 0) && !(t->guard & ZP_GUARD_HOOK))
		release_first(t, uc);
	zp_handler_jump(h, sig, si, uc, restorer);
}

/* wrappable -- an action the kernel can hold `wrapped` for: a handler,
 * with the restorer an x86-64 frame needs, of a signal that can have one */
static bool wrappable(int sig, const struct zp_ksigaction *a)
{
	return a->handler != SIG_DFL && a->handler != SIG_IGN && (a->flags & SA_RESTORER) &&
	       sig != SIGKILL && sig != SIGSTOP;
}

long zp_signal_other_action(int sig, const void *act, void *oldact)
{
	struct zp_ksigaction tmp, k, prev = *action(sig);
	uint64_t own = zp_signal_own_mask();
	bool wrap = false;

	if (act != NULL) {
		if (zp_read_user(&tmp, (uintptr_t)act, sizeof(tmp)) != sizeof(tmp))
			return -EFAULT;
		/* a handler's mask must not block the runtime's signals: its
		 * own system calls may arrive by them. The program reads back
		 * the mask it asked for. */
		k = tmp;
		k.mask &= ~own;
		wrap = wrappable(sig, &tmp);
		if (wrap) {
			k.handler = (void *)wrapped;
			k.flags = (k.flags | SA_SIGINFO) & ~(unsigned long)SA_RESETHAND;
			/* the action before the kernel holds `wrapped` for it */
			record(sig, &tmp);
		}
	}
	/* the old action straight into the program's memory (an address
	 * there the kernel cannot write fails as natively, the new action
	 * taken), put right below */
	long r = zp_kernel_call(SYS_rt_sigaction, sig, act != NULL ? (long)&k : 0, (long)oldact, 8, 0, 0);
	if (r != 0)
		return r;
	if (act != NULL && !wrap)
		record(sig, &tmp);
	/* ignored: a pending signal is discarded, the one this thread holds
	 * back too (its mark, pending, is) */
	struct zp_thread *t = &zp_tls;
	if (act != NULL && tmp.handler == SIG_IGN && t->held_sig == sig && t->held_tid == my_tid())
		t->held_sig = 0;
	uint64_t asked = masked_out[sig];
	if (act != NULL && !zp_in_vfork_child())
		masked_out[sig] = tmp.mask & own;
	if (oldact == NULL)
		return 0;
	struct zp_ksigaction *old = oldact;
	if (old->handler == (void *)wrapped) {
		/* as the kernel would keep the program's: the flags it knows
		 * (it kept those of ours, SA_RESETHAND aside), no SIGKILL or
		 * SIGSTOP in the mask */
		prev.flags &= old->flags | SA_RESETHAND;
		prev.mask &= ~(1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1));
		*old = prev;
	} else {
		old->mask |= asked;
	}
	return 0;
}

/* needs_thunk -- calls that must run on the program's own stack, from its
 * exact registers: rt_sigreturn (the frame is at %rsp), vfork and clone
 * with CLONE_VM and no new stack (the child shares that stack). The hooks
 * see them (zp_dispatch_observe); the thunk makes them. */
static bool needs_thunk(const greg_t *g, long nr)
{
	switch (nr) {
	case SYS_rt_sigreturn:
	case SYS_vfork:
		return true;
	case SYS_clone:
		return g[REG_RSI] == 0 && (g[REG_RDI] & CLONE_VM);
	case SYS_clone3: {
		/* flags and stack, the first 6 words of the 8 at least the
		 * call reads: one it cannot read (in the trampoline's pages,
		 * or unmapped) is the kernel's EFAULT, made as any call */
		uint64_t w[6];
		size_t size = (size_t)g[REG_RSI];
		uintptr_t ca = (uintptr_t)g[REG_RDI];
		_Static_assert(offsetof(struct clone_args, stack) == 5 * 8, "clone_args");
		if (size < offsetof(struct clone_args, tls) + 8 || (zp_page0_mapped && zp_page0_low(ca)) ||
		    zp_probe_copy(w, (const void *)ca, 6) < 0)
			return false;
		return w[5] == 0 && (w[0] & CLONE_VM);
	}
	default:
		return false;
	}
}

/* xstate -- the signal frame's saved extended state, when it is in XSAVE
 * format: the child of a clone made from here starts with it */
static void *xstate(ucontext_t *uc)
{
	struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	uint32_t magic;

	if (fp == NULL)
		return NULL;
	memcpy(&magic, (char *)fp + 464, sizeof(magic));    /* sw_reserved.magic1 */
	return magic == 0x46505853U ? fp : NULL;             /* FP_XSTATE_MAGIC1 */
}

/* emulate -- perform the call the program made, then resume after it. The
 * handler runs with SA_NODEFER, so the signal mask is the program's own;
 * the kernel restores uc_sigmask on return, so a change the call made to
 * the mask is copied there. */
static void emulate(ucontext_t *uc, long nr, bool known, uintptr_t resume)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct zp_frame f = {
		.r15 = (uint64_t)g[REG_R15], .r14 = (uint64_t)g[REG_R14],
		.r13 = (uint64_t)g[REG_R13], .r12 = (uint64_t)g[REG_R12],
		.rbp = (uint64_t)g[REG_RBP], .rbx = (uint64_t)g[REG_RBX],
		.r9 = (uint64_t)g[REG_R9], .r8 = (uint64_t)g[REG_R8],
		.r10 = (uint64_t)g[REG_R10], .rdx = (uint64_t)g[REG_RDX],
		.rsi = (uint64_t)g[REG_RSI], .rdi = (uint64_t)g[REG_RDI],
		.rax = (uint64_t)nr, .ret = resume,
	};
	uint32_t handled = zp_tls.handled;
	long r;

	if (known && needs_thunk(g, nr)) {
		/* the hooks see it first, as on the fast path; unless one
		 * answers it, the program's own registers and stack make it */
		zp_tls.sigreturn_uc = (uintptr_t)g[REG_RSP];
		if (!zp_dispatch_observe(&f, &r)) {
			if (nr == SYS_rt_sigreturn)
				zp_signal_returning((void *)g[REG_RSP]);
			zp_tls.thunk_ret = resume;
			zp_tls.vfork_nr = nr;
			g[REG_RIP] = (greg_t)(nr == SYS_rt_sigreturn ? zp_thunk_plain : zp_thunk_vfork);
			return;
		}
	} else if (known) {
		/* the signal frame's state is in XSAVE format: in the zmm
		 * mode the clone paths are told so (RESTORE_XAREA: bit 0) */
		char *x = xstate(uc);
		r = zp_dispatch_signal(&f, x != NULL && zp_save_mode == ZP_SAVE_ZMM ? x + 1 : x);
	} else {
		r = -ENOSYS;
	}
	if (nr == SYS_rt_sigprocmask || nr == SYS_prctl || zp_tls.handled != handled) {
		/* (prctl: the program's own dispatch may have made SIGSYS
		 * ours, and unblocked it for real: zp_signal_program_sud; a
		 * handler of the program's that ran during the call returned
		 * with the mask it left in its context; with signals left to
		 * be let through, the mask is the one before all were
		 * blocked) */
		uint64_t mask = zp_tls.at_site_mask;
		if (zp_tls.at_site == 0)
			raw_sigmask(SIG_BLOCK, NULL, &mask);
		memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	}
	if (nr == SYS_sigaltstack && r == 0) {
		/* rt_sigreturn sets the alternate stack from uc_stack too:
		 * the one the call set, not the one before it */
		stack_t now;
		if (zp_raw_syscall(SYS_sigaltstack, 0, (long)&now, 0, 0, 0, 0) == 0) {
			now.ss_flags &= ~SS_ONSTACK;
			uc->uc_stack = now;
		}
	}
	/* signals held back once the call was in the kernel: delivered as
	 * the program resumes after it (or at it, to be made again) */
	if (zp_tls.at_site != 0) {
		uint64_t mask;
		memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
		mask = at_site_taken(&zp_tls, mask);
		memcpy(&uc->uc_sigmask, &mask, sizeof(mask));
	}
	g[REG_RAX] = r;
	g[REG_RCX] = (greg_t)resume;
	g[REG_R11] = g[REG_EFL];
	g[REG_RIP] = (greg_t)f.ret;
}

/* A signal that is a system call, as the handler found it */
struct call {
	ucontext_t *uc;
	long nr;
	uintptr_t resume;
	enum { CALL_PLAIN, CALL_EXCLUDED, CALL_DISPATCHED, CALL_INT80 } kind;
	int saved_errno;
};

/* perform -- make the call the signal stands for */
static void perform(const struct call *c)
{
	uint64_t guard;

	switch (c->kind) {
	case CALL_INT80:
		zp_sud_int80(c->uc);
		break;
	case CALL_EXCLUDED:
		/* an object the user excluded: not hooked */
		guard = zp_tls.guard;
		zp_tls.guard = 1;
		emulate(c->uc, c->nr, true, c->resume);
		zp_tls.guard = guard;
		if (!(guard & ZP_GUARD_HOOK))
			zp_guard_down(&zp_tls);
		break;
	case CALL_DISPATCHED:
		emulate(c->uc, c->nr, true, c->resume);
		zp_lazy_rewrite(c->resume - 2);
		break;
	case CALL_PLAIN:
		emulate(c->uc, c->nr, true, c->resume);
		break;
	}
}

/* The call moved to the program's own stack: a copy of the signal frame's
 * context (the kernel's part of it) and of its extended state, which
 * rt_sigreturn takes from there. */
struct zp_moved {
	struct call call;
	ucontext_t uc;
};

/* the kernel's ucontext: glibc's ucontext_t goes on past the 8-byte mask */
#define UC_KERNEL_SIZE (offsetof(ucontext_t, uc_sigmask) + sizeof(uint64_t))

/* fpstate_size -- the bytes of the frame's saved vector state */
static size_t fpstate_size(ucontext_t *uc)
{
	uint32_t extended;

	if (uc->uc_mcontext.fpregs == NULL)
		return 0;
	if (xstate(uc) == NULL)
		return sizeof(struct _libc_fpstate);
	memcpy(&extended, (char *)uc->uc_mcontext.fpregs + 468, sizeof(extended)); /* sw_reserved.extended_size */
	return extended;
}

/* zp_moved_call -- nostack.S, on the program's stack: the call, then back
 * to nostack.S, which returns to the program by rt_sigreturn from m->uc */
void zp_moved_call(struct zp_moved *m)
{
	perform(&m->call);
	errno = m->call.saved_errno;
}

/* run -- perform the call, on the program's own stack where the handler
 * runs on the alternate stack and the program was not on it. The
 * program's handler for the signal asked for the alternate stack
 * (Python's faulthandler, 16 KiB; MINSIGSTKSZ is 2 KiB), and a system
 * call natively takes none of it; its emulation (hooks, a library loaded
 * late, the safety net's rewrite) may take more than is left. It runs
 * below the red zone, as the kernel's own frame would have; once there it
 * never returns to the alternate stack, which a signal arriving meanwhile
 * (its stack pointer is not on it) takes from the top, over this
 * handler's frame. */
static void run(struct call *c)
{
	ucontext_t *uc = c->uc;
	uintptr_t alt = (uintptr_t)uc->uc_stack.ss_sp, size = uc->uc_stack.ss_size;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];

	/* the kernel's on_sig_stack(): above ss_sp, at most ss_size above */
	if (here - alt - 1 >= size || sp - alt - 1 < size) {
		perform(c);
		errno = c->saved_errno;
		return;
	}
	size_t fpsize = fpstate_size(uc);
	uintptr_t fp = ((sp - 128) & ~(uintptr_t)63) - ((fpsize + 63) & ~(size_t)63);
	struct zp_moved *m = (struct zp_moved *)((fp - sizeof(struct zp_moved)) & ~(uintptr_t)63);
	memcpy(&m->uc, uc, UC_KERNEL_SIZE);
	if (fpsize != 0) {
		memcpy((void *)fp, uc->uc_mcontext.fpregs, fpsize);
		m->uc.uc_mcontext.fpregs = (struct _libc_fpstate *)fp;
	}
	m->call = *c;
	m->call.uc = &m->uc;
	zp_run_moved(m, &m->uc);
}

/* program_dispatch -- the program's own Syscall User Dispatch (sud.c)
 * takes the call: its SIGSYS as the kernel raises it, the call not made,
 * %rax holding its number, %rcx and %r11 as the syscall instruction left
 * them. The handler's changes to the context take effect on return. */
static bool program_dispatch(const struct call *c, siginfo_t *from)
{
	ucontext_t *uc = c->uc;
	greg_t *g = uc->uc_mcontext.gregs;
	int takes = zp_sud_program_takes(c->resume);

	/* a forked child's copy is stale; a vfork child's is its parent's */
	if (takes < 0 && !zp_in_vfork_child())
		zp_tls.psud.on = 0;
	if (takes <= 0)
		return false;
	if (from->si_signo != SIGSYS || from->si_code != 2 /* SYS_USER_DISPATCH */) {
		/* by a trap or the stub: what the kernel would have said */
		siginfo_t *si = from;
		memset(si, 0, sizeof(*si));
		si->si_signo = SIGSYS;
		si->si_code = 2;
		si->si_call_addr = (void *)c->resume;
		si->si_syscall = (int)c->nr;
		si->si_arch = c->kind == CALL_INT80 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
		g[REG_RAX] = c->nr;
		g[REG_RIP] = (greg_t)c->resume;
		g[REG_RCX] = (greg_t)c->resume;
		g[REG_R11] = g[REG_EFL];
	}
	/* called, not entered on this frame: entered, its rt_sigreturn was
	 * killed by SIGSYS under the tracer in sud mode (not understood) */
	forward(SIGSYS, from, uc, c->saved_errno, false);
	errno = c->saved_errno;
	return true;
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP], rax = (uintptr_t)g[REG_RAX];
	int saved = errno;
	struct call c = { .uc = uc, .nr = (long)rax, .resume = rip + 2, .kind = CALL_PLAIN,
			  .saved_errno = saved };

	if (si->si_code <= 0 && sig > 0 && sig < 64 && (zp_own_blocked >> (sig - 1) & 1)) {
		/* sent, not a fault, and the program blocks it */
		keep_pending(sig, si);
		errno = saved;
		return;
	}
	if ((sig == SIGSEGV || sig == SIGBUS) && rip == (uintptr_t)zp_probe_insn) {
		/* the runtime's probe of the program's memory (policy.c) */
		g[REG_RIP] = (greg_t)zp_probe_fixup;
		return;
	}
	if (sig == SIGSEGV && rip >= (uintptr_t)zp_uprobe_start && rip < (uintptr_t)zp_uprobe_end) {
		g[REG_RIP] = (greg_t)zp_uprobe_fault;
		return;
	}
	if (sig == SIGSYS && si->si_code == 2 /* SYS_USER_DISPATCH */ && zp_sud_on) {
		/* a system call from code the runtime never rewrote; the kernel
		 * left rip after the instruction and rax holding the number */
		c.resume = rip;
		if (si->si_arch == AUDIT_ARCH_I386) {
			/* int $0x80: an i386 number, no hook's */
			c.kind = CALL_INT80;
			goto call;
		}
		__atomic_add_fetch(&zp_late.sud_calls, 1, __ATOMIC_RELAXED);
		/* the kernel takes the number as an int; the hooks see all
		 * of it, as on the other paths */
		c.nr = (int)rax == si->si_syscall ? (long)rax : si->si_syscall;
		c.kind = zp_in_excluded(rip) ? CALL_EXCLUDED : CALL_DISPATCHED;
		goto call;
	}
	/* (page 0 is execute only: its bytes are not read here) */
	if (sig == SIGILL && si->si_code > 0 && rip >= ZP_PAGE_SIZE && ((const uint8_t *)rip)[1] == 0xd0 &&
	    (((const uint8_t *)rip)[0] == 0x0f || ((const uint8_t *)rip)[0] == 0xff) &&
	    (zp_sites_is_call(rip + 2) || zp_sites_is_slotout(rip + 2))) {
		/* a syscall site being rewritten (zp_live_patch): still a
		 * syscall. The core met 0f d0, but the first byte may be ff by
		 * now; `call *%rax` itself never raises #UD. */
		goto call;
	}
	if (sig == SIGILL && si->si_code > 0 && zp_sites_is_trap(rip))
		goto call;
	if (sig == SIGILL && rip == (uintptr_t)zp_psud_insn) {
		/* a rewritten site, sent here by the stub while the program's
		 * own dispatch is on: the site's return address is on top */
		c.resume = *(uintptr_t *)g[REG_RSP];
		g[REG_RSP] += 8;
		goto call;
	}
	if ((sig == SIGSEGV || sig == SIGILL) && si->si_code > 0) {
		/* landed past the sled (the jump's own bytes, the rest of page
		 * 0, beyond), or on an unmapped address: the call pushed its
		 * return address, and every byte there faults before it
		 * changes rax (trampoline.c) */
		if (rip == rax || rip < ZP_PAGE_SIZE) {
			uintptr_t ret = *(uintptr_t *)g[REG_RSP];
			if (zp_sites_is_call(ret) || zp_sites_is_slotout(ret)) {
				/* a slot-output site too: this frame is below
				 * the red zone, which the kernel may write */
				g[REG_RSP] += 8;
				c.resume = ret;
				goto call;
			}
			if (sig == SIGILL && rip < ZP_PAGE_SIZE) {
				/* a bad function pointer into page 0: natively
				 * a SIGSEGV there */
				zp_report_bad_call(ret, rip);
				si->si_signo = SIGSEGV;
				si->si_code = SEGV_ACCERR;
				si->si_addr = (void *)rip;
				sig = SIGSEGV;
			}
		}
		/* a non-canonical target faults before the push (Intel) */
		if (sig == SIGSEGV && (zp_sites_is_call(rip + 2) || zp_sites_is_slotout(rip + 2)) &&
		    *(uint16_t *)rip == 0xd0ff)
			goto call;
	}
	forward(sig, si, uc, saved, true);
	errno = saved;
	return;
call:
	if (__builtin_expect(zp_tls.psud.on != 0, 0) && program_dispatch(&c, si))
		return;
	run(&c);
}

int zp_signals_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGSYS };
	uint64_t blocked = 0;

	/* an execve carries the caller's mask (zp_signal_exec_prepare): the
	 * runtime's signals blocked in it are the program's to block, and
	 * ours to have deliverable, once our handler keeps those sent */
	raw_sigmask(SIG_BLOCK, NULL, &blocked);
	zp_own_blocked = blocked & zp_signal_own_mask();

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (!zp_signal_is_ours(sigs[i]))
			continue;
		/* one call that installs ours and reads the program's; again
		 * when the program's ran on the alternate stack, as ours must */
		long r = install_old(sigs[i], 0, &shadow[sigs[i]]);
		if (r == 0 && (shadow[sigs[i]].flags & SA_ONSTACK))
			r = install(sigs[i], SA_ONSTACK);
		if (r < 0)
			return (int)r;
	}
	if (zp_own_blocked != 0)
		raw_sigmask(SIG_UNBLOCK, &zp_own_blocked, NULL);
	return 0;
}
