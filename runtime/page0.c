/* page0.c -- the kernel's turn for the chain and the signal paths, and
 * what it takes when a call's pointers point into the trampoline's pages:
 * the call is made with those pages inaccessible (see page0.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>

#include "page0.h"
#include "runtime.h"

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


bool zp_page0_low(uint64_t p)
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
			if (v[2 * j + 1] != 0 && zp_page0_low(v[2 * j]))
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
	if (((uint32_t)w[1] != 0 && w[0] != 0 && zp_page0_low(w[0])) || (w[3] != 0 && zp_page0_low(w[2])) ||
	    (w[5] != 0 && zp_page0_low(w[4])))
		return true;
	return w[3] != 0 && iov_hit(w[2], w[3]);
}

/* mmsg_hit -- an array of struct mmsghdr (sendmmsg, recvmmsg): each
 * entry's msghdr; the kernel takes at most UIO_MAXIOV of them */
static bool mmsg_hit(uint64_t v, uint64_t count)
{
	const uint64_t size = 64;       /* struct mmsghdr: msghdr, msg_len, padding */

	for (uint64_t i = 0; i < count && i < 1024; i++)
		if (msghdr_hit(v + i * size))
			return true;
	return false;
}

bool zp_page0_nested(uint32_t k, const long args[6])
{
	for (unsigned m = (k >> 16 | k >> 24) & 0x3f; m != 0; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t a = (uint64_t)args[i];
		if (zp_page0_low(a))
			continue;
		bool hit = ZP_ARG_IOVEC(k, i) && ZP_ARG_MSGHDR(k, i) ? mmsg_hit(a, (uint64_t)(unsigned)args[i + 1])
			   : ZP_ARG_IOVEC(k, i)			    ? iov_hit(a, (uint64_t)args[i + 1])
								    : msghdr_hit(a);
		if (hit)
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
 * threads that had the pages inaccessible are not the child's. The fork
 * may have copied the lock held, with the count already back to 0 and
 * the pages not yet restored: whatever the copy says, no thread of the
 * child holds the lock or makes such a call. */
void zp_page0_forked(void)
{
	if (!zp_page0_mapped || (page0_users == 0 && page0_lock == 0))
		return;
	page0_users = 0;
	page0_lock = 0;
	zp_raw_syscall(SYS_mprotect, ZP_LITERAL_PAGE, ZP_PAGE_SIZE, PROT_READ, 0, 0, 0);
	zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, PROT_READ | PROT_EXEC, 0, 0, 0);
}

/* range_call -- a call on an address range starting below ZP_LOW_END:
 * natively nothing is mapped in the trampoline's two pages (0-0xfff and
 * the literal page), so the kernel's answer is that of a hole there. The
 * pages between them are the program's to use. */
static long range_call(long nr, const long a[6])
{
	uint64_t start = (uint64_t)a[0], len = (uint64_t)a[1], end = start + len;
	const uint64_t gap_lo = ZP_PAGE_SIZE, gap_hi = ZP_LITERAL_PAGE;

	/* what the kernel refuses before it looks at the range */
	if ((start & (ZP_PAGE_SIZE - 1)) != 0 || (nr != SYS_mremap && len == 0) || end < start)
		return raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	switch (nr) {
	case SYS_munmap: {
		/* unmapping a hole succeeds: only the program's part goes */
		long r = 0;
		if (start < gap_hi && end > gap_lo) {
			uint64_t lo = start > gap_lo ? start : gap_lo, hi = end < gap_hi ? end : gap_hi;
			r = raw_plain(nr, (long)lo, (long)(hi - lo), 0, 0, 0, 0);
		}
		if (r == 0 && end > ZP_LOW_END) {
			uint64_t lo = start > ZP_LOW_END ? start : ZP_LOW_END;
			r = raw_plain(nr, (long)lo, (long)(end - lo), 0, 0, 0, 0);
		}
		return r;
	}
	case SYS_mremap:
		/* no mapping at the old address */
		return start < gap_lo || start >= gap_hi ? -EFAULT
							 : raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_mincore:
		return start < gap_lo || end > gap_hi ? -ENOMEM
						      : raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	default:
		/* mprotect, madvise, mlock, msync...: up to the first hole,
		 * then ENOMEM */
		if (start < gap_lo || start >= gap_hi)
			return -ENOMEM;
		if (end <= gap_hi)
			return raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		long r = raw_plain(nr, a[0], (long)(gap_hi - start), a[2], a[3], a[4], a[5]);
		return r < 0 ? r : -ENOMEM;
	}
}

static bool is_range_call(long nr)
{
	switch (nr) {
	case SYS_munmap: case SYS_mprotect: case SYS_pkey_mprotect: case SYS_madvise:
	case SYS_mremap: case SYS_mlock: case SYS_mlock2: case SYS_munlock: case SYS_msync:
	case SYS_mincore:
		return true;
	default:
		return false;
	}
}

/* integer_fcntl -- an fcntl command whose third argument is a number
 * (the common ones, F_SETFL with O_NONBLOCK below 0x5000). Others, known
 * or not, are taken as pointers. */
static bool integer_fcntl(long cmd)
{
	switch (cmd) {
	case F_DUPFD: case F_GETFD: case F_SETFD: case F_GETFL: case F_SETFL: case F_SETOWN:
	case F_GETOWN: case F_SETSIG: case F_GETSIG: case F_SETLEASE: case F_GETLEASE: case F_NOTIFY:
	case F_DUPFD_CLOEXEC: case F_SETPIPE_SZ: case F_GETPIPE_SZ: case F_ADD_SEALS: case F_GET_SEALS:
		return true;
	default:
		return false;
	}
}

/* integer_ioctl -- an ioctl command whose third argument the kernel does
 * not read as memory. A command with a direction and a size says it takes
 * a pointer; one without (_IO) takes none, but for the families older
 * than that encoding (terminals, sockets, block devices, consoles, loop,
 * CD-ROM, SCSI generic, frame buffers...), whose commands read pointers
 * with no direction given: there, only the commands known to take a
 * number are. A command taken as a pointer that is not costs microseconds
 * (the pages' protection), never a wrong answer. */
static bool integer_ioctl(unsigned long cmd)
{
	if (_IOC_DIR(cmd) != _IOC_NONE || _IOC_SIZE(cmd) != 0)
		return false;
	switch (_IOC_TYPE(cmd)) {
	case 'T':
		switch (cmd) {
		case TCSBRK: case TCXONC: case TCFLSH: case TIOCEXCL: case TIOCNXCL: case TIOCSCTTY:
		case TIOCNOTTY: case TCSBRKP: case TIOCSBRK: case TIOCCBRK: case TIOCVHANGUP:
		case FIONCLEX: case FIOCLEX: case TIOCSERCONFIG: case TIOCMIWAIT:
			return true;
		default:
			return false;
		}
	case 'L':	/* loop: LOOP_SET_FD ... LOOP_CTL_GET_FREE take numbers, the
			 * status calls structs */
		return _IOC_NR(cmd) != 2 && _IOC_NR(cmd) != 3 && _IOC_NR(cmd) != 4 && _IOC_NR(cmd) != 5 &&
		       _IOC_NR(cmd) != 10;
	case 0x00: case 0x03: case 0x12: case 0x22: case 'F': case 'K': case 'S': case 'V': case 0x89:
	case 0x8b:
		return false;
	default:
		return true;
	}
}

/* integer_prctl -- argument i (1-4) of prctl, for its option */
static bool integer_prctl(const long a[6], int i)
{
	switch (a[0]) {
	case PR_SET_NAME:
		return i != 1;
	case PR_SET_SECCOMP:
		return !(i == 2 && a[1] == SECCOMP_MODE_FILTER);
	case PR_SET_MM:
		return !(i == 2 && (a[1] == PR_SET_MM_MAP || a[1] == PR_SET_MM_AUXV));
	case PR_SET_VMA:
	case PR_SET_SYSCALL_USER_DISPATCH:
		return i != 4;
	default:
		/* numbers, or pointers the kernel only writes (PR_GET_*):
		 * those fail on the read-only pages as on unmapped ones */
		return true;
	}
}

/* integer_ptrace -- ptrace's data, for its request: the requests that read
 * a struct there */
static bool integer_ptrace(long request)
{
	switch (request) {
	case PTRACE_SETREGS: case PTRACE_SETFPREGS: case PTRACE_SETFPXREGS: case PTRACE_SETSIGINFO:
	case PTRACE_GETREGSET: case PTRACE_SETREGSET: case PTRACE_SETSIGMASK:
	case PTRACE_SECCOMP_GET_METADATA: case 0x4210:	/* SET_SYSCALL_USER_DISPATCH_CONFIG */
		return false;
	default:
		return true;
	}
}

/* integer_keyctl -- argument i (1-4) of keyctl, for its operation: the
 * strings and structs it reads (NULL where it means none) */
static bool integer_keyctl(const long a[6], int i)
{
	switch (a[0]) {
	case KEYCTL_JOIN_SESSION_KEYRING:
		return i != 1 || a[1] == 0;
	case KEYCTL_UPDATE:
	case KEYCTL_INSTANTIATE:
		return i != 2 || a[3] == 0;
	case KEYCTL_SEARCH:
		return i != 2 && i != 3;
	case KEYCTL_INSTANTIATE_IOV:
		return i != 2;
	case KEYCTL_DH_COMPUTE:
		return i != 1 && !(i == 4 && a[4] != 0);
	case KEYCTL_PKEY_QUERY:
		return i != 3;
	case KEYCTL_PKEY_ENCRYPT: case KEYCTL_PKEY_DECRYPT: case KEYCTL_PKEY_SIGN: case KEYCTL_PKEY_VERIFY:
		return false;
	case KEYCTL_RESTRICT_KEYRING:
		return i != 2 && !(i == 3 && a[3] != 0);
	default:
		return true;
	}
}

bool zp_page0_integer(long nr, int i, const long a[6])
{
	switch (nr) {
	case SYS_fcntl:
		return integer_fcntl((int)a[1]);
	case SYS_ioctl:
		return integer_ioctl((unsigned int)a[1]);
	case SYS_prctl:
		return integer_prctl(a, i);
	case SYS_ptrace:
		return integer_ptrace(a[0]);
	case SYS_keyctl:
		return integer_keyctl(a, i);
	default:
		return false;
	}
}

long zp_page0_call(long nr, const long a[6])
{
	if (is_range_call(nr) && (uint64_t)a[0] < ZP_LOW_END)
		return range_call(nr, a);
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

bool zp_is_own_fd(long fd)
{
	for (size_t i = 0; i < zp_nown; i++)
		if (fd > 2 && fd == *zp_own_fds[i])
			return true;
	return false;
}

/* own_fds_closed -- the runtime's descriptors among the descriptor
 * arguments of nr become -1 (false: fail the call with EBADF instead), which the kernel takes as it takes a number
 * the program never opened: EBADF where it uses the descriptor, nothing
 * where it does not (an absolute path beside a directory, an anonymous
 * mapping's), in the order it checks its arguments natively */
static bool own_fds_closed(long nr, long a[6])
{
	int floor = __atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED);
	unsigned fds = zp_syscall_fds[nr];

	for (unsigned m = fds & 0x3f; m != 0; m &= m - 1) {
		int i = __builtin_ctz(m);
		if ((int)a[i] >= floor && zp_is_own_fd((int)a[i])) {
			/* where -1 means something else: the call fails */
			if (fds & 0x80)
				return false;
			a[i] = -1;
		}
	}
	return true;
}

/* raw_checked -- zp_kernel_call() for a number with pointer or descriptor
 * arguments, out of line: zp_kernel_call() runs on the small stacks of
 * signal handlers too */
static __attribute__((noinline)) long raw_checked(long nr, long a1, long a2, long a3, long a4,
						  long a5, long a6)
{
	long a[6] = { a1, a2, a3, a4, a5, a6 };

	if ((zp_syscall_args[nr] & ZP_ARG_FDS) && !own_fds_closed(nr, a))
		return -EBADF;
	if (zp_page0_hit(nr, a))
		return zp_page0_call(nr, a);
	return raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* zp_kernel_call -- the kernel's turn for the chain and the signal paths */
long zp_kernel_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	if ((unsigned long)nr < zp_syscall_count && zp_syscall_args[nr] != 0)
		return raw_checked(nr, a1, a2, a3, a4, a5, a6);
	return raw_plain(nr, a1, a2, a3, a4, a5, a6);
}
