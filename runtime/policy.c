/* policy.c -- what the runtime itself does with a system call.
 *
 * zp_next() is the end of every chain: the kernel's turn. Numbers the
 * runtime must see reach it through the stub's policy path, which saves
 * the program's vector state first, so the code here may use libc.
 *   - calls that cannot complete on a C stack go to stub.S with the
 *     program's saved registers: clone with a new stack, vfork and clone
 *     with CLONE_VM and no stack, rt_sigreturn;
 *   - the signals the runtime needs (signal.c) are virtualised, in
 *     actions and in masks;
 *   - the runtime's descriptors are kept out of the program's way;
 *   - execve gets the runtime's variables back;
 *   - a file mapped executable is a library loaded late: rewrite it;
 *   - exit_group ends the hooks (their fini). */
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
#include <unistd.h>

#include "contract.h"
#include "page0.h"
#include "runtime.h"

bool zp_follow = true;

/* raw_plain -- the kernel's turn, as the program would make the call */
static long raw_plain(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
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

/* ---- pointers into the trampoline's pages (page0.h) ---- */

static bool low(uint64_t p)
{
	return p < ZP_LOW_END;
}

/* iov_hit -- an iovec array whose entries the kernel follows: one whose
 * base lies low with a nonzero length (the array itself was checked; an
 * unreadable one is the kernel's EFAULT to report) */
static bool iov_hit(uint64_t iov, uint64_t count)
{
	uint64_t v[16];         /* 8 iovecs at a time */

	if (count > 1024)               /* UIO_MAXIOV: EINVAL, nothing read */
		return false;
	for (uint64_t i = 0; i < count; i += 8) {
		uint64_t n = count - i < 8 ? count - i : 8;
		if (zp_probe_copy(v, (const void *)(iov + 16 * i), 2 * n) < 0)
			return false;
		for (uint64_t j = 0; j < n; j++)
			if (v[2 * j + 1] != 0 && low(v[2 * j]))
				return true;
	}
	return false;
}

/* msghdr_hit -- struct msghdr: msg_name, msg_iov and its entries,
 * msg_control, each where its length says the kernel follows it */
static bool msghdr_hit(uint64_t m)
{
	uint64_t w[6];  /* name, namelen, iov, iovlen, control, controllen */

	if (zp_probe_copy(w, (const void *)m, 6) < 0)
		return false;
	if (((uint32_t)w[1] != 0 && w[0] != 0 && low(w[0])) || (w[3] != 0 && low(w[2])) ||
	    (w[5] != 0 && low(w[4])))
		return true;
	return w[3] != 0 && iov_hit(w[2], w[3]);
}

bool zp_page0_nested(uint32_t k, const long args[6])
{
	for (unsigned m = (k >> 16 | k >> 24) & 0x3f; m != 0; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t a = (uint64_t)args[i];
		if (low(a))
			continue;
		if (ZP_ARG_IOVEC(k, i) ? iov_hit(a, (uint64_t)args[i + 1]) : msghdr_hit(a))
			return true;
	}
	return false;
}

/* The pages go PROT_NONE for as long as any thread makes such a call.
 * Other threads that reach page 0 meanwhile fault, and signal.c finishes
 * their calls. The lock is taken with every signal blocked, so that a
 * handler of this thread never waits for it. */
static int page0_lock;
static int page0_users;

static void page0_protect(int delta)
{
	uint64_t all = ~0ull, old;

	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	while (__atomic_exchange_n(&page0_lock, 1, __ATOMIC_ACQUIRE))
		zp_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	int before = page0_users;
	page0_users += delta;
	if (before == 0 && page0_users > 0) {
		zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, PROT_NONE, 0, 0, 0);
		zp_raw_syscall(SYS_mprotect, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, PROT_NONE, 0, 0, 0);
	} else if (before > 0 && page0_users == 0) {
		zp_raw_syscall(SYS_mprotect, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, PROT_READ, 0, 0, 0);
		zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, PROT_READ | PROT_EXEC, 0, 0, 0);
	}
	__atomic_store_n(&page0_lock, 0, __ATOMIC_RELEASE);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
}

