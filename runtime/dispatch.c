/* dispatch.c -- from the stub to the hooks and back.
 *
 * Two paths. The enter/exit path (zp_enter, zp_exit) serves hooks of that
 * style: the stub makes the real call itself between the two, so no C
 * frame is below the kernel entry. The chain path (zp_dispatch) serves
 * hooks of the syscall/next style and the numbers the runtime handles
 * itself: the chain's last `next` is zp_next() (policy.c), and hooks of
 * the enter/exit style take part in it through adapters (loader.c). */
#include <errno.h>
#include <limits.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "page0.h"
#include "runtime.h"

_Static_assert(offsetof(struct zp_thread, guard) == ZP_T_GUARD, "layout.h");
_Static_assert(offsetof(struct zp_thread, frame) == ZP_T_FRAME, "layout.h");
_Static_assert(offsetof(struct zp_thread, xarea) == ZP_T_XAREA, "layout.h");
_Static_assert(offsetof(struct zp_thread, vfork_depth) == ZP_T_VDEPTH, "layout.h");
_Static_assert(offsetof(struct zp_thread, vfork_ret) == ZP_T_VRET, "layout.h");
_Static_assert(offsetof(struct zp_thread, thunk_ret) == ZP_T_THUNK_RET, "layout.h");
_Static_assert(offsetof(struct zp_thread, at_site) == ZP_T_AT_SITE, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R8]) == ZP_UC_R8, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R15]) == ZP_UC_R15, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RAX]) == ZP_UC_RAX, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]) == ZP_UC_RSP, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]) == ZP_UC_RIP, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_EFL]) == ZP_UC_EFL, "layout.h");
_Static_assert(offsetof(ucontext_t, uc_sigmask) + 8 <= ZP_UC_ROOM, "layout.h");
_Static_assert(sizeof(struct zp_frame) == ZP_FRAME_SIZE, "layout.h");
_Static_assert(offsetof(struct zp_frame, r12) == ZP_F_R12, "layout.h");
_Static_assert(offsetof(struct zp_frame, rsi) == ZP_F_RSI, "layout.h");
_Static_assert(offsetof(struct zp_frame, rdi) == ZP_F_RDI, "layout.h");
_Static_assert(offsetof(struct zp_frame, rax) == ZP_F_RAX, "layout.h");
_Static_assert(offsetof(struct zp_frame, ret) == ZP_F_RET, "layout.h");
_Static_assert(offsetof(struct zp_cframe, call.nr) == ZP_CF_NR, "layout.h");
_Static_assert(offsetof(struct zp_cframe, call.args) == ZP_CF_ARGS, "layout.h");
_Static_assert(offsetof(struct zp_cframe, call.ret) == ZP_CF_RET, "layout.h");
_Static_assert(offsetof(struct zp_cframe, slot) == ZP_CF_SLOTS, "layout.h");
_Static_assert(offsetof(struct zp_cframe, exits) == ZP_CF_EXITS, "layout.h");
_Static_assert(sizeof(struct zp_cframe) == ZP_CF_SIZE, "layout.h");
_Static_assert(sizeof(((struct zp_cframe *)0)->slot) / 8 > ZP_MAX_HOOKS, "a slot per hook");
_Static_assert(ZP_SAVE_ZMM == ZP_SAVE_MODE_ZMM, "layout.h");

__thread struct zp_thread zp_tls __attribute__((tls_model("initial-exec")));

/* Until the hooks are started, everything takes the chain, which ends in
 * zp_next() alone (loader.c sets the classes once the hooks are known). */
uint8_t zp_nr_class[ZP_NR_CLASSES] = { [0 ... ZP_NR_CLASSES - 1] = ZP_CLASS_POLICY };
uint8_t zp_nr_pmask[ZP_NR_CLASSES];
uint8_t zp_nr_fdelse[ZP_NR_CLASSES];
uint8_t zp_nr_fdmask[ZP_NR_CLASSES];
int zp_own_fd_floor = INT_MAX;

/* runtime_checks -- the call as the enters left it, for numbers with
 * pointer arguments (a path is one; the stub reaches here only by page 0,
 * so it is mapped): a pointer into the trampoline's pages must fail as
 * natively, and while the runtime holds descriptors a path naming one of
 * them fails with ENOENT (zp_fd_class sends numbers with paths here). The
 * others pay one test, held or not. 1: answered (call.ret). */
