/* hook.c -- load the hooks, call them, and perform the real call.
 *
 * zp_dispatch() is what the stub calls; it runs the chain of hooks, whose
 * last `next` is zp_next(). zp_next() is where the runtime itself has a say:
 * calls that cannot complete on a C stack (clone with a new stack, vfork,
 * rt_sigreturn) go to stub.S with the program's saved registers, the
 * signals the runtime needs are virtualised, and the trace descriptor is
 * kept out of the program's way. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "runtime.h"
#include "zp.h"

_Static_assert(offsetof(struct zp_thread, guard) == ZP_T_GUARD, "stub.S offsets");
_Static_assert(offsetof(struct zp_thread, frame) == ZP_T_FRAME, "stub.S offsets");
_Static_assert(offsetof(struct zp_thread, xarea) == ZP_T_XAREA, "stub.S offsets");
_Static_assert(offsetof(struct zp_thread, vfork_depth) == ZP_T_VDEPTH, "stub.S offsets");
_Static_assert(offsetof(struct zp_thread, vfork_ret) == ZP_T_VRET, "stub.S offsets");
_Static_assert(offsetof(struct zp_thread, thunk_ret) == ZP_T_THUNK_RET, "stub.S offsets");
_Static_assert(sizeof(struct zp_frame) == ZP_FRAME_SIZE, "stub.S offsets");
_Static_assert(offsetof(struct zp_frame, ret) == 232, "stub.S offsets");

__thread struct zp_thread zp_tls __attribute__((tls_model("initial-exec")));

/* glibc allows 16 namespaces, the main one included */
#define MAX_HOOKS 15

struct hook {
	const struct zpoline_hook *def;     /* NULL for an original-zpoline hook */
	zpoline_syscall_fn *fn;
	zpoline_syscall_fn *next;
};

static struct hook hooks[MAX_HOOKS];
static int nhooks;
static zpoline_syscall_fn *chain = zp_next;
int zp_trace_fd = 2;
int zp_shared_fd = -1;
void *zp_shared;
static int fini_done;