/* page0_forked -- in a child process: the calls of its parent's other
 * threads that had the pages inaccessible are not the child's */
static void page0_forked(void)
{
	if (!zp_page0_mapped || page0_users == 0)
		return;
	page0_users = 0;
	page0_lock = 0;
	zp_raw_syscall(SYS_mprotect, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, PROT_READ, 0, 0, 0);
	zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, PROT_READ | PROT_EXEC, 0, 0, 0);
}

long zp_page0_call(long nr, const long a[6])
{
	page0_protect(1);
	long r = raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	page0_protect(-1);
	return r;
}

long zp_check_call(struct zp_frame *f)
{
	const long a[6] = { (long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10, (long)f->r8,
			    (long)f->r9 };

	if (!zp_page0_hit((long)f->rax, a))
		return 0;
	f->rax = (uint64_t)zp_page0_call((long)f->rax, a);
	return 1;
}

/* raw_checked -- raw() for a number with pointer arguments, out of line:
 * raw() runs on the small stacks of signal handlers too */
static __attribute__((noinline)) long raw_checked(long nr, long a1, long a2, long a3, long a4,
						  long a5, long a6)
{
	const long a[6] = { a1, a2, a3, a4, a5, a6 };

	if (zp_page0_hit(nr, a))
		return zp_page0_call(nr, a);
	return raw_plain(nr, a1, a2, a3, a4, a5, a6);
}

/* raw -- the kernel's turn for the chain and the signal paths */
static long raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	if (zp_page0_mapped && (unsigned long)nr < zp_syscall_count && zp_syscall_args[nr] != 0)
		return raw_checked(nr, a1, a2, a3, a4, a5, a6);
	return raw_plain(nr, a1, a2, a3, a4, a5, a6);
}

/* read_user -- all of it, or EFAULT as the real call would report; what
 * lies in the trampoline's pages is not the program's to read */
static long read_user(void *dst, const void *src, size_t len)
{
	if (zp_page0_mapped && low((uintptr_t)src))
		return -EFAULT;
	return zp_read_user(dst, (uintptr_t)src, len) == len ? 0 : -EFAULT;
}

static void child_started(void);

static long do_clone3(struct zp_thread *t, long a1, long a2)
{
	struct zp_frame *f = t->frame;
	unsigned char buf[128] __attribute__((aligned(8)));
	struct clone_args *ca = (struct clone_args *)buf;

	if (a2 < (long)offsetof(struct clone_args, tls) + 8 || (size_t)a2 > sizeof(buf) ||
	    read_user(buf, (void *)a1, (size_t)a2) < 0)
		return raw(SYS_clone3, a1, a2, 0, 0, 0, 0);
	if (ca->stack != 0 && ca->stack_size >= 24) {
		uint64_t *top = (uint64_t *)(uintptr_t)(ca->stack + ca->stack_size);
		top[-1] = f->ret;
		top[-2] = f->rdi;
		top[-3] = ca->flags;
		ca->stack_size -= 24;
		uint64_t g = t->guard;
		long r = zp_do_clone3(f, t->xarea, buf, 0);
		/* a vfork-like child ran on our thread state */
		t->guard = g;
		zp_exec_map_release(t);
		t->sud_selector = ZP_SUD_ALLOW;
		return r;
	}
	if (ca->flags & CLONE_VM)
		zp_vfork_path(t, SYS_clone3);
	long r = raw(SYS_clone3, a1, a2, 0, 0, 0, 0);
	if (r == 0)
		child_started();
	return r;
}

/* The runtime's own descriptors (trace, shared memory) are not the
 * program's: closing them fails as for any descriptor the program never
 * opened, and a dup2() onto one moves ours out of the way first. */
static int *own_fds[] = { &zp_trace_fd, &zp_shared_fd };
static const char *const own_fd_vars[] = { ZP_ENV_TRACE_FD, ZP_ENV_SHARED_FD };
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

