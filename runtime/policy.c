/* policy.c -- what the runtime itself does with a system call.
 *
 * zp_next() is the end of every chain: the kernel's turn (page0.c makes
 * the call itself). Numbers the
 * runtime must see reach it through the stub's policy path, which saves
 * the program's vector state first, so the code here may use libc.
 *   - calls that cannot complete on a C stack go to nostack.S with the
 *     program's saved registers: clone with a new stack, vfork and clone
 *     with CLONE_VM and no stack, rt_sigreturn;
 *   - the signals the runtime needs (signal.c) are virtualised, in
 *     actions and in masks;
 *   - the runtime's descriptors are kept out of the program's way;
 *   - execve gets the runtime's variables back, children their state
 *     (children.c);
 *   - a file mapped executable is a library loaded late: rewrite it;
 *   - exit_group ends the hooks (their fini). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "page0.h"
#include "runtime.h"


/* read_user -- all of it, or EFAULT as the real call would report; what
 * lies in the trampoline's pages is not the program's to read */
static long read_user(void *dst, const void *src, size_t len)
{
	if (zp_page0_mapped && zp_page0_low((uintptr_t)src))
		return -EFAULT;
	return zp_read_user(dst, (uintptr_t)src, len) == len ? 0 : -EFAULT;
}

/* shared_tls_child -- a child of these clone flags runs beside its parent
 * on the parent's thread-local memory (CLONE_VM, no CLONE_SETTLS, no
 * CLONE_VFORK): the runtime's per-thread state (the guard, the selector of
 * the safety net) is then one for both, and the child's calls skip the
 * hooks while the parent is inside the runtime. An enforcing hook must
 * not be passed by: fail closed (zp_unhooked), unless best effort. */
static void shared_tls_child(uint64_t flags)
{
	if ((flags & CLONE_VM) && !(flags & (CLONE_SETTLS | CLONE_VFORK)) && zp_hooks_enforce())
		zp_unhooked("clone(CLONE_VM) without CLONE_SETTLS",
			    "the child would share the runtime's per-thread state with its parent");
}

/* deferred_first -- before execve's preparation: the signals held back
 * meanwhile reach their handlers first, with the guard down, as in
 * zp_kernel_call's (which makes the call itself, after), so that the mask
 * it keeps for a failed execve does not hold them */
static void deferred_first(struct zp_thread *t)
{
	if (t->deferred == 0)
		return;
	uint64_t g = t->guard;
	zp_kernel_turn_end(t, g, zp_kernel_turn(t));
}

/* clone3_from -- clone3, from buf, the copy of the program's a2 bytes of
 * arguments at a1: with a stack of its own, the copy goes to the kernel
 * (the return to the site on the child's stack) */
static long clone3_from(struct zp_thread *t, long a1, long a2, unsigned char *buf)
{
	struct zp_frame *f = t->frame;
	struct clone_args *ca = (struct clone_args *)buf;

	shared_tls_child(ca->flags);
	if (ca->stack != 0 && ca->stack_size >= 24) {
		uint64_t *top = (uint64_t *)(uintptr_t)(ca->stack + ca->stack_size);
		top[-1] = f->ret;
		top[-2] = f->rdi;
		top[-3] = ca->flags;
		ca->stack_size -= 24;
		uint64_t g = t->guard;
		/* (zp_do_clone3 makes the call: with the guard up, a signal
		 * held back now would start a new thread blocked for good) */
		zp_kernel_turn(t);
		long r = zp_do_clone3(f, t->xarea, buf, 0);
		/* a vfork-like child ran on our thread state */
		t->guard = g;
		zp_exec_map_release(t);
		t->sud_selector = ZP_SUD_ALLOW;
		return r;
	}
	if (ca->flags & CLONE_VM)
		zp_vfork_path(t, SYS_clone3);
	long r = zp_kernel_call(SYS_clone3, a1, a2, 0, 0, 0, 0);
	if (r == 0) {
		zp_signal_cloned(ca->flags);
		zp_child_started();
	}
	return r;
}