long zp_dispatch(struct zp_frame *f, void *xarea)
{
	struct zp_thread *t = &zp_tls;
	uint64_t pguard = t->guard;
	struct zp_frame *pframe = t->frame;
	void *pxarea = t->xarea;
	long r;

	uint8_t psel = zp_sud_set(ZP_SUD_ALLOW);

	t->entry_guard = pguard;
	t->entry_frame = pframe;
	t->entry_xarea = pxarea;
	t->entry_sel = psel;
	t->frame = f;
	t->xarea = xarea;
	if (pguard) {
		/* hook code came back through a rewritten site: no hooks */
		r = zp_next(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	} else {
		t->guard = 1;
		r = chain(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	}
	t->guard = pguard;
	t->frame = pframe;
	t->xarea = pxarea;
	t->sud_selector = psel;
	return r;
}

static long raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	uint64_t g = t->guard;
	long r;

	/* signal handlers of the program that run while this call blocks
	 * are program code: their calls are hooked (and, with the safety
	 * net, caught) */
	t->guard = 0;
	uint8_t sel = zp_sud_set(ZP_SUD_BLOCK);
	r = zp_raw_syscall(nr, a1, a2, a3, a4, a5, a6);
	t->sud_selector = sel;
	t->guard = g;
	return r;
}

/* leave_dispatch -- for calls that do not return to the dispatcher */
static void leave_dispatch(struct zp_thread *t)
{
	t->guard = t->entry_guard;
	t->frame = t->entry_frame;
	t->xarea = t->entry_xarea;
	t->sud_selector = t->entry_sel;
}

/* observed -- the call is the signal path's to make: back to it */
static void observed(struct zp_thread *t)
{
	if (t->observe == NULL)
		return;
	leave_dispatch(t);
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

__attribute__((noreturn)) static void vfork_path(struct zp_thread *t, long nr)
{
	struct zp_frame *f = t->frame;
	void *x = t->xarea;

	observed(t);
	t->vfork_nr = nr;
	leave_dispatch(t);
	zp_do_vfork(f, x);
}

static bool follow = true;

void zp_vfork_notify(struct zp_frame *f)
{
	struct zp_thread *t = &zp_tls;
	uint64_t g = t->guard;
	uint8_t sel = zp_sud_set(ZP_SUD_ALLOW);

	t->guard = 1;
	for (int i = 0; i < nhooks; i++)
		if (hooks[i].def != NULL && hooks[i].def->vfork_return != NULL)
			hooks[i].def->vfork_return(t->vfork_nr, (long)f->rax);
	t->guard = g;
	t->sud_selector = sel;
	/* a vfork child is a new task: Syscall User Dispatch is not inherited
	 * (it shares this thread's memory, selector included, until it execs
	 * or exits, while its parent waits) */
	if (f->rax == 0 && follow)
		zp_sud_arm_thread();
}

size_t zp_read_user(void *dst, uintptr_t src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long r = zp_raw_syscall(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	if (r < 0 && len > 4096 - (src & 4095)) {
		/* the rest of the page, when the next one is not readable */
		local.iov_len = remote.iov_len = 4096 - (src & 4095);
		r = zp_raw_syscall(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	}
	return r > 0 ? (size_t)r : 0;
}

/* read_user -- all of it, or EFAULT as the real call would report */
static long read_user(void *dst, const void *src, size_t len)
{
	return zp_read_user(dst, (uintptr_t)src, len) == len ? 0 : -EFAULT;
}

static long do_clone3(struct zp_thread *t, long a1, long a2)
{
	struct zp_frame *f = t->frame;
	unsigned char buf[128] __attribute__((aligned(8)));
	struct clone_args *ca = (struct clone_args *)buf;

	if (a2 < (long)offsetof(struct clone_args, tls) + 8 || (size_t)a2 > sizeof(buf) ||
	    read_user(buf, (void *)a1, (size_t)a2) < 0)
		return raw(SYS_clone3, a1, a2, 0, 0, 0, 0);
	if (ca->stack != 0 && ca->stack_size >= 16) {
		uint64_t *top = (uint64_t *)(uintptr_t)(ca->stack + ca->stack_size);
		top[-1] = f->ret;
		top[-2] = f->rdi;
		ca->stack_size -= 16;
		long r = zp_do_clone3(f, t->xarea, buf, 0);
		t->sud_selector = ZP_SUD_ALLOW;
		return r;
	}
	if (ca->flags & CLONE_VM)
		vfork_path(t, SYS_clone3);
	return raw(SYS_clone3, a1, a2, 0, 0, 0, 0);
}

/* The runtime's own descriptors (trace, shared memory) are not the
 * program's: closing them fails as for any descriptor the program never
 * opened, and a dup2() onto one moves ours out of the way first. */
static int *own_fds[] = { &zp_trace_fd, &zp_shared_fd };
static const char *const own_fd_vars[] = { "ZPOLINE_TRACE_FD", "ZPOLINE_SHARED_FD" };
#define NOWN (sizeof(own_fds) / sizeof(own_fds[0]))

static bool own_fd(long fd)
{
	for (size_t i = 0; i < NOWN; i++)
		if (fd >= 0 && fd == *own_fds[i])
			return true;
	return false;
}

/* close_range_around -- close_range over the gaps between our descriptors */
static long close_range_around(unsigned first, unsigned last, unsigned flags)
{
	unsigned keep[NOWN];
	size_t n = 0;
	long r = 0;

	for (size_t i = 0; i < NOWN; i++) {
		unsigned fd = (unsigned)*own_fds[i];
		if (*own_fds[i] >= 0 && fd >= first && fd <= last)
			keep[n++] = fd;
	}
	if (n == 0)
		return raw(SYS_close_range, first, last, flags, 0, 0, 0);
	if (n == 2 && keep[0] > keep[1]) {
		unsigned t = keep[0];
		keep[0] = keep[1];
		keep[1] = t;
	}
	unsigned from = first;
	for (size_t i = 0; i <= n; i++) {
		unsigned to = i < n ? keep[i] : last;
		if (i < n && to == from) {
			from = to + 1;
			continue;
		}
		long x = raw(SYS_close_range, from, i < n ? to - 1 : to, flags, 0, 0, 0);
		if (x < 0 && r == 0)
			r = x;
		if (i < n) {
			if (to == last)
				break;
			from = to + 1;
		}
	}
	return r;
}

static void set_saved_fd(const char *name, int fd);

/* move_own_fd -- the program wants that number */
static void move_own_fd(long fd)
{
	for (size_t i = 0; i < NOWN; i++) {
		if (*own_fds[i] != fd)
			continue;
		long nfd = zp_raw_syscall(SYS_fcntl, fd, F_DUPFD, 100, 0, 0, 0);
		if (nfd >= 0) {
			zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
			*own_fds[i] = (int)nfd;
			/* and children inherit it under its new number */
			set_saved_fd(own_fd_vars[i], (int)nfd);
		}
	}
}

static void run_fini(void)
{
	if (__atomic_exchange_n(&fini_done, 1, __ATOMIC_ACQ_REL))
		return;
	zp_stats_at_exit();
	for (int i = 0; i < nhooks; i++)
		if (hooks[i].def != NULL && hooks[i].def->fini != NULL)
			hooks[i].def->fini();
}

/* ---- children ----
 * A program that calls execve with an environment of its own (env -i, a
 * sandbox's launcher) would start the new image without the runtime. The
 * runtime sees that execve: it puts its variables back, in a new
 * environment built on the stack (the caller may be a vfork child, where
 * malloc is not safe). With ZPOLINE_FOLLOW=0 (zpoline run --no-follow),
 * children made by fork or clone are not followed, like strace without
 * -f: their calls skip the hooks and their execve drops the runtime. */

#define ZP_VARS 12
static char saved_vars[ZP_VARS][4200];
static int nsaved;
static char runtime_path[4096];
static bool unfollowed;         /* this process is a child we do not follow */
static long my_pid;             /* a vfork child shares our memory, not our pid */

void zp_children_init(const char *self_path)
{
	static const char *const names[] = {
		"ZPOLINE_HOOK", "ZPOLINE_HOOK_OPTS", "ZPOLINE_EXCLUDE", "ZPOLINE_TRACE_FD",
		"ZPOLINE_SHARED_FD", "ZPOLINE_ROOT_PID", "ZPOLINE_MODE", "ZPOLINE_CACHE",
		"ZPOLINE_CACHE_DIR", "ZPOLINE_FOLLOW",
	};
	const char *f = getenv("ZPOLINE_FOLLOW");

	follow = f == NULL || strcmp(f, "0") != 0;
	my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	snprintf(runtime_path, sizeof(runtime_path), "%s", self_path);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && nsaved < ZP_VARS; i++) {
		const char *v = getenv(names[i]);
		size_t ln = strlen(names[i]), lv = v ? strlen(v) : 0;
		if (v == NULL || ln + lv + 2 > sizeof(saved_vars[0]))
			continue;
		memcpy(saved_vars[nsaved], names[i], ln);
		saved_vars[nsaved][ln] = '=';
		memcpy(saved_vars[nsaved] + ln + 1, v, lv + 1);
		nsaved++;
	}
}

static bool has_prefix(const char *s, const char *name, size_t len)
{
	return strncmp(s, name, len) == 0 && s[len] == '=';
}

/* set_saved_fd -- NAME=fd in what execve passes on */
static void set_saved_fd(const char *name, int fd)
{
	size_t len = strlen(name);

	for (int v = 0; v < nsaved; v++)
		if (has_prefix(saved_vars[v], name, len))
			snprintf(saved_vars[v] + len + 1, sizeof(saved_vars[v]) - len - 1, "%d", fd);
}

/* preload_has_runtime -- LD_PRELOAD=... names our runtime */
static bool preload_has_runtime(const char *entry)
{
	const char *p = entry + strlen("LD_PRELOAD=");
	size_t n = strlen(runtime_path);

	while (*p != '\0') {
		size_t len = strcspn(p, ": ");
		if (len == n && strncmp(p, runtime_path, n) == 0)
			return true;
		p += len + (p[len] != '\0');
	}
	return false;
}

/* exec_env -- the environment the new image gets: the program's, with the
 * runtime's variables put back (or, for an unfollowed child, taken out) */
static long exec_with_env(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	char **envp = (char **)(nr == SYS_execve ? a3 : a4);
	size_t n = 0;

	while (envp != NULL && envp[n] != NULL && n < 8192)
		n++;
	if (n >= 8192 || runtime_path[0] == '\0')
		return raw(nr, a1, a2, a3, a4, a5, a6);
	/* on the caller's stack, which may be posix_spawn's small one: only
	 * what is needed (a VLA for the array, the new LD_PRELOAD exactly) */
	char *out[n + ZP_VARS + 2];
	size_t oldlen = 0;
	for (size_t i = 0; i < n; i++)
		if (has_prefix(envp[i], "LD_PRELOAD", 10))
			oldlen = strlen(envp[i]);
	char preload[strlen(runtime_path) + oldlen + 16];
	size_t k = 0;
	bool keep = follow ||
		    (!unfollowed && zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) == my_pid);
	bool have[ZP_VARS] = { false };
	bool preload_done = false;

	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i];
		if (has_prefix(e, "LD_PRELOAD", 10)) {
			if (keep && !preload_has_runtime(e)) {
				snprintf(preload, sizeof(preload), "LD_PRELOAD=%s%s%s", runtime_path,
					 e[11] ? ":" : "", e + 11);
				out[k++] = preload;
			} else if (keep || !preload_has_runtime(e)) {
				out[k++] = (char *)e;
			}
			/* an unfollowed child drops the entry with the runtime */
			preload_done = true;
			continue;
		}
		bool ours = false;
		for (int v = 0; v < nsaved; v++) {
			size_t len = strcspn(saved_vars[v], "=");
			if (has_prefix(e, saved_vars[v], len)) {
				ours = true;
				have[v] = true;
				/* the descriptors' numbers are the runtime's own
				 * (they move when the program wants theirs) */
				bool fdvar = has_prefix(saved_vars[v], own_fd_vars[0], strlen(own_fd_vars[0])) ||
					     has_prefix(saved_vars[v], own_fd_vars[1], strlen(own_fd_vars[1]));
				if (keep)
					out[k++] = fdvar ? saved_vars[v] : (char *)e;
			}
		}
		if (!ours)
			out[k++] = (char *)e;
	}
	if (keep) {
		for (int v = 0; v < nsaved; v++)
			if (!have[v])
				out[k++] = saved_vars[v];
		if (!preload_done) {
			snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", runtime_path);
			out[k++] = preload;
		}
	}
	out[k] = NULL;
	if (nr == SYS_execve)
		return raw(nr, a1, a2, (long)out, a4, a5, a6);
	return raw(nr, a1, a2, a3, (long)out, a5, a6);
}