/* ---- children ----
 * A program that calls execve with an environment of its own (env -i, a
 * sandbox's launcher) would start the new image without the runtime. The
 * runtime sees that execve: it puts its variables back, in a new
 * environment built on the stack (the caller may be a vfork child, where
 * malloc is not safe). With ZPOLINE_FOLLOW=0 (zpoline run --no-follow),
 * children made by fork or clone are not followed, like strace without
 * -f: their calls skip the hooks and their execve drops the runtime. */

static const char *const env_names[] = { ZP_ENV_ALL };
#define ZP_VARS (sizeof(env_names) / sizeof(env_names[0]))
static char saved_vars[ZP_VARS][4200];
static int nsaved;
static char runtime_path[4096];
static bool unfollowed;         /* this process is a child we do not follow */
static long my_pid;             /* a vfork child shares our memory, not our pid */

void zp_children_init(const char *self_path)
{
	const char *const *names = env_names;
	const char *f = getenv(ZP_ENV_FOLLOW);

	zp_follow = f == NULL || strcmp(f, "0") != 0;
	my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	snprintf(runtime_path, sizeof(runtime_path), "%s", self_path);
	for (size_t i = 0; i < ZP_VARS; i++) {
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

/* zp_env_hide -- the program's environ without the runtime's variables,
 * and LD_PRELOAD without the runtime (none at all if that was all of it),
 * as natively: execve puts them back for the images it starts. The new
 * array is not the program's malloc's; the strings are the originals. */
void zp_env_hide(void)
{
	extern char **environ;
	static char preload[4200];
	size_t n = 0, k = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	if (n == 0 || runtime_path[0] == '\0')
		return;
	/* the raw call: the hooks are running, and this is not the program's */
	char **out = (char **)zp_raw_syscall(SYS_mmap, 0, (long)((n + 1) * sizeof(char *)),
					     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)out > -4096ul)
		return;
	for (size_t i = 0; i < n; i++) {
		char *e = environ[i];
		bool ours = false;
		for (size_t v = 0; v < ZP_VARS; v++)
			ours |= has_prefix(e, env_names[v], strlen(env_names[v]));
		if (ours)
			continue;
		if (has_prefix(e, "LD_PRELOAD", 10) && preload_has_runtime(e)) {
			/* the entries but ours, in order */
			size_t len = snprintf(preload, sizeof(preload), "LD_PRELOAD=");
			const char *p = e + 11;
			bool first = true;
			while (*p != '\0') {
				size_t l = strcspn(p, ": ");
				if (l > 0 && !(l == strlen(runtime_path) && strncmp(p, runtime_path, l) == 0) &&
				    len + l + 2 < sizeof(preload)) {
					len += snprintf(preload + len, sizeof(preload) - len, "%s%.*s",
							first ? "" : ":", (int)l, p);
					first = false;
				}
				p += l + (p[l] != '\0');
			}
			if (first)
				continue;
			e = preload;
		}
		out[k++] = e;
	}
	out[k] = NULL;
	environ = out;
}

/* The environment an execve passes is built in a mapping of its own: the
 * caller may be a vfork child (no malloc) on a small stack (posix_spawn's).
 * When the exec succeeds in a vfork child, the mapping stays in its
 * parent's memory, which then unmaps it (zp_exec_map_release). */
static char **exec_map(struct zp_thread *t, size_t len)
{
	void *p = (void *)zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)p > -4096ul)
		return NULL;
	t->exec_map = p;
	t->exec_map_len = len;
	return p;
}

void zp_exec_map_release(struct zp_thread *t)
{
	if (t->exec_map == NULL)
		return;
	zp_raw_syscall(SYS_munmap, (long)t->exec_map, (long)t->exec_map_len, 0, 0, 0, 0);
	t->exec_map = NULL;
}

/* exec_with_env -- the environment the new image gets: the program's, with
 * the runtime's variables put back (or, for an unfollowed child, taken
 * out) */
