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
_Static_assert(ZP_MAX_HOOKS <= 16, "ZP_EXITS_HOOKS");
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

/* renumbered -- an enter changed the number of the call at f from nr:
 * kept, for a restart makes the program's call again (zp_exit); a call
 * the runtime must handle is made here. done as zp_enter's. */
static __attribute__((noinline, cold)) long renumbered(struct zp_cframe *f, long nr, long done)
{
	f->nr0 = nr;
	f->exits |= ZP_EXITS_RENUMBERED;
	if (!done && ((unsigned long)f->call.nr >= ZP_NR_CLASSES || zp_nr_class[f->call.nr] == ZP_CLASS_POLICY)) {
		f->call.ret = zp_policy_call(&f->call);
		done = 1;
	}
	return done;
}

/* site_return -- where the return address to the site lies, the stub's
 * own at top: there, or, for a slot-output site, the copy its fixup
 * returns to (zp_bad_call). site_ret -- that of the enter/exit frame f,
 * above the program's registers and red zone. */
static uint64_t *site_return(uint64_t *top)
{
	return *top == (uint64_t)zp_slotout_fixup ? top + 1 : top;
}

static uint64_t *site_ret(struct zp_cframe *f)
{
	return site_return((uint64_t *)((char *)f + ZP_CF_SIZE + 7 * 8 + 128));
}

/* before_call -- signals held back during the enters of the call at f
 * (nr the program's number): natively they came before the call, and
 * their handlers find the program on it, the call to be made once they
 * return. The stub lets them through at the site (zp_release_at_site),
 * the site's return moved back onto the call and the program's number
 * for its %rax; the call, as the enters left it, is kept, and made when
 * the program comes back to the site with the same call (resumed), its
 * exits after it. Where they go the usual way (zp_signal_at_site), or for
 * a call a hook answered, their handlers run here, before the call is
 * made. done as zp_enter's. */
static __attribute__((noinline, cold)) long before_call(struct zp_thread *t, struct zp_cframe *f, long nr, long done)
{
	zp_signal_release(t, done || zp_intr_inside ? ZP_STAGE_NONE : ZP_STAGE_SITE);
	if (done || t->at_site == 0)
		return done;
	uint64_t *ret = site_ret(f);
	t->precall_kept = 1;
	t->precall.ret_slot = ret;
	t->precall.ret = *ret;
	t->precall.nr = nr;
	__builtin_memcpy(t->precall.args, (char *)f + ZP_CF_SIZE, sizeof(t->precall.args));
	t->precall.call = f->call;
	t->precall.exits = f->exits;
	__builtin_memcpy(t->precall.slot, f->slot, sizeof(t->precall.slot));
	*ret -= 2;
	f->call.ret = nr;
	f->exits = ZP_EXITS_PRECALL;
	t->site_restart = true;
	return 1;
}

/* resumed -- the program back at the site of the call before_call kept,
 * with the same call: f is that call, as its enters left it, to be made
 * now (true). Another call from below that site's frame (a handler's) is
 * made as usual; one from that frame or above it finds the program gone
 * on without the call (a handler that left by siglongjmp, or changed the
 * context): it is forgotten, its exits never run. */