/* zp_child_started -- in a child made by fork or clone (not a thread) */
static void child_started(void)
{
	/* Syscall User Dispatch is not inherited by fork */
	zp_sud_arm_thread();
	if (!follow) {
		unfollowed = true;
		my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
		__atomic_store_n(&chain, zp_next, __ATOMIC_RELEASE);
	}
}

struct late {
	uintptr_t addr;
	size_t len;
	int fd;
	uint64_t off;
	int prot;
};

static void late_mapped(void *arg)
{
	struct late *l = arg;

	zp_late_mapped(l->addr, l->len, l->fd, l->off, l->prot);
}

/* the runtime's signals a program's handler asked to block, per signal */
static uint64_t masked_out[65];

/* own_signals_unmasked -- a copy, in *copy, of the signal mask at ptr
 * without the runtime's signals (NULL stays NULL): a mask a call puts in
 * place while it waits is the one signal handlers then run with */
static long own_signals_unmasked(long ptr, uint64_t *copy)
{
	if (ptr == 0)
		return 0;
	if (read_user(copy, (void *)ptr, sizeof(*copy)) < 0)
		return -EFAULT;
	*copy &= ~zp_signal_own_mask();
	return (long)copy;
}

long zp_next(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	struct sigset_arg { long set, len; } pselect_arg;
	uint64_t mask;

	switch (nr) {
	case SYS_rt_sigreturn:
		observed(t);
		if (t->frame != NULL) {
			struct zp_frame *f = t->frame;
			leave_dispatch(t);
			zp_do_sigreturn(f);
		}
		break;
	case SYS_vfork:
		if (t->frame != NULL)
			vfork_path(t, nr);
		break;
	case SYS_clone:
		if (t->frame == NULL)
			break;
		if (a2 != 0) {
			uint64_t *sp = (uint64_t *)a2;
			sp[-1] = t->frame->ret;
			sp[-2] = (uint64_t)a2;
			long r = zp_do_clone(t->frame, t->xarea, (uint64_t)a2 - 16);
			/* a child sharing our TLS (no CLONE_SETTLS) armed with it */
			t->sud_selector = ZP_SUD_ALLOW;
			return r;
		}
		if (a1 & CLONE_VM)
			vfork_path(t, nr);
		if (!(a1 & CLONE_THREAD)) {
			long r = raw(nr, a1, a2, a3, a4, a5, a6);
			if (r == 0)
				child_started();
			return r;
		}
		break;
	case SYS_clone3:
		if (t->frame != NULL)
			return do_clone3(t, a1, a2);
		break;
	case SYS_rt_sigaction:
		if (zp_signal_is_ours((int)a1))
			return zp_signal_action((int)a1, (void *)a2, (void *)a3, (size_t)a4);
		if (a4 == 8 && a1 > 0 && a1 <= 64 && (a2 != 0 || a3 != 0)) {
			/* a handler's mask must not block them either: its own
			 * system calls may arrive by them. The program reads
			 * back the mask it asked for. */
			struct zp_ksigaction act;
			uint64_t asked = 0;
			if (a2 != 0) {
				if (read_user(&act, (void *)a2, sizeof(act)) < 0)
					return -EFAULT;
				asked = act.mask & zp_signal_own_mask();
				act.mask &= ~asked;
			}
			long r = raw(nr, a1, a2 != 0 ? (long)&act : 0, a3, a4, a5, a6);
			if (r == 0 && a3 != 0)
				((struct zp_ksigaction *)a3)->mask |= masked_out[a1];
			if (r == 0 && a2 != 0)
				masked_out[a1] = asked;
			return r;
		}
		break;
	case SYS_rt_sigsuspend:
		if (a2 == 8 && (a1 = own_signals_unmasked(a1, &mask)) < 0)
			return a1;
		break;
	case SYS_ppoll:
		if (a5 == 8 && (a4 = own_signals_unmasked(a4, &mask)) < 0)
			return a4;
		break;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		if (a6 == 8 && (a5 = own_signals_unmasked(a5, &mask)) < 0)
			return a5;
		break;
	case SYS_pselect6:
		if (a6 != 0) {
			struct sigset_arg ss;
			if (read_user(&ss, (void *)a6, sizeof(ss)) < 0)
				break;
			if (ss.len == 8 && (ss.set = own_signals_unmasked(ss.set, &mask)) < 0)
				return ss.set;
			pselect_arg = ss;
			a6 = (long)&pselect_arg;
		}
		break;
	case SYS_rt_sigprocmask:
		/* SIGILL, SIGSEGV (and with the safety net SIGSYS) stay
		 * deliverable: the kernel kills a thread that faults with them
		 * blocked, and the runtime finishes calls in their handlers */
		if ((a1 == SIG_BLOCK || a1 == SIG_SETMASK) && a4 == 8 &&
		    (a2 = own_signals_unmasked(a2, &mask)) < 0)
			return a2;
		break;
	case SYS_close:
		if (own_fd(a1))
			return -EBADF;
		break;
	case SYS_close_range:
		return close_range_around((unsigned)a1, (unsigned)a2, (unsigned)a3);
	case SYS_dup2:
	case SYS_dup3:
		if (own_fd(a2) && a1 != a2)
			move_own_fd(a2);
		break;
	case SYS_exit_group:
		run_fini();
		break;
	case SYS_execve:
	case SYS_execveat:
		return exec_with_env(nr, a1, a2, a3, a4, a5, a6);
	case SYS_fork: {
		long r = raw(nr, a1, a2, a3, a4, a5, a6);
		if (r == 0)
			child_started();
		return r;
	}
	case SYS_mmap:
		/* a file mapped executable: a library being loaded */
		if ((a3 & PROT_EXEC) && !(a4 & MAP_ANONYMOUS) && (int)a5 >= 0) {
			long r = raw(nr, a1, a2, a3, a4, a5, a6);
			if (r >= 0 || r < -4095) {
				struct late l = { (uintptr_t)r, (size_t)a2, (int)a5, (uint64_t)a6, (int)a3 };
				/* libc, libelf and Zydis use vector registers */
				if (zp_save_mode == ZP_SAVE_GPR && zp_xsave_size != 0)
					zp_call_saving_xstate(late_mapped, &l);
				else if (zp_save_mode != ZP_SAVE_GPR)
					late_mapped(&l);
			}
			return r;
		}
		break;
	}
	return raw(nr, a1, a2, a3, a4, a5, a6);
}