static long exec_with_env(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	char **envp = (char **)(nr == SYS_execve ? a3 : a4);
	char **argv = (char **)(nr == SYS_execve ? a2 : a3);
	size_t n = 0, oldlen = 0;

	/* arrays or strings in the first pages (the trampoline's, or
	 * unmapped): the kernel must fail on them as natively, and this
	 * code must not read them */
	bool bad = (envp != NULL && low((uintptr_t)envp)) || (argv != NULL && low((uintptr_t)argv));
	for (size_t i = 0; !bad && zp_page0_mapped && argv != NULL && argv[i] != NULL; i++)
		bad = low((uintptr_t)argv[i]);
	for (size_t i = 0; !bad && envp != NULL && envp[i] != NULL; i++)
		bad = low((uintptr_t)envp[i]);
	if (bad && zp_page0_mapped) {
		const long a[6] = { a1, a2, a3, a4, a5, a6 };
		return zp_page0_call(nr, a);
	}
	if (bad)
		return raw(nr, a1, a2, a3, a4, a5, a6);
	while (envp != NULL && envp[n] != NULL)
		n++;
	if (runtime_path[0] == '\0')
		return raw(nr, a1, a2, a3, a4, a5, a6);
	for (size_t i = 0; i < n; i++)
		if (has_prefix(envp[i], "LD_PRELOAD", 10))
			oldlen = strlen(envp[i]);
	/* the array, then the new LD_PRELOAD entry */
	size_t plen = strlen(runtime_path) + oldlen + 16;
	char **out = exec_map(t, (n + ZP_VARS + 2) * sizeof(char *) + plen);
	if (out == NULL)
		return -ENOMEM;
	char *preload = (char *)(out + n + ZP_VARS + 2);
	size_t k = 0;
	bool keep = zp_follow ||
		    (!unfollowed && zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) == my_pid);
	bool have[ZP_VARS] = { false };
	bool preload_done = false;

	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i];
		if (has_prefix(e, "LD_PRELOAD", 10)) {
			if (keep && !preload_has_runtime(e)) {
				snprintf(preload, plen, "LD_PRELOAD=%s%s%s", runtime_path, e[11] ? ":" : "",
					 e + 11);
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
			snprintf(preload, plen, "LD_PRELOAD=%s", runtime_path);
			out[k++] = preload;
		}
	}
	out[k] = NULL;
	long r = nr == SYS_execve ? raw(nr, a1, a2, (long)out, a4, a5, a6)
				  : raw(nr, a1, a2, a3, (long)out, a5, a6);
	/* it failed: the mapping is still ours */
	zp_exec_map_release(t);
	return r;
}

/* child_started -- in a child made by fork or clone (not a thread) */
static void child_started(void)
{
	/* Syscall User Dispatch is not inherited by fork */
	zp_sud_arm_thread();
	my_pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	page0_forked();
	if (!zp_follow) {
		unfollowed = true;
		zp_hooks_detach();
	}
}

/* zp_clone_child -- stub.S, in the child of a clone with a stack of its
 * own, before it returns to the site */
void zp_clone_child(uint64_t flags)
{
	struct zp_thread *t = &zp_tls;

	if (!(flags & CLONE_VM)) {
		/* a process of its own (fork-like, as container runtimes
		 * clone): its copy of our state says it is inside a hook */
		t->guard = 0;
		t->frame = NULL;
		t->xarea = NULL;
		child_started();
		return;
	}
	/* posix_spawn's child shares our memory, thread state included,
	 * while we wait for it to exec: its calls are the program's */
	if ((flags & CLONE_VFORK) && !(flags & CLONE_SETTLS))
		t->guard = 0;
	zp_sud_arm_thread();
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
	/* the kernel then fails on it, as natively (raw) */
	if (zp_page0_mapped && low((uint64_t)ptr))
		return ptr;
	if (read_user(copy, (void *)ptr, sizeof(*copy)) < 0)
		return -EFAULT;
	*copy &= ~zp_signal_own_mask();
	return (long)copy;
}

/* the runtime's signals this thread's program asked to block: the kernel
 * never has them blocked, the program reads them back as blocked */
static __thread uint64_t own_blocked __attribute__((tls_model("initial-exec")));