/* clone3_large -- arguments larger than any the kernel knows (it takes up
 * to a page, the bytes it does not know zeros): a copy as large */
static __attribute__((noinline)) long clone3_large(struct zp_thread *t, long a1, long a2)
{
	unsigned char buf[ZP_PAGE_SIZE] __attribute__((aligned(8)));

	if (read_user(buf, (void *)a1, (size_t)a2) < 0)
		return zp_kernel_call(SYS_clone3, a1, a2, 0, 0, 0, 0);
	return clone3_from(t, a1, a2, buf);
}

static long do_clone3(struct zp_thread *t, long a1, long a2)
{
	unsigned char buf[128] __attribute__((aligned(8)));

	/* (what the kernel refuses, it refuses as it is) */
	if (a2 < (long)offsetof(struct clone_args, tls) + 8 || a2 > ZP_PAGE_SIZE)
		return zp_kernel_call(SYS_clone3, a1, a2, 0, 0, 0, 0);
	if ((size_t)a2 > sizeof(buf))
		return clone3_large(t, a1, a2);
	if (read_user(buf, (void *)a1, (size_t)a2) < 0)
		return zp_kernel_call(SYS_clone3, a1, a2, 0, 0, 0, 0);
	return clone3_from(t, a1, a2, buf);
}

/* The runtime's own descriptors (trace, shared memory) are not the
 * program's: closing them fails as for any descriptor the program never
 * opened, a dup2() onto one moves ours out of the way first, and in the
 * other calls zp_kernel_call hands the kernel -1 for them (page0.c). */

/* the identities of the runtime's files, by index in zp_own_fds: read
 * again when the number there changed (dup2 moves ours) */
static struct {
	int fd;
	dev_t dev;
	ino_t ino;
} own_ids[ZP_OWN_FDS_MAX];

/* own_identity -- st is the file of one of the runtime's descriptors
 * that has no name to open it by: a memfd (mode 0, which root opens
 * anyway), a socket. The -o file, or a copy of stderr (a terminal,
 * /dev/null), the program may open by its name. */
static bool own_identity(const struct stat *st)
{
	if (!(S_ISREG(st->st_mode) && st->st_nlink == 0) && !S_ISSOCK(st->st_mode))
		return false;
	for (size_t i = 0; i < zp_nown; i++) {
		int fd = *zp_own_fds[i];
		if (fd <= 2)
			continue;
		if (__atomic_load_n(&own_ids[i].fd, __ATOMIC_ACQUIRE) != fd) {
			struct stat o;
			if (zp_raw_syscall(SYS_fstat, fd, (long)&o, 0, 0, 0, 0) != 0)
				continue;
			/* threads that race here store the same */
			own_ids[i].dev = o.st_dev;
			own_ids[i].ino = o.st_ino;
			__atomic_store_n(&own_ids[i].fd, fd, __ATOMIC_RELEASE);
		}
		if (own_ids[i].dev == st->st_dev && own_ids[i].ino == st->st_ino)
			return true;
	}
	return false;
}

/* own_path -- dirfd and path name one of the runtime's files */
static bool own_path(long dirfd, long path)
{
	struct stat st;

	if (path == 0 || zp_page0_low((uint64_t)path))
		return false;
	return zp_raw_syscall(SYS_newfstatat, dirfd, path, (long)&st, 0, 0, 0) == 0 && own_identity(&st);
}

/* access_checked -- a call that would change the mode, owner or ACL of
 * one of the runtime's nameless files (by /proc/self/fd/N): natively
 * there is no such file, ENOENT. The l* forms and AT_SYMLINK_NOFOLLOW act
 * on the link itself. */