long zp_trace_write(const void *buf, unsigned long len)
{
	const char *p = buf;
	long done = 0;

	while ((unsigned long)done < len) {
		long r = zp_raw_syscall(SYS_write, zp_trace_fd, (long)(p + done), (long)(len - done),
					0, 0, 0);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return done ? done : r;
		done += r;
	}
	return done;
}

void zp_report_bad_call(uintptr_t ret, uintptr_t target)
{
	zp_msg("jump to address %#lx from the call returning to %#lx: a NULL or bad function "
	       "pointer (SIGSEGV)",
	       (unsigned long)target, (unsigned long)ret);
}

/* load_one -- dlmopen a hook into a namespace of its own */
static int load_one(const char *path, struct hook *h, void **handle)
{
	*handle = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
	if (*handle == NULL)
		zp_fatal(125, "cannot load hook %s: %s", path, dlerror());
	h->def = dlsym(*handle, "zpoline_hook");
	if (h->def != NULL) {
		if (h->def->abi_version == 0 || h->def->abi_version > ZPOLINE_ABI_VERSION)
			zp_fatal(125, "hook %s was built for hook ABI %u; this runtime has %u: rebuild it",
				 path, h->def->abi_version, ZPOLINE_ABI_VERSION);
		if (h->def->syscall == NULL)
			zp_fatal(125, "hook %s defines no syscall function", path);
		h->fn = h->def->syscall;
		return 0;
	}
	if (dlsym(*handle, "__hook_init") != NULL)
		return 1;
	zp_fatal(125, "hook %s exports neither zpoline_hook nor __hook_init", path);
}