/* sigprocmask_virtual -- SIGILL, SIGSEGV (and with the safety net SIGSYS)
 * stay deliverable: the kernel kills a thread that faults with them
 * blocked, and the runtime finishes calls in their handlers. The old mask
 * the program reads is the one it set. */
static long sigprocmask_virtual(long how, long set, long oldset, long size)
{
	uint64_t before = own_blocked, asked = 0, copy;
	bool have = set != 0 && !(zp_page0_mapped && low((uint64_t)set)) &&
		    read_user(&asked, (void *)set, sizeof(asked)) == 0;

	if ((how == SIG_BLOCK || how == SIG_SETMASK) && (set = own_signals_unmasked(set, &copy)) < 0)
		return set;
	long r = raw(SYS_rt_sigprocmask, how, set, oldset, size, 0, 0);
	if (r != 0)
		return r;
	/* the kernel wrote *oldset: it is the program's to read */
	if (oldset != 0)
		*(uint64_t *)oldset |= before;
	asked &= zp_signal_own_mask();
	if (have && how == SIG_BLOCK)
		own_blocked |= asked;
	else if (have && how == SIG_UNBLOCK)
		own_blocked &= ~asked;
	else if (have && how == SIG_SETMASK)
		own_blocked = asked;
	return 0;
}

long zp_next(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	struct sigset_arg { long set, len; } pselect_arg;
	uint64_t mask;

	switch (nr) {
	case SYS_rt_sigreturn:
		zp_observed(t);
		if (t->frame != NULL) {
			struct zp_frame *f = t->frame;
			zp_leave_dispatch(t);
			zp_do_sigreturn(f);
		}
		break;
	case SYS_vfork:
		if (t->frame != NULL)
			zp_vfork_path(t, nr);
		break;
	case SYS_clone:
		if (t->frame == NULL)
			break;
		if (a2 != 0) {
			uint64_t *sp = (uint64_t *)a2;
			sp[-1] = t->frame->ret;
			sp[-2] = (uint64_t)a2;
			sp[-3] = (uint64_t)a1;
			uint64_t g = t->guard;
			long r = zp_do_clone(t->frame, t->xarea, (uint64_t)a2 - 24);
			/* a child sharing our TLS (no CLONE_SETTLS) armed with it,
			 * and a vfork-like one ran on our thread state */
			t->guard = g;
			zp_exec_map_release(t);
			t->sud_selector = ZP_SUD_ALLOW;
			return r;
		}
		if (a1 & CLONE_VM)
			zp_vfork_path(t, nr);
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
		/* an action the kernel cannot read: it says so (raw) */
		if (a2 != 0 && zp_page0_mapped && low((uint64_t)a2))
			break;
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
		if (a4 == 8)
			return sigprocmask_virtual(a1, a2, a3, a4);
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
		/* not in a vfork child: what the hooks' exit handlers do
		 * would happen in its parent's memory */
		if (my_pid == 0 || zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) == my_pid)
			zp_hooks_fini();
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
				/* the policy path saved the vector state (libc,
				 * libelf use vector registers) */
				zp_late_mapped((uintptr_t)r, (size_t)a2, (int)a5, (uint64_t)a6, (int)a3);
			}
			return r;
		}
		break;
	}
	return raw(nr, a1, a2, a3, a4, a5, a6);
}


static void policy_call(void *arg)
{
	struct zpoline_call *c = arg;

	c->ret = zp_next(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
			 c->args[5]);
}

long zp_policy_call(const struct zpoline_call *call)
{
	struct zp_thread *t = &zp_tls;
	struct zp_frame *pframe = t->frame;
	struct zpoline_call c = *call;

	/* no stub frame to make a clone or vfork from: those go to the
	 * kernel as they are */
	t->frame = NULL;
	if (zp_save_mode == ZP_SAVE_GPR && zp_xsave_size != 0)
		zp_call_saving_xstate(policy_call, &c);
	else
		policy_call(&c);
	t->frame = pframe;
	return c.ret;
}