static long access_checked(long nr, const long a[6])
{
	bool at = nr == SYS_fchmodat || nr == SYS_fchownat;
#ifdef SYS_fchmodat2
	at |= nr == SYS_fchmodat2;
#endif
	long dirfd = at ? a[0] : AT_FDCWD, path = at ? a[1] : a[0];
	long flags = nr == SYS_fchownat ? a[4] : at && nr != SYS_fchmodat ? a[3] : 0;
	bool held = __atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED) != INT_MAX;

	if (held && !(flags & AT_SYMLINK_NOFOLLOW) && !zp_is_own_fd(dirfd) && own_path(dirfd, path))
		return -ENOENT;
	return zp_kernel_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* program_call -- zp_kernel_call for the program's call as it came, one
 * kernel call whose result the program gets: a signal that interrupts it
 * waits for the end of a dispatch with a stage (signal.c, at_turn), not
 * of one made for a call of the runtime's (zp_policy_call) */
static inline __attribute__((always_inline)) long program_call(long nr, long a1, long a2, long a3, long a4,
								   long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	struct zp_entry *e = t->entry;

	/* (t->turn left by a call that never returns: a thread's end takes
	 * its state along, a vfork child's is cleared for its parent) */
	if (e == NULL || e->stage == NULL || e->stage != t->frame)
		return zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
	t->turn = e;
	long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
	t->turn = NULL;
	return r;
}

/* open_checked -- an open that reaches one of the runtime's nameless files
 * (by /proc/self/fd/N, /dev/fd/N, /proc/self/map_files: root opens the
 * mode-0 ones too): natively that file is not there, ENOENT. Judged by the file's identity
 * once it is open; before, for an open that would truncate it; after a
 * refusal (EACCES, ENXIO for a socket), by the path's. */
static long open_checked(long nr, const long a[6])
{
	bool at = nr == SYS_openat || nr == SYS_openat2;
	long dirfd = at ? a[0] : AT_FDCWD, path = at ? a[1] : a[0];
	uint64_t flags = nr == SYS_creat ? O_TRUNC : nr == SYS_open ? (uint64_t)a[1] : (uint64_t)a[2];
	struct open_how how;
	struct stat st;

	if (nr == SYS_openat2)
		flags = a[2] >= (long)sizeof(uint64_t) && read_user(&how, (void *)a[2], sizeof(uint64_t)) == 0
				? how.flags : 0;
	if ((flags & O_TRUNC) && !zp_is_own_fd(dirfd) && own_path(dirfd, path))
		return -ENOENT;
	long r = program_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r >= 0) {
		if (zp_raw_syscall(SYS_fstat, r, (long)&st, 0, 0, 0, 0) == 0 && own_identity(&st)) {
			zp_raw_syscall(SYS_close, r, 0, 0, 0, 0, 0);
			return -ENOENT;
		}
		return r;
	}
	if ((r == -EACCES || r == -ENXIO || r == -EPERM) && !zp_is_own_fd(dirfd) && own_path(dirfd, path))
		return -ENOENT;
	return r;
}

