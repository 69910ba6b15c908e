/* loader.c -- the hooks: load each into a link namespace of its own,
 * check what it declares, start it, put it in the chain, and tell the
 * stub which numbers take which path. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hookmap.h"
#include "page0.h"
#include "contract.h"
#include "runtime.h"
#include "umalloc.h"

struct zp_hook zp_hooks[ZP_MAX_HOOKS];
int zp_nhooks;
zpoline_syscall_fn *zp_chain = zp_next;
int zp_trace_fd = 2;
int zp_shared_fd = -1;
void *zp_shared;

/* in one copy of ZPOLINE_HOOK on the heap: buffers for the longest path
 * would spread the small variables over pages, a page fault each */
static const char *hook_paths[ZP_MAX_HOOKS];
static void *hook_handles[ZP_MAX_HOOKS];
/* each hook namespace's libc, for its exit handlers and stdio at the end */
static void (*hook_cxa_finalize[ZP_MAX_HOOKS])(void *);
static int (*hook_fflush[ZP_MAX_HOOKS])(void *);
/* ... and its per-thread set-up, which the program's pthread_create does
 * not run (zp_hooks_thread) */
static void (*hook_ctype_init[ZP_MAX_HOOKS])(void);

/* ---- a hook that crashes while it starts ----
 * Its constructor (run by dlmopen) and its init run before the program:
 * a fault there would kill the process with a bare signal. For that time
 * the fatal signals print which hook and which step, then take their
 * default action. Between the hooks' loading and their init the runtime
 * installs its own SIGSEGV and SIGILL handlers (signal.c): those two are
 * given back after each step; the others stay ours from the first
 * loading to the end of the last init, with no hook named in between,
 * where a fatal signal takes the action it had before (seven system
 * calls fewer a start than installing and removing all five each step). */
static const char *crash_hook, *crash_step;
static long crash_tid;
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define NCRASH (sizeof(crash_signals) / sizeof(crash_signals[0]))
static struct zp_ksigaction crash_saved[NCRASH];
static bool crash_on[NCRASH];   /* crashed() is the handler now */