static char hook_paths[MAX_HOOKS][4096];
static void *hook_handles[MAX_HOOKS];
static int hook_legacy[MAX_HOOKS];

void zp_hooks_load(const char *spec)
{
	int n = 0;

	for (const char *p = spec; p != NULL && *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (n == MAX_HOOKS)
			zp_fatal(125, "more than %d hooks: glibc has room for %d link namespaces",
				 MAX_HOOKS, MAX_HOOKS + 1);
		if (len >= sizeof(hook_paths[0]))
			zp_fatal(125, "hook path too long");
		memcpy(hook_paths[n], p, len);
		hook_paths[n][len] = '\0';
		hook_legacy[n] = load_one(hook_paths[n], &hooks[n], &hook_handles[n]);
		n++;
		p = colon ? colon + 1 : NULL;
	}
	nhooks = n;
}

unsigned zp_hooks_flags(void)
{
	unsigned all = ~0u;

	for (int i = 0; i < nhooks; i++) {
		/* an original zpoline hook declares nothing */
		if (hooks[i].def == NULL)
			return 0;
		unsigned f = hooks[i].def->flags;
		/* general registers only implies no x87 too */
		all &= f & ZPOLINE_HOOK_GPR_ONLY ? f | ZPOLINE_HOOK_NO_X87 : f;
	}
	return all == ~0u ? 0 : all;
}