/* close_range_around -- close_range over the gaps between our descriptors */
static long close_range_around(unsigned first, unsigned last, unsigned flags)
{
	unsigned keep[ZP_OWN_FDS_MAX];
	size_t n = 0;
	long r = 0;

	for (size_t i = 0; i < zp_nown; i++) {
		unsigned fd = (unsigned)*zp_own_fds[i];
		if (*zp_own_fds[i] >= 0 && fd >= first && fd <= last)
			keep[n++] = fd;
	}
	if (n == 0)
		return zp_kernel_call(SYS_close_range, first, last, flags, 0, 0, 0);
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && keep[k - 1] > keep[k]; k--) {
			unsigned t = keep[k];
			keep[k] = keep[k - 1];
			keep[k - 1] = t;
		}
	unsigned from = first;
	for (size_t i = 0; i <= n; i++) {
		unsigned to = i < n ? keep[i] : last;
		if (i < n && to == from) {
			from = to + 1;
			continue;
		}
		long x = zp_kernel_call(SYS_close_range, from, i < n ? to - 1 : to, flags, 0, 0, 0);
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


/* fd_number -- the decimal name of fd, as in /proc/self/fd: length, or 0 */
static size_t fd_number(int fd, char *buf)
{
	char tmp[12];
	size_t n = 0;

	if (fd < 0)
		return 0;
	do
		tmp[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

/* is_fd_dir -- fd is open on a /proc/PID/fd or /proc/PID/task/TID/fd
 * directory (/dev/fd leads there): its listing names descriptors */
static bool is_fd_dir(long fd)
{
	char link[32], target[64];
	size_t n = fd_number((int)fd, stpcpy(link, "/proc/self/fd/"));
	long len;

	if (n == 0)
		return false;
	len = zp_raw_syscall(SYS_readlink, (long)link, (long)target, sizeof(target) - 1, 0, 0, 0);
	if (len < 9 || strncmp(target, "/proc/", 6) != 0 || memcmp(target + len - 3, "/fd", 3) != 0)
		return false;
	return true;
}

/* getdents_hidden -- a directory listing without our descriptors' entries
 * when it lists a process's descriptors: the program sees what it would
 * natively. A buffer that held nothing else is filled again. */
static long getdents_hidden(long nr, long fd, long buf, long count)
{
	char names[ZP_OWN_FDS_MAX][12];
	size_t lens[ZP_OWN_FDS_MAX];
	bool checked = false, fddir = false;

	for (size_t i = 0; i < zp_nown; i++)
		lens[i] = fd_number(*zp_own_fds[i], names[i]);
	for (;;) {
		long r = zp_kernel_call(nr, fd, buf, count, 0, 0, 0);
		if (r <= 0)
			return r;
		/* linux_dirent64 { ino, off, reclen, type, name }; the old
		 * linux_dirent { ino, off, reclen, name..., type } */
		size_t name_at = nr == SYS_getdents64 ? 19 : 18;
		char *p = (char *)buf;
		long kept = 0;
		for (long off = 0; off < r;) {
			unsigned short reclen;
			memcpy(&reclen, p + off + 16, sizeof(reclen));
			const char *name = p + off + name_at;
			bool ours = false;
			for (size_t i = 0; i < zp_nown && !ours; i++)
				ours = lens[i] != 0 && memcmp(name, names[i], lens[i] + 1) == 0;
			if (ours && !checked) {
				fddir = is_fd_dir(fd);
				checked = true;
			}
			if (!(ours && fddir)) {
				if (kept != off)
					memmove(p + kept, p + off, reclen);
				kept += reclen;
			}
			off += reclen;
		}
		if (kept > 0)
			return kept;
	}
}

/* move_own_fd -- the program wants that number */
static void move_own_fd(long fd)
{
	for (size_t i = 0; i < zp_nown; i++) {
		if (*zp_own_fds[i] != fd)
			continue;
		long nfd = zp_raw_syscall(SYS_fcntl, fd, F_DUPFD, 100, 0, 0, 0);
		if (nfd >= 0) {
			zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
			*zp_own_fds[i] = (int)nfd;
			/* and children inherit it under its new number */
			if (zp_own_fd_vars[i] != NULL)
				zp_children_set_fd(zp_own_fd_vars[i], (int)nfd);
			zp_own_fds_changed();
		}
	}
}

/* own_signals_unmasked -- a copy, in *copy, of the signal mask at ptr
 * without the runtime's signals (NULL stays NULL): a mask a call puts in
 * place while it waits is the one signal handlers then run with */
static long own_signals_unmasked(long ptr, uint64_t *copy, uint64_t *own)
{
	if (ptr == 0)
		return 0;
	/* the kernel then fails on it, as natively (raw) */
	if (zp_page0_mapped && zp_page0_low((uint64_t)ptr))
		return ptr;
	if (read_user(copy, (void *)ptr, sizeof(*copy)) < 0)
		return -EFAULT;
	if (own != NULL)
		*own = *copy & zp_signal_own_mask();
	*copy &= ~zp_signal_own_mask();
	return (long)copy;
}

/* wait_masked -- a call that waits with a temporary signal mask, which
 * own_signals_unmasked read (masked) and found to block the runtime's
 * signals in asked: for the call's duration those are the ones the
 * program blocks. One of them kept pending that the mask lets through is
 * delivered at once, and the call ends as it does when a handler runs:
 * EINTR. */
static long wait_masked(long nr, const long a[6], bool masked, uint64_t asked)
{
	uint64_t saved = zp_own_blocked;

	if (!masked)
		return zp_kernel_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	zp_own_blocked = asked;
	uint64_t through = zp_signal_pending() & ~asked;
	if (through != 0) {
		zp_signal_unblocked(through);
		zp_own_blocked = saved;
		return -EINTR;
	}
	long r = zp_kernel_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	zp_own_blocked = saved;
	return r;
}

/* held_in -- a signal of set that this thread holds back (signal.c) */
static bool held_in(uint64_t set)
{
	int sig = zp_tls.held_sig;

	return sig != 0 && (set >> (sig - 1) & 1) && zp_signal_holding(sig);
}

/* wait_held -- rt_sigtimedwait(set, info, timeout) made into a siginfo of
 * the runtime's, which goes through the slot of the real-time signal this
 * thread holds back (zp_signal_waited): the program reads the instances
 * in the kernel's order, the held one first, and never the runtime's mark
 * that ends them (natively it reads none). Where info cannot take it, the
 * signal is gone and the call fails with EFAULT, as natively. */
static long wait_held(long set, long info, long timeout)
{
	struct timespec left, end = { 0, 0 };
	siginfo_t si;
	long r;

	/* a wait that goes on past a mark waits what is left of its time
	 * (the kernel measures it on CLOCK_MONOTONIC) */
	bool timed = timeout != 0 && read_user(&left, (void *)timeout, sizeof(left)) == 0 &&
		     left.tv_sec >= 0 && left.tv_sec < (1l << 40) && left.tv_nsec >= 0 && left.tv_nsec < 1000000000 &&
		     zp_raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&end, 0, 0, 0, 0) == 0;
	if (timed) {
		end.tv_sec += left.tv_sec;
		end.tv_nsec += left.tv_nsec;
		if (end.tv_nsec >= 1000000000) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000;
		}
	}
	while ((r = zp_kernel_call(SYS_rt_sigtimedwait, set, (long)&si, timeout, 8, 0, 0)) > 0 &&
	       zp_signal_waited((int)r, &si) == 0) {
		struct timespec now;
		if (!timed || zp_raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&now, 0, 0, 0, 0) != 0)
			continue;
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000;
		}
		if (left.tv_sec < 0)
			left.tv_sec = left.tv_nsec = 0;
		timeout = (long)&left;
	}
	if (r > 0 && info != 0 &&
	    ((zp_page0_mapped && zp_page0_low((uint64_t)info)) || !zp_signal_copy_out((void *)info, &si, sizeof(si))))
		return -EFAULT;
	return r;
}