static void crashed(int sig, siginfo_t *si, void *uc)
{
	struct zp_ksigaction dfl = { .handler = SIG_DFL };

	/* another thread (one a library's constructor started) meeting a
	 * trap site or a site being rewritten: the handler it would have
	 * met, which is the runtime's (signal.c) or the default */
	if (zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0) != crash_tid) {
		for (size_t i = 0; i < NCRASH; i++) {
			const struct zp_ksigaction *a = &crash_saved[i];
			if (crash_signals[i] != sig)
				continue;
			if (a->handler != SIG_DFL && a->handler != SIG_IGN && (a->flags & SA_SIGINFO))
				((void (*)(int, siginfo_t *, void *))a->handler)(sig, si, uc);
			else if (a->handler != SIG_DFL && a->handler != SIG_IGN)
				((void (*)(int))a->handler)(sig);
			else
				zp_raw_syscall(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
		}
		return;
	}
	if (crash_hook == NULL) {
		/* between the steps: the action the signal had before */
		for (size_t i = 0; i < NCRASH; i++)
			if (crash_signals[i] == sig) {
				zp_raw_syscall(SYS_rt_sigaction, sig, (long)&crash_saved[i], 0, 8, 0, 0);
				crash_on[i] = false;
			}
		if (sig == SIGABRT)
			zp_raw_syscall(SYS_kill, zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0, 0);
		return;
	}
	zp_msg("hook %s crashed in its %s (%s)", crash_hook, crash_step, strsignal(sig));
	zp_raw_syscall(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	/* a fault repeats on return; an abort is raised again */
	if (sig == SIGABRT)
		zp_raw_syscall(SYS_kill, zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0, 0);
}

static void watch_start(const char *path, const char *step)
{
	struct zp_ksigaction act = {
		.handler = (void *)crashed,
		.flags = SA_SIGINFO | SA_RESTORER | SA_NODEFER | SA_ONSTACK,
		.restorer = (void *)zp_sigreturn_restorer,
	};

	crash_hook = path;
	crash_step = step;
	if (crash_tid == 0)     /* start-up's thread, for every step */
		crash_tid = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	for (size_t i = 0; i < NCRASH; i++) {
		if (crash_on[i])
			continue;
		zp_raw_syscall(SYS_rt_sigaction, crash_signals[i], (long)&act, (long)&crash_saved[i], 8,
			       0, 0);
		crash_on[i] = true;
	}
}

/* watch_end -- a step is over: SIGSEGV and SIGILL get their handlers
 * back (signal.c installs its own after the loading), and with all, every
 * signal (the last init is over) */
static void watch_end(bool all)
{
	crash_hook = NULL;
	for (size_t i = 0; i < NCRASH; i++) {
		if (!crash_on[i] || !(all || crash_signals[i] == SIGSEGV || crash_signals[i] == SIGILL))
			continue;
		zp_raw_syscall(SYS_rt_sigaction, crash_signals[i], (long)&crash_saved[i], 0, 8, 0, 0);
		crash_on[i] = false;
	}
}

long zp_trace_write(const void *buf, unsigned long len)
{
	return zp_write_out(zp_trace_out(), buf, len);
}

void zp_report_bad_call(uintptr_t ret, uintptr_t target)
{
	zp_msg("jump to address %#lx from the call returning to %#lx: a NULL or bad function "
	       "pointer (SIGSEGV)",
	       (unsigned long)target, (unsigned long)ret);
}

/* open_hook -- the hook file, opened without blocking (a FIFO would wait
 * for a writer) and refused unless it is a regular file; with high, the
 * descriptor is numbered out of the program's way (the hook's constructor
 * runs while it is open) */
static int open_hook(const char *path, bool high_fd, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		zp_fatal(125, "cannot open hook %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		zp_fatal(125, "hook %s: not a regular file; give the path of a hook .so", path);
	*size = (uint64_t)st.st_size;
	int high = high_fd ? zp_high_fd(fd) : -1;
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	return fd;
}

/* hook_dlmopen -- is every hook to be loaded by dlmopen, even one the
 * runtime could map itself (hookmap.c)? For a debugger or an unwinder,
 * which see only what is in a link map. */
static bool hook_dlmopen(void)
{
	const char *v = getenv(ZP_ENV_HOOK_DLMOPEN);

	return v != NULL && strcmp(v, "1") == 0;
}

/* was a hook loaded by dlmopen (then its init may make the loader
 * allocate too: a dlopen inside its namespace, a thread's TLS)? */
static bool any_dlmopen;

/* load_one -- load a hook and take what it declares: mapped by the
 * runtime when it needs nothing of the loader (hookmap.c), else dlmopen'd
 * into a namespace of its own. The file loaded is the one checked: the
 * mapping is of the descriptor, and dlmopen is given its /proc/self/fd
 * name, not the path, which may have changed in between. */
static void load_one(int i, const char *path, struct zp_hook *h, void **handle)
{
	char fdpath[64];
	struct zp_mapped_hook m;
	bool map = !hook_dlmopen();
	uint64_t size;
	int fd = open_hook(path, !map, &size);
	const struct zpoline_hook *def;

	/* (mapping runs none of the hook's code: no crash to watch for) */
	if (map && zp_hook_map(fd, size, &m) == 0) {
		close(fd);
		/* no libc of its own: nothing to finalise or flush at exit */
		*handle = m.base;
		def = zp_hook_sym(&m, "zpoline_hook");
		if (def == NULL)
			h->legacy_init = (int (*)(long, void *))zp_hook_sym(&m, "__hook_init");
	} else {
		if (map) {
			int high = zp_high_fd(fd);
			if (high >= 0) {
				close(fd);
				fd = high;
			}
		}
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		watch_start(path, "constructor");
		/* the link map, scopes and TLS slots the loader allocates
		 * for the hook's namespace: from umalloc (rtldalloc.c) */
		any_dlmopen = true;
		zp_rtld_alloc_begin();
		*handle = dlmopen(LM_ID_NEWLM, fdpath, RTLD_NOW | RTLD_LOCAL);
		/* and this thread's blocks of its __thread variables: now,
		 * not at their first use */
		if (*handle != NULL)
			zp_rtld_alloc_tls(*handle);
		zp_rtld_alloc_end();
		watch_end(false);
		close(fd);
		if (*handle == NULL)
			zp_fatal(125, "cannot load hook %s: %s", path, dlerror());
		/* NULL where the hook's namespace has no libc (the null hook) */
		hook_cxa_finalize[i] = (void (*)(void *))dlsym(*handle, "__cxa_finalize");
		hook_fflush[i] = (int (*)(void *))dlsym(*handle, "fflush");
		hook_ctype_init[i] = (void (*)(void))dlsym(*handle, "__ctype_init");
		def = dlsym(*handle, "zpoline_hook");
		if (def == NULL)
			h->legacy_init = (int (*)(long, void *))dlsym(*handle, "__hook_init");
	}
	h->def = def;
	if (def == NULL) {
		if (h->legacy_init == NULL)
			zp_fatal(125, "hook %s exports neither zpoline_hook nor __hook_init", path);
		zp_intr_inside = true;
		return;
	}
	if (def->abi_version == 0 || def->abi_version > ZPOLINE_ABI_VERSION)
		zp_fatal(125, "hook %s was built for hook ABI %u; this runtime has %u: rebuild it", path,
			 def->abi_version, ZPOLINE_ABI_VERSION);
	h->fn = def->syscall;
	h->fini = def->fini;
	h->vfork_return = def->vfork_return;
	/* an ABI 1 hook's struct ends before the enter/exit fields */
	if (def->abi_version >= 2) {
		h->enter = def->enter;
		h->exit = def->exit;
		h->interest = def->interest;
	}
	/* it never sees a call a signal interrupted before its handler runs
	 * (zpoline_init.interrupted), nor, for an enter, the call again once
	 * the kernel would make it again */
	if (def->abi_version < 4)
		zp_intr_inside = true;
	if (h->fn != NULL && (h->enter != NULL || h->exit != NULL))
		zp_fatal(125, "hook %s defines both syscall and enter/exit: choose one style", path);
	if (h->fn == NULL && h->enter == NULL && h->exit == NULL)
		zp_fatal(125, "hook %s defines neither a syscall function nor enter/exit", path);
}

void zp_hooks_load(const char *spec)
{
	char *copy = strdup(spec != NULL ? spec : "");
	int n = 0;

	if (copy == NULL)
		zp_fatal(125, "cannot load the hooks: %s", strerror(ENOMEM));
	for (char *p = copy; p != NULL && *p != '\0';) {
		char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (n == ZP_MAX_HOOKS)
			zp_fatal(125, "more than %d hooks: glibc has room for %d link namespaces",
				 ZP_MAX_HOOKS, ZP_MAX_HOOKS + 1);
		if (len >= 4096)
			zp_fatal(125, "hook path too long");
		if (colon != NULL)
			*colon = '\0';
		hook_paths[n] = p;
		load_one(n, hook_paths[n], &zp_hooks[n], &hook_handles[n]);
		n++;
		p = colon ? colon + 1 : NULL;
	}
	zp_nhooks = n;
}

unsigned zp_hooks_flags(void)
{
	unsigned all = ~0u;

	for (int i = 0; i < zp_nhooks; i++) {
		/* an original zpoline hook declares nothing */
		if (zp_hooks[i].def == NULL)
			return 0;
		unsigned f = zp_hooks[i].def->flags;
		/* general registers only implies no x87 too */
		all &= f & ZPOLINE_HOOK_GPR_ONLY ? f | ZPOLINE_HOOK_NO_X87 : f;
	}
	return all == ~0u ? 0 : all;
}

/* zp_hooks_enforce -- does any loaded hook enforce a policy
 * (ZPOLINE_HOOK_ENFORCES), so that no call may escape it? */
bool zp_hooks_enforce(void)
{
	for (int i = 0; i < zp_nhooks; i++)
		if (zp_hooks[i].def != NULL && (zp_hooks[i].def->flags & ZPOLINE_HOOK_ENFORCES))
			return true;
	return false;
}

bool zp_hooks_want_shared(void)
{
	for (int i = 0; i < zp_nhooks; i++) {
		const struct zpoline_hook *d = zp_hooks[i].def;
		/* an original zpoline hook, or one without init, is never given it */
		if (d != NULL && d->init != NULL && !(d->flags & ZPOLINE_HOOK_NO_SHARED))
			return true;
	}
	return false;
}

/* hook_options -- the i-th of the per-hook option strings, which
 * ZPOLINE_HOOK_OPTS separates with 0x1f (unit separator), in a copy of its
 * own for the life of the process */
static const char *hook_options(const char *opts, int i)
{
	const char *p = opts ? opts : "";

	for (; i > 0 && p != NULL; i--) {
		p = strchr(p, ZP_OPT_SEP);
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		p = "";
	size_t n = strcspn(p, ZP_OPT_SEP_STR);
	if (n >= 1024)
		zp_fatal(125, "hook options too long");
	char *buf = strndup(p, n);
	if (buf == NULL)
		zp_fatal(125, "hook options: %s", strerror(ENOMEM));
	return buf;
}

/* adapt -- hook i of the enter/exit style as a link of the chain, for
 * the paths that run the chain: the syscall/next hooks beside it, the
 * runtime's own numbers, the signal paths */
static long adapt(int i, long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_hook *h = &zp_hooks[i];
	struct zpoline_call c = { .nr = nr, .args = { a1, a2, a3, a4, a5, a6 } };
	uint64_t slot = 0;

	if (!zp_hook_wants(h, nr))
		return h->next(nr, a1, a2, a3, a4, a5, a6);
	/* it never comes back: what it will give back, known now */
	if (nr == SYS_rt_sigreturn)
		c.ret = zp_sigreturn_result();
	if (h->enter != NULL && h->enter(&c, &slot) == ZPOLINE_DONE)
		return c.ret;
	/* a vfork-like call does not come back here: the stub tells the
	 * exits in child and parent (zp_vfork_notify) */
	bool vforkish = c.nr == SYS_vfork || c.nr == SYS_clone || c.nr == SYS_clone3;
	struct zp_thread *t = &zp_tls;
	if (vforkish && h->exit != NULL) {
		t->vfork_call = c;
		t->vfork_slot[i] = slot;
		t->vfork_exits |= 1u << i;
	}
	c.ret = h->next(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5]);
	if (vforkish)
		t->vfork_exits &= ~(1u << i);
	if (h->exit != NULL)
		h->exit(&c, &slot);
	return c.ret;
}

#define ADAPTER(i)                                                                        \
	static long adapt##i(long nr, long a1, long a2, long a3, long a4, long a5, long a6) \
	{                                                                                 \
		return adapt(i, nr, a1, a2, a3, a4, a5, a6);                              \
	}
ADAPTER(0) ADAPTER(1) ADAPTER(2) ADAPTER(3) ADAPTER(4) ADAPTER(5) ADAPTER(6) ADAPTER(7)
ADAPTER(8) ADAPTER(9) ADAPTER(10) ADAPTER(11) ADAPTER(12) ADAPTER(13) ADAPTER(14)
static zpoline_syscall_fn *const adapters[ZP_MAX_HOOKS] = {
	adapt0, adapt1, adapt2, adapt3, adapt4, adapt5, adapt6, adapt7,
	adapt8, adapt9, adapt10, adapt11, adapt12, adapt13, adapt14,
};

/* the numbers the runtime handles itself (policy.c) */
static const int policy_numbers[] = {
	SYS_rt_sigreturn, SYS_vfork, SYS_fork, SYS_clone, SYS_clone3,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigsuspend, SYS_ppoll, SYS_pselect6,
	SYS_epoll_pwait, SYS_epoll_pwait2, SYS_rt_sigpending, SYS_rt_sigtimedwait,
	SYS_close, SYS_close_range, SYS_dup2, SYS_dup3,
	SYS_exit_group, SYS_execve, SYS_execveat, SYS_mmap,
	/* the program's own Syscall User Dispatch (sud.c) */
	SYS_prctl,
	/* a listing of /proc/self/fd would show the runtime's descriptors */
	SYS_getdents, SYS_getdents64,
	/* a file size limit: the hooks' writes to a file (zp_trace_write) */
	SYS_setrlimit, SYS_prlimit64,
};

int *zp_own_fds[ZP_OWN_FDS_MAX] = { &zp_trace_fd, &zp_shared_fd };
const char *zp_own_fd_vars[ZP_OWN_FDS_MAX] = { ZP_ENV_TRACE_FD, ZP_ENV_SHARED_FD };
size_t zp_nown = 2;

/* zp_own_fds_changed -- the stub's floor for ZP_CLASS_OWNFD */
void zp_own_fds_changed(void)
{
	int floor = INT_MAX;

	for (size_t i = 0; i < zp_nown; i++)
		if (*zp_own_fds[i] > 2 && *zp_own_fds[i] < floor)
			floor = *zp_own_fds[i];
	__atomic_store_n(&zp_own_fd_floor, floor, __ATOMIC_RELAXED);
}

/* hook_own_fd -- zpoline_init.own_fd */
static void hook_own_fd(int *fd)
{
	if (zp_nown < ZP_OWN_FDS_MAX) {
		zp_own_fds[zp_nown++] = fd;
		zp_own_fds_changed();
	}
}

/* hook_own_calls -- zpoline_init.own_calls: the thread's Syscall User
 * Dispatch selector (read by the kernel only where dispatch is armed) */
static int hook_own_calls(int on)
{
	if (!zp_sud_on)
		return 1;
	return zp_sud_set(on ? ZP_SUD_ALLOW : ZP_SUD_BLOCK) == ZP_SUD_ALLOW;
}

/* hook_interrupted -- zpoline_init.interrupted (zp_exit) */
static int hook_interrupted(void)
{
	struct zp_thread *t = &zp_tls;

	/* an exit on the enter/exit path; else one in the chain, or a
	 * syscall/next hook after next() */
	if (t->exit_intr != 0)
		return t->exit_intr;
	return t->entry != NULL ? t->entry->intr : 0;
}

bool zp_changes_access(long nr)
{
	switch (nr) {
	case SYS_chmod:
	case SYS_fchmodat:
#ifdef SYS_fchmodat2
	case SYS_fchmodat2:
#endif
	case SYS_chown:
	case SYS_fchownat:
	case SYS_setxattr:
	case SYS_removexattr:
		return true;
	default:
		return false;
	}
}

/* may_reopen -- could this process open a file of mode 0, as the
 * runtime's memory files are, through /proc/self/fd/N: does it have (or
 * could it get back, with a user id 0) a capability that bypasses file
 * permissions? Only then do its opens pay for the check of what they
 * opened (the policy path, some hundreds of nanoseconds); the others are
 * refused by the kernel (EACCES where natively ENOENT). A new image asks
 * again (execve). */
static bool may_reopen(void)
{
	static int known = -1;
	struct {
		uint32_t version;
		int pid;
	} head = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];
	unsigned uid[3] = { 0, 0, 0 };

	if (known >= 0)
		return known;
	bool root = zp_raw_syscall(SYS_getresuid, (long)&uid[0], (long)&uid[1], (long)&uid[2], 0, 0, 0) != 0 ||
		    uid[0] == 0 || uid[1] == 0 || uid[2] == 0;
	bool caps = zp_raw_syscall(SYS_capget, (long)&head, (long)data, 0, 0, 0, 0) != 0 ||
		    (data[0].permitted & ((1u << 1) /* CAP_DAC_OVERRIDE */ | (1u << 2) /* CAP_DAC_READ_SEARCH */));
	known = root || caps;
	return known;
}

/* the hooks are gone (zp_hooks_detach): zp_enter would run them */
static bool detached;

/* zp_fd_class -- a number with descriptor arguments (src/syscall-args.txt)
 * has one compare in the stub per descriptor against the lowest of the
 * runtime's own: ZP_CLASS_OWNFD when only the first is one, ZP_CLASS_OWNFDS
 * with the arguments in zp_nr_fdmask otherwise (the first four; others
 * take the policy path). One of ours takes the policy path, where
 * zp_kernel_call answers as for a closed descriptor. While the runtime
 * holds any, pidfd_getfd and the calls that change who may open a file
 * (zp_changes_access: its owner can make a mode-0 memfd readable) take it
 * too, and so do the opens in a process that may open files of mode 0
 * (may_reopen): policy.c checks what they reach. */
uint8_t zp_fd_class(long nr, uint8_t c)
{
	unsigned m = (unsigned long)nr < zp_syscall_count ? zp_syscall_fds[nr] & 0x3fu : 0;
	bool held = __atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED) != INT_MAX;

	if (c == ZP_CLASS_POLICY || c == ZP_CLASS_CHAIN)
		return c;
	if (held && (nr == SYS_pidfd_getfd || zp_changes_access(nr) ||
		     ((nr == SYS_open || nr == SYS_creat || nr == SYS_openat || nr == SYS_openat2) && may_reopen())))
		return ZP_CLASS_POLICY;
	/* descriptors inside structures: zp_kernel_call looks at them */
	if (held && (unsigned long)nr < zp_syscall_count && (zp_syscall_fds[nr] & 0x40))
		return ZP_CLASS_POLICY;
	/* paths: zp_enter tests them, after the hooks' enters (hooks that
	 * are gone: zp_kernel_call) */
	if (held && c != ZP_CLASS_HOOKS && (unsigned long)nr < zp_syscall_count && zp_syscall_paths[nr] != 0)
		c = detached ? ZP_CLASS_POLICY : ZP_CLASS_HOOKS;
	if (c == ZP_CLASS_POLICY)
		return c;
	if (m == 0)
		return c;
	zp_nr_fdelse[nr] = c;
	zp_nr_fdmask[nr] = (uint8_t)m;
	return m == 1 ? ZP_CLASS_OWNFD : m & ~0xfu ? ZP_CLASS_POLICY : ZP_CLASS_OWNFDS;
}