static inline __attribute__((always_inline)) long runtime_checks(struct zp_cframe *f)
{
	uint32_t k = zp_page0_kind(f->call.nr);

	if ((k & ~ZP_ARG_FDS) == 0)
		return 0;
	if (__builtin_expect(zp_page0_hit_kind(f->call.nr, k, f->call.args), 0)) {
		f->call.ret = zp_page0_call(f->call.nr, f->call.args);
		return 1;
	}
	if (__builtin_expect(__atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED) != INT_MAX, 0) &&
	    zp_syscall_paths[f->call.nr] != 0 && zp_path_names_own_fd(f->call.nr, f->call.args)) {
		f->call.ret = -ENOENT;
		return 1;
	}
	return 0;
}

/* unfollowed_call -- an unfollowed vfork child's call (zp_enter): no
 * hooks, the runtime's checks; out of the way of the hooked path */
static __attribute__((noinline, cold)) long unfollowed_call(struct zp_thread *t, struct zp_cframe *f)
{
	long done;

	t->guard = ZP_GUARD_UNFOLLOWED | ZP_GUARD_HOOK;
	done = runtime_checks(f);
	t->guard = ZP_GUARD_UNFOLLOWED;
	zp_guard_down(t);
	return done;
}

/* zp_enter -- the enters of the hooks that want the call, in order. 0: make
 * the call; 1: a hook answered (call->ret). f->exits: whose exit runs. */
long zp_enter(struct zp_cframe *f)
{
	struct zp_thread *t = &zp_tls;
	const struct zp_hook *h = zp_hooks;
	long nr = f->call.nr;
	uint32_t exits = 0;
	long done = 0;

	if (__builtin_expect(t->guard != 0, 0)) {
		/* hook code came back through a rewritten site: no hooks; an
		 * unfollowed vfork child: no hooks, the runtime's checks */
		f->exits = 0;
		if (t->guard != ZP_GUARD_UNFOLLOWED)
			return 0;
		return unfollowed_call(t, f);
	}
	uint8_t sel = zp_guard_up(t, 1);
	for (int i = 0; i < zp_nhooks; i++, h++) {
		if (!zp_hook_wants(h, f->call.nr))
			continue;
		if (h->enter != NULL && h->enter(&f->call, &f->slot[i]) == ZPOLINE_DONE) {
			done = 1;
			break;
		}
		if (h->exit != NULL)
			exits |= 1u << i;
	}
	f->exits = exits;
	/* an enter turned the call into one the runtime must handle */
	if (__builtin_expect(f->call.nr != nr, 0) && !done &&
	    ((unsigned long)f->call.nr >= ZP_NR_CLASSES || zp_nr_class[f->call.nr] == ZP_CLASS_POLICY)) {
		f->call.ret = zp_policy_call(&f->call);
		done = 1;
	}
	if (!done)
		done = runtime_checks(f);
	zp_guard_back(t, 0, sel);
	return done;
}

/* run_exits -- the exits of the hooks in the mask, last hook first */
static void run_exits(struct zpoline_call *call, uint64_t *slots, uint32_t exits)
{
	while (exits != 0) {
		int i = 31 - __builtin_clz(exits);
		exits &= ~(1u << i);
		zp_hooks[i].exit(call, &slots[i]);
	}
}

/* zp_exit -- the exits, in reverse order, after the kernel's turn */
void zp_exit(struct zp_cframe *f)
{
	struct zp_thread *t = &zp_tls;
	uint32_t exits = f->exits;

	uint8_t sel = zp_guard_up(t, 1);
	run_exits(&f->call, f->slot, exits);
	/* the stub returns to the site next: signals held back meanwhile
	 * may reach it there (zp_signal_at_site) */
	t->exit_stage = true;
	zp_guard_back(t, 0, sel);
	t->exit_stage = false;
}

/* dispatch -- the chain path; from the stub (at_site), which returns to
 * the site next: signals held back in the chain may reach it there
 * (zp_signal_at_site) */