/* hook_options -- the i-th of the per-hook option strings, which
 * ZPOLINE_HOOK_OPTS separates with 0x1f (unit separator) */
static const char *hook_options(const char *opts, int i, char *buf, size_t len)
{
	const char *p = opts ? opts : "";

	for (; i > 0 && p != NULL; i--) {
		p = strchr(p, 0x1f);
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		p = "";
	size_t n = strcspn(p, "\x1f");
	if (n >= len)
		zp_fatal(125, "hook options too long");
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

void zp_hooks_init(const char *opts)
{
	static char optbuf[MAX_HOOKS][1024];

	/* Initialise from the last hook back, so each knows its `next`. */
	zpoline_syscall_fn *next = zp_next;
	for (int i = nhooks - 1; i >= 0; i--) {
		struct hook *h = &hooks[i];
		h->next = next;
		if (hook_legacy[i]) {
			int (*init)(long, void *) =
				(int (*)(long, void *))dlsym(hook_handles[i], "__hook_init");
			zpoline_syscall_fn *slot = next;
			int r = init(0, &slot);
			if (r != 0)
				zp_fatal(125, "hook %s: __hook_init failed (%d)", hook_paths[i], r);
			h->fn = slot;
		} else if (h->def->init != NULL) {
			static struct zpoline_init inits[MAX_HOOKS];
			struct zpoline_init *in = &inits[i];
			*in = (struct zpoline_init){
				.abi_version = ZPOLINE_ABI_VERSION,
				.next = next,
				.options = hook_options(opts, i, optbuf[i], sizeof(optbuf[i])),
				.trace_write = zp_trace_write,
				.syscall_name = zp_syscall_name,
				.shared = zp_shared ? (char *)zp_shared + (size_t)i * ZP_SHARED_SLICE : NULL,
				.shared_size = zp_shared ? ZP_SHARED_SLICE : 0,
			};
			int r = h->def->init(in);
			if (r != 0)
				zp_fatal(125, "hook %s refused to start: %s", hook_paths[i],
					 r < 0 ? strerror(-r) : "init failed");
		}
		next = h->fn;
	}
	__atomic_store_n(&chain, next, __ATOMIC_RELEASE);
}