/* direct_class -- the direct class of nr: with its pointer arguments
 * checked when the trampoline's pages are mapped (layout.h) */
static uint8_t direct_class(long nr)
{
	uint32_t k = zp_page0_mapped && (unsigned long)nr < zp_syscall_count ? zp_syscall_args[nr] : 0;
	uint8_t read = k & 0x3f, nullable = (k >> 8) & 0x3f;

	zp_nr_pmask[nr] = read;
	/* nested pointers: the stub knows the second argument's (every
	 * call of the table has them there) */
	if (k >> 16 == 2 && nullable == 0)
		return ZP_CLASS_IOVEC;
	if (k >> 16 == 0x200 && nullable == 0)
		return ZP_CLASS_MSGHDR;
	if (k >> 16 != 0)
		return ZP_CLASS_NESTED;
	if (nullable != 0)
		return ZP_CLASS_NULLABLE | nullable;
	return read != 0 ? ZP_CLASS_PTRS | read : ZP_CLASS_DIRECT;
}

/* set_classes -- what the stub does with each number: nothing when no
 * hook wants it, the enter/exit path when every hook has that style, the
 * chain otherwise */
static void set_classes(void)
{
	bool chain = false;

	for (int i = 0; i < zp_nhooks; i++)
		chain |= zp_hooks[i].fn != adapters[i];
	/* (zp_fd_class reads the floor) */
	zp_own_fds_changed();
	for (long nr = 0; nr < ZP_NR_CLASSES; nr++) {
		if ((unsigned long)nr >= zp_syscall_count && nr % 64 == 0 && nr + 64 <= ZPOLINE_INTEREST_OTHER) {
			/* past the table no number has a pointer or descriptor
			 * argument: 64 at a time when the hooks want all or none
			 * of them (half the numbers, 25K instructions a start) */
			uint64_t w = 0;
			for (int i = 0; i < zp_nhooks; i++)
				w |= zp_hooks[i].interest == NULL ? ~0ull : zp_hooks[i].interest[nr / 64];
			if (chain || w == 0 || w == ~0ull) {
				memset(&zp_nr_class[nr], chain ? ZP_CLASS_CHAIN : w ? ZP_CLASS_HOOKS : ZP_CLASS_DIRECT, 64);
				nr += 63;
				continue;
			}
		}
		bool wanted = false;
		for (int i = 0; i < zp_nhooks; i++)
			wanted |= zp_hook_wants(&zp_hooks[i], nr);
		uint8_t c = chain ? ZP_CLASS_CHAIN : wanted ? ZP_CLASS_HOOKS : direct_class(nr);
		/* past the table no number has descriptor or path arguments:
		 * zp_fd_class would return c */
		zp_nr_class[nr] = (unsigned long)nr < zp_syscall_count ? zp_fd_class(nr, c) : c;
	}
	for (size_t k = 0; k < sizeof(policy_numbers) / sizeof(policy_numbers[0]); k++)
		zp_nr_class[policy_numbers[k]] = ZP_CLASS_POLICY;
}