/* sigprocmask_virtual -- SIGILL, SIGSEGV (and with the safety net SIGSYS)
 * stay deliverable: the kernel kills a thread that faults with them
 * blocked, and the runtime finishes calls in their handlers. The old mask
 * the program reads is the one it set. */
static long sigprocmask_virtual(long how, long set, long oldset, long size)
{
	uint64_t before = zp_own_blocked, asked = 0, copy;
	bool have = set != 0 && !(zp_page0_mapped && zp_page0_low((uint64_t)set)) &&
		    read_user(&asked, (void *)set, sizeof(asked)) == 0;

	if ((how == SIG_BLOCK || how == SIG_SETMASK) && (set = own_signals_unmasked(set, &copy, NULL)) < 0)
		return set;
	long r = zp_kernel_call(SYS_rt_sigprocmask, how, set, oldset, size, 0, 0);
	if (r != 0)
		return r;
	/* the kernel wrote *oldset: it is the program's to read */
	if (oldset != 0)
		*(uint64_t *)oldset |= before;
	asked &= zp_signal_own_mask();
	if (have && how == SIG_BLOCK)
		zp_own_blocked |= asked;
	else if (have && how == SIG_UNBLOCK)
		zp_own_blocked &= ~asked;
	else if (have && how == SIG_SETMASK)
		zp_own_blocked = asked;
	if (before & ~zp_own_blocked)
		zp_signal_unblocked(before & ~zp_own_blocked);
	return 0;
}