static inline __attribute__((always_inline)) long dispatch(struct zp_frame *f, void *xarea, bool at_site)
{
	struct zp_thread *t = &zp_tls;
	uint64_t pguard = t->guard;
	struct zp_frame *pframe = t->frame;
	void *pxarea = t->xarea;
	uint8_t psel = t->sud_selector;
	long r;

	struct zp_entry e = { pguard, pframe, pxarea, psel, t->entry };
	t->entry = &e;
	/* the stub's: the context is the program's stack above the frame
	 * (a signal path has set it, observing) */
	if (__builtin_expect(f->rax == SYS_rt_sigreturn, 0) && t->observe == NULL)
		t->sigreturn_uc = (uintptr_t)f + ZP_FRAME_SIZE;
	t->frame = f;
	t->xarea = xarea;
	/* the process's end, from a thread --no-follow left alone, is the
	 * followed thread's end too: the hooks see it (strace without -f
	 * shows the call that thread was in, and the exit) */
	if (pguard == ZP_GUARD_UNFOLLOWED && f->rax == SYS_exit_group && !zp_in_vfork_child())
		pguard = 0;
	if (pguard) {
		/* hook code came back through a rewritten site, or an
		 * unfollowed vfork child: no hooks */
		zp_guard_up(t, pguard | ZP_GUARD_HOOK);
		r = zp_next(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	} else {
		zp_guard_up(t, 1);
		r = zp_chain(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	}
	t->entry = e.prev;
	t->frame = pframe;
	t->xarea = pxarea;
	t->exit_stage = at_site;
	zp_guard_back(t, pguard, psel);
	t->exit_stage = false;
	return r;
}

/* zp_dispatch -- the chain path, for the signal paths; zp_dispatch_stub
 * -- for the stub's */
long zp_dispatch(struct zp_frame *f, void *xarea)
{
	return dispatch(f, xarea, false);
}

long zp_dispatch_stub(struct zp_frame *f, void *xarea)
{
	return dispatch(f, xarea, true);
}

void zp_leave_dispatch(struct zp_thread *t)
{
	struct zp_entry *e = t->entry;

	/* the dispatch's own record: a call inside its chain that
	 * dispatched too (a hook's, a handler's) has left it by now */
	t->entry = e->prev;
	t->frame = e->frame;
	t->xarea = e->xarea;
	zp_guard_back(t, e->guard, e->sel);
}

void zp_observed(struct zp_thread *t)
{
	if (t->observe == NULL)
		return;
	zp_leave_dispatch(t);
	__builtin_longjmp(t->observe, 1);
}

bool zp_dispatch_observe(struct zp_frame *f, long *ret)
{
	struct zp_thread *t = &zp_tls;
	void *buf[5];
	void **prev = t->observe;
	bool answered = false;

	t->observe = buf;
	if (__builtin_setjmp(buf) == 0) {
		*ret = zp_dispatch(f, NULL);
		answered = true;
	}
	t->observe = prev;
	return answered;
}

void zp_vfork_path(struct zp_thread *t, long nr)
{
	struct zp_frame *f = t->frame;
	void *x = t->xarea;

	zp_observed(t);
	t->vfork_nr = nr;
	zp_leave_dispatch(t);
	zp_do_vfork(f, x);
}

/* zp_vfork_notify -- right after a vfork-like call, in the child (rax 0)
 * and in the parent: the hooks hear its result */
void zp_vfork_notify(struct zp_frame *f)
{
	struct zp_thread *t = &zp_tls;
	uint64_t g = t->guard;
	uint8_t sel = zp_guard_up(t, 1);
	uint32_t exits = t->vfork_exits;

	/* clone3's arguments are still where the call read them */
	if (f->rax == 0 && t->vfork_nr == SYS_clone3)
		zp_signal_cloned(((const struct clone_args *)f->rdi)->flags);
	/* the parent, back: an unfollowed child left its mark on the state
	 * they share, unless the parent is such a child itself */
	if (f->rax != 0 && (g & ZP_GUARD_UNFOLLOWED) && !zp_in_vfork_child() && !t->unfollowed)
		g &= ~(uint64_t)ZP_GUARD_UNFOLLOWED;
	/* --no-follow: the child is not the hooks' (as strace without -f
	 * shows no line of a vfork child, its return included), nor is
	 * the parent when it is a thread not followed */
	bool unfollowed = !zp_follow && (f->rax == 0 || t->unfollowed);
	if (unfollowed)
		g |= ZP_GUARD_UNFOLLOWED;
	t->vfork_call.ret = (long)f->rax;
	if (!unfollowed) {
		run_exits(&t->vfork_call, t->vfork_slot, exits);
		for (int i = 0; i < zp_nhooks; i++)
			if (zp_hooks[i].vfork_return != NULL)
				zp_hooks[i].vfork_return(t->vfork_nr, (long)f->rax);
	}
	/* the parent resumes after its child is gone: the exits are done,
	 * and what the child's execve left in our memory can go */
	if (f->rax != 0) {
		t->vfork_exits = 0;
		zp_exec_map_release(t);
	}
	zp_guard_back(t, g, sel);
	/* a vfork child is a new task: Syscall User Dispatch is not inherited
	 * (it shares this thread's memory, selector included, until it execs
	 * or exits, while its parent waits) */
	if (f->rax == 0 && zp_follow)
		zp_sud_arm_thread();
}