void zp_hooks_init(const char *opts)
{
	static struct zpoline_init inits[ZP_MAX_HOOKS];

	/* Initialise from the last hook back, so each knows its `next`. */
	zpoline_syscall_fn *next = zp_next;
	if (any_dlmopen)
		zp_rtld_alloc_begin();
	for (int i = zp_nhooks - 1; i >= 0; i--) {
		struct zp_hook *h = &zp_hooks[i];
		h->next = next;
		if (h->legacy_init != NULL) {
			zpoline_syscall_fn *slot = next;
			watch_start(hook_paths[i], "__hook_init");
			int r = h->legacy_init(0, &slot);
			watch_end(false);
			if (r != 0)
				zp_fatal(125, "hook %s: __hook_init failed (%d)", hook_paths[i], r);
			h->fn = slot;
		} else if (h->def->init != NULL) {
			struct zpoline_init *in = &inits[i];
			*in = (struct zpoline_init){
				.abi_version = ZPOLINE_ABI_VERSION,
				.next = next,
				.options = hook_options(opts, i),
				.trace_write = zp_trace_write,
				.syscall_name = zp_syscall_name,
				.shared = zp_shared ? (char *)zp_shared + (size_t)i * ZP_SHARED_SLICE : NULL,
				.shared_size = zp_shared ? ZP_SHARED_SLICE : 0,
				.own_fd = hook_own_fd,
				.own_calls = hook_own_calls,
				.interrupted = hook_interrupted,
			};
			watch_start(hook_paths[i], "init");
			int r = h->def->init(in);
			watch_end(false);
			if (r != 0)
				zp_fatal(125, "hook %s refused to start: %s", hook_paths[i],
					 r < 0 ? strerror(-r) : "init failed");
		}
		/* the interest set is read once init has returned */
		if (h->def != NULL && h->def->abi_version >= 2)
			h->interest = h->def->interest;
		if (h->fn == NULL)
			h->fn = adapters[i];
		next = h->fn;
	}
	if (any_dlmopen)
		zp_rtld_alloc_end();
	watch_end(true);
	set_classes();
	__atomic_store_n(&zp_chain, next, __ATOMIC_RELEASE);
}