static __attribute__((noinline, cold)) bool resumed(struct zp_thread *t, struct zp_cframe *f)
{
	uint64_t *ret = site_ret(f);

	if (ret < t->precall.ret_slot)
		return false;
	bool same = ret == t->precall.ret_slot && *ret == t->precall.ret && f->call.nr == t->precall.nr &&
		    __builtin_memcmp((char *)f + ZP_CF_SIZE, t->precall.args, sizeof(t->precall.args)) == 0;
	t->precall_kept = 0;
	if (!same)
		return false;
	f->call = t->precall.call;
	f->exits = t->precall.exits;
	f->nr0 = t->precall.nr;
	__builtin_memcpy(f->slot, t->precall.slot, sizeof(t->precall.slot));
	return true;
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

	if (__builtin_expect(t->guard_word != 0, 0)) {
		/* a call kept for its site (before_call) */
		if (t->guard == 0) {
			if (resumed(t, f))
				return 0;
		} else {
			/* hook code came back through a rewritten site: no
			 * hooks; an unfollowed vfork child: no hooks, the
			 * runtime's checks */
			f->exits = 0;
			if (t->guard != ZP_GUARD_UNFOLLOWED)
				return 0;
			return unfollowed_call(t, f);
		}
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
	if (__builtin_expect(f->call.nr != nr, 0))
		done = renumbered(f, nr, done);
	if (!done)
		done = runtime_checks(f);
	/* zp_guard_back(t, 0, sel), signals held back meanwhile to
	 * before_call */
	t->sud_selector = sel;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->guard = 0;
	if (__builtin_expect(t->deferred != 0, 0))
		done = before_call(t, f, nr, done);
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

/* marked_exit -- zp_exit for a call the runtime marked (ZP_EXITS_*): one
 * a signal interrupted (signal.c, at_hooked_call), whose exits
 * zpoline_init.interrupted tells of it, and whose signal the stub lets
 * through at the site; a restart they left as it was goes back to the
 * site, to make the program's call again (its number in %rax) once the
 * handler has run, as the kernel would have: the return address on the
 * stack, or the copy a slot-output site's fixup returns to (zp_bad_call) */
static __attribute__((noinline, cold)) void marked_exit(struct zp_thread *t, struct zp_cframe *f, uint8_t sel)
{
	uint32_t x = f->exits;

	t->exit_intr = x & ZP_EXITS_SITE ? f->intr : 0;
	run_exits(&f->call, f->slot, x & ZP_EXITS_HOOKS);
	t->exit_intr = 0;
	zp_guard_back_at(t, 0, sel, ZP_STAGE_SITE);
	if ((x & ZP_EXITS_RESTART) && f->call.ret == -ZPOLINE_ERESTARTSYS) {
		*site_ret(f) -= 2;
		f->call.ret = x & ZP_EXITS_RENUMBERED ? f->nr0 : f->call.nr;
		/* (for zp_release_frame, where the stub lets signals through) */
		t->site_restart = t->at_site != 0;
	}
}

/* zp_exit -- the exits, in reverse order, after the kernel's turn */
void zp_exit(struct zp_cframe *f)
{
	struct zp_thread *t = &zp_tls;
	uint32_t exits = f->exits;

	uint8_t sel = zp_guard_up(t, 1);
	if (__builtin_expect(exits & ~ZP_EXITS_HOOKS, 0)) {
		marked_exit(t, f, sel);
		return;
	}
	run_exits(&f->call, f->slot, exits);
	/* the stub returns to the site next: signals held back meanwhile
	 * may reach it there (zp_signal_at_site) */
	zp_guard_back_at(t, 0, sel, ZP_STAGE_SITE);
}

/* restarted -- the dispatch's end (its held signals let through or left
 * to the site) for a call the kernel would have made again once the
 * handler of the signal that interrupted it had run (signal.c, at_turn):
 * unless the hooks changed the -ERESTARTSYS, the program's call goes back
 * to its instruction, its number for the result; at the site, by the
 * return address on the stack (or the copy a slot-output site's fixup
 * returns to, zp_bad_call) */
static __attribute__((noinline, cold)) long restarted(struct zp_thread *t, struct zp_frame *f, int stage, long r)
{
	uint64_t *ret = &f->ret;

	if (r != -ZPOLINE_ERESTARTSYS)
		return r;
	if (stage == ZP_STAGE_SITE) {
		ret = site_return(ret);
		/* (for zp_release_frame, where the stub lets signals through) */
		t->site_restart = t->at_site != 0;
	}
	*ret -= 2;
	return (long)f->rax;
}

/* dispatch -- the chain path. With a stage, signals held back once the
 * program's call is in the kernel wait for the chain's end, and the stub
 * lets them through at the site (zp_signal_at_site), or the signal path
 * in the context it returns to */
static inline __attribute__((always_inline)) long dispatch(struct zp_frame *f, void *xarea, int stage)
{
	struct zp_thread *t = &zp_tls;
	uint64_t pguard = t->guard;
	struct zp_frame *pframe = t->frame;
	void *pxarea = t->xarea;
	uint8_t psel = t->sud_selector;
	long r;

	struct zp_entry e = { pguard, pframe, pxarea, psel, t->entry, stage != ZP_STAGE_NONE ? f : NULL, 0, false };
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
		 * unfollowed vfork child: no hooks, no stage of ours */
		e.stage = NULL;
		zp_guard_up(t, pguard | ZP_GUARD_HOOK);
		r = zp_next(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	} else {
		zp_guard_up(t, 1);
		r = zp_chain(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	}
	t->entry = e.prev;
	t->frame = pframe;
	t->xarea = pxarea;
	zp_guard_back_at(t, pguard, psel, (uint8_t)stage);
	if (__builtin_expect(e.restart, 0))
		r = restarted(t, f, stage, r);
	return r;
}

/* zp_dispatch -- the chain path, for the signal paths; zp_dispatch_stub
 * -- for the stub's; zp_dispatch_signal -- for the signal path's call
 * (signal.c, emulate) */
long zp_dispatch(struct zp_frame *f, void *xarea)
{
	return dispatch(f, xarea, ZP_STAGE_NONE);
}

long zp_dispatch_stub(struct zp_frame *f, void *xarea)
{
	return dispatch(f, xarea, ZP_STAGE_SITE);
}

long zp_dispatch_signal(struct zp_frame *f, void *xarea)
{
	return dispatch(f, xarea, ZP_STAGE_FRAME);
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
		t->turn = NULL;
		zp_exec_map_release(t);
	}
	zp_guard_back(t, g, sel);
	/* a vfork child is a new task: Syscall User Dispatch is not inherited
	 * (it shares this thread's memory, selector included, until it execs
	 * or exits, while its parent waits) */
	if (f->rax == 0 && zp_follow)
		zp_sud_arm_thread();
}