long zp_next(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	struct sigset_arg { long set, len; } pselect_arg;
	uint64_t mask, own = 0;

	if (zp_changes_access(nr))
		return access_checked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 });
	switch (nr) {
	case SYS_rt_sigreturn:
		zp_observed(t);
		if (t->frame != NULL) {
			struct zp_frame *f = t->frame;
			zp_signal_returning((char *)f + ZP_FRAME_SIZE);
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
		shared_tls_child((uint64_t)a1);
		if (a2 != 0) {
			uint64_t *sp = (uint64_t *)a2;
			sp[-1] = t->frame->ret;
			sp[-2] = (uint64_t)a2;
			sp[-3] = (uint64_t)a1;
			uint64_t g = t->guard;
			zp_kernel_turn(t);      /* as for clone3 */
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
			long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
			if (r == 0)
				zp_child_started();
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
		if (a2 != 0 && zp_page0_mapped && zp_page0_low((uint64_t)a2))
			break;
		if (a4 == 8 && a1 > 0 && a1 <= 64 && (a2 != 0 || a3 != 0))
			return zp_signal_other_action((int)a1, (void *)a2, (void *)a3);
		break;
	case SYS_rt_sigsuspend: {
		if (a2 != 8)
			break;
		if ((a1 = own_signals_unmasked(a1, &mask, &own)) < 0)
			return a1;
		return wait_masked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 }, a1 == (long)&mask, own);
	}
	case SYS_ppoll: {
		if (a5 != 8)
			break;
		if ((a4 = own_signals_unmasked(a4, &mask, &own)) < 0)
			return a4;
		return wait_masked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 }, a4 == (long)&mask, own);
	}
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2: {
		if (a6 != 8)
			break;
		if ((a5 = own_signals_unmasked(a5, &mask, &own)) < 0)
			return a5;
		return wait_masked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 }, a5 == (long)&mask, own);
	}
	case SYS_pselect6:
		if (a6 != 0) {
			struct sigset_arg ss;
			if (read_user(&ss, (void *)a6, sizeof(ss)) < 0)
				break;
			if (ss.len != 8)
				break;
			if ((ss.set = own_signals_unmasked(ss.set, &mask, &own)) < 0)
				return ss.set;
			pselect_arg = ss;
			a6 = (long)&pselect_arg;
			return wait_masked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 }, ss.set == (long)&mask, own);
		}
		break;
	case SYS_rt_sigprocmask:
		if (a4 == 8)
			return sigprocmask_virtual(a1, a2, a3, a4);
		break;
	case SYS_rt_sigpending:
		if (a2 == 8 && zp_signal_pending() != 0) {
			long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
			if (r == 0)
				*(uint64_t *)a1 |= zp_signal_pending();
			return r;
		}
		break;
	case SYS_rt_sigtimedwait:
		/* a signal of ours the program blocks and waits for: kept
		 * pending already, or arriving during the wait (its handler
		 * keeps it and the wait ends with EINTR) */
		if (a4 != 8 || a1 == 0 || read_user(&mask, (void *)a1, sizeof(mask)) != 0)
			break;
		if ((mask & zp_own_blocked) != 0) {
			siginfo_t si;
			int sig = zp_signal_next(mask, &si);
			if (sig < 0) {
				/* the kernel's comes first: taken alone, at once */
				uint64_t one = 1ull << (-sig - 1);
				struct timespec now = { 0, 0 };
				long r = zp_kernel_call(nr, (long)&one, a2, (long)&now, 8, 0, 0);
				if (r != -EAGAIN)
					return r;
				sig = zp_signal_take(mask & zp_own_blocked, &si);
			}
			if (sig == 0) {
				long r = held_in(mask) ? wait_held(a1, a2, a3) : zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
				if (r != -EINTR || (sig = zp_signal_take(mask & zp_own_blocked, &si)) == 0)
					return r;
			}
			if (a2 != 0 && ((zp_page0_mapped && zp_page0_low((uint64_t)a2)) ||
					!zp_signal_copy_out((void *)a2, &si, sizeof(si))))
				return -EFAULT;
			return sig;
		}
		if (held_in(mask))
			return wait_held(a1, a2, a3);
		break;
	case SYS_prctl:
		/* one dispatch setting a thread: the runtime's (sud.c) */
		if (a1 == PR_SET_SYSCALL_USER_DISPATCH)
			return zp_signal_program_sud(a2, a3, a4, a5);
		break;
	case SYS_close:
		if (zp_is_own_fd(a1))
			return -EBADF;
		break;
	case SYS_setrlimit:
	case SYS_prlimit64:
		/* RLIMIT_FSIZE may change (zp_trace_write) */
		zp_fsize_changed();
		break;
	case SYS_close_range:
		return close_range_around((unsigned)a1, (unsigned)a2, (unsigned)a3);
	case SYS_dup2:
	case SYS_dup3:
		if (zp_is_own_fd(a1))
			return -EBADF;
		if (zp_is_own_fd(a2) && a1 != a2)
			move_own_fd(a2);
		break;
	case SYS_open:
	case SYS_creat:
	case SYS_openat:
	case SYS_openat2:
		return open_checked(nr, (const long[6]){ a1, a2, a3, a4, a5, a6 });
	case SYS_pidfd_getfd: {
		/* our own descriptor taken from this process: natively none */
		struct stat st;
		long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
		if (r >= 0 && zp_raw_syscall(SYS_fstat, r, (long)&st, 0, 0, 0, 0) == 0 && own_identity(&st)) {
			zp_raw_syscall(SYS_close, r, 0, 0, 0, 0, 0);
			return -EBADF;
		}
		return r;
	}
	case SYS_getdents:
	case SYS_getdents64:
		return getdents_hidden(nr, a1, a2, a3);
	case SYS_exit_group:
		/* not in a vfork child: what the hooks' exit handlers do
		 * would happen in its parent's memory */
		if (!zp_in_vfork_child())
			zp_hooks_fini();
		break;
	case SYS_execve:
	case SYS_execveat: {
		/* the new image, hooked or not, starts with the program's
		 * mask and pending signals */
		uint64_t saved;
		deferred_first(t);
		bool carried = zp_signal_exec_prepare(&saved);
		long r = zp_exec_with_env(nr, a1, a2, a3, a4, a5, a6);
		if (carried)
			zp_signal_exec_failed(saved);
		return r;
	}
	case SYS_fork: {
		long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
		if (r == 0)
			zp_child_started();
		return r;
	}
	case SYS_mmap:
		/* over the trampoline's pages: refused as where mapping low
		 * addresses is not allowed (vm.mmap_min_addr) */
		if (zp_page0_mapped && (a4 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (uint64_t)a1 < ZP_LOW_END &&
		    ((uint64_t)a1 < ZP_PAGE_SIZE || (uint64_t)a1 + (uint64_t)a2 > ZP_LITERAL_PAGE))
			return -EPERM;
		/* a file mapped executable: a library being loaded */
		if ((a3 & PROT_EXEC) && !(a4 & MAP_ANONYMOUS) && (int)a5 >= 0) {
			long r = zp_kernel_call(nr, a1, a2, a3, a4, a5, a6);
			if (r >= 0 || r < -4095) {
				/* the policy path saved the vector state (libc,
				 * libelf use vector registers) */
				zp_late_mapped((uintptr_t)r, (size_t)a2, (int)a5, (uint64_t)a6, (int)a3);
			}
			return r;
		}
		break;
	}
	return program_call(nr, a1, a2, a3, a4, a5, a6);
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