/* zp_hooks_thread -- in a thread other than the one that loaded the
 * hooks: each hook namespace's libc points this thread's ctype tables
 * (which printf's %f, strtod and isdigit() read) at its locale. Its
 * pthread_create never ran for the thread, so they are NULL there: a
 * hook's printf("%f") faulted, or printed garbage, on such a thread. No
 * system call, nothing but this thread's TLS. */
void zp_hooks_thread(void)
{
	for (int i = 0; i < zp_nhooks; i++)
		if (hook_ctype_init[i] != NULL)
			hook_ctype_init[i]();
}

/* zp_hooks_fini -- once, when the process calls exit_group: each hook's
 * fini, then what its namespace's libc does at exit (the program's exit
 * runs only the main namespace's): the atexit handlers, and stdio
 * flushed, so a hook that prints with printf loses nothing */
void zp_hooks_fini(void)
{
	static int done;

	if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	/* exit_group may come from any thread (a JVM's System.exit does) */
	zp_hooks_thread();
	zp_stats_at_exit();
	for (int i = 0; i < zp_nhooks; i++) {
		if (zp_hooks[i].fini != NULL)
			zp_hooks[i].fini();
		if (hook_cxa_finalize[i] != NULL)
			hook_cxa_finalize[i](NULL);
		if (hook_fflush[i] != NULL)
			hook_fflush[i](NULL);
	}
}

/* zp_hooks_detach -- a child the run does not follow: no hooks from now
 * on, the runtime's own handling stays */
void zp_hooks_detach(void)
{
	detached = true;
	for (long nr = 0; nr < ZP_NR_CLASSES; nr++)
		if (zp_nr_class[nr] != ZP_CLASS_POLICY)
			zp_nr_class[nr] = zp_fd_class(nr, direct_class(nr));
	__atomic_store_n(&zp_chain, zp_next, __ATOMIC_RELEASE);
}
