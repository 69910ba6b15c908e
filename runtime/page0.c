/* page0.c -- the kernel's turn for the chain and the signal paths, and
 * what it takes when a call's pointers point into the trampoline's pages:
 * the call is made with those pages inaccessible (see page0.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <time.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>

#include "page0.h"
#include "runtime.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8              /* asm-generic/mman-common.h, not in glibc's */
#endif
#ifndef SYS_mseal
#define SYS_mseal 462            /* Linux 6.10, newer than some headers */
#endif

/* raw_plain -- the kernel's turn, as the program would make the call */
static long raw_plain(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct zp_thread *t = &zp_tls;
	uint64_t g = t->guard;
	long r;

	/* signal handlers of the program that run while this call blocks
	 * are program code: their calls are hooked (and, with the safety
	 * net, caught), unless this is an unfollowed vfork child */
	uint8_t sel = zp_kernel_turn(t);
	r = zp_turn_syscall(nr, a1, a2, a3, a4, a5, a6);
	zp_kernel_turn_end(t, g, sel);
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
		zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, ZP_PAGE0_PROT, 0, 0, 0);
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
	zp_raw_syscall(SYS_mprotect, 0, ZP_PAGE_SIZE, ZP_PAGE0_PROT, 0, 0, 0);
}

/* range_call -- a call on an address range starting below ZP_LOW_END:
 * natively nothing is mapped in the trampoline's two pages (0-0xfff and
 * the literal page), so the kernel's answer is that of a hole there. The
 * pages between them are the program's to use. */
static long range_call(long nr, const long a[6])
{
	uint64_t start = (uint64_t)a[0], len = (uint64_t)a[1];
	const uint64_t gap_lo = ZP_PAGE_SIZE, gap_hi = ZP_LITERAL_PAGE;

	/* flags the kernel refuses (EINVAL) before it looks at the range:
	 * mprotect's protection (mm/mprotect.c: both GROWS bits, then the
	 * architecture's check, x86's the generic one) */
	const long grows = PROT_GROWSDOWN | PROT_GROWSUP;
	if ((nr == SYS_mlock2 && (a[2] & ~(long)MLOCK_ONFAULT) != 0) ||
	    (nr == SYS_msync && ((a[2] & ~(long)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0 ||
				 ((a[2] & MS_ASYNC) && (a[2] & MS_SYNC)))) ||
	    ((nr == SYS_mprotect || nr == SYS_pkey_mprotect) &&
	     ((a[2] & ~(long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM) & ~grows) != 0 ||
	      (a[2] & grows) == grows)))
		return raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	/* madvise's advice is checked first too (mm/madvise.c), against a
	 * list that depends on the kernel's configuration: asked of the
	 * kernel with no range, where a valid one does nothing */
	if (nr == SYS_madvise) {
		long r = raw_plain(nr, a[0], 0, a[2], 0, 0, 0);
		if (r != 0)
			return r;
	}
	/* mlock, mlock2 and munlock round the start down to its page and the
	 * length up, unlike mprotect: mlock(0x10, 16) is that of page 0 */
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	if (nr == SYS_mlock || nr == SYS_mlock2 || nr == SYS_munlock) {
		uint64_t off = start & (ZP_PAGE_SIZE - 1);
		start -= off;
		len = (len + off + ZP_PAGE_SIZE - 1) & ~(uint64_t)(ZP_PAGE_SIZE - 1);
		b[0] = (long)start;
		b[1] = (long)len;
	}
	uint64_t end = start + len;
	/* what the kernel refuses before it looks at the range */
	if ((start & (ZP_PAGE_SIZE - 1)) != 0 || (nr != SYS_mremap && len == 0) || end < start)
		return raw_plain(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
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
	case SYS_mseal:
		/* all or nothing: sealing the trampoline would keep the
		 * runtime from changing its protection */
		if (a[2] != 0)
			return raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		return start < gap_lo || end > gap_hi ? -ENOMEM
						      : raw_plain(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	default:
		/* mprotect, madvise, mlock, msync...: up to the first hole,
		 * then ENOMEM */
		if (start < gap_lo || start >= gap_hi)
			return -ENOMEM;
		if (end <= gap_hi)
			return raw_plain(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
		long r = raw_plain(nr, b[0], (long)(gap_hi - start), b[2], b[3], b[4], b[5]);
		return r < 0 ? r : -ENOMEM;
	}
}

static bool is_range_call(long nr)
{
	switch (nr) {
	case SYS_munmap: case SYS_mprotect: case SYS_pkey_mprotect: case SYS_madvise:
	case SYS_mremap: case SYS_mlock: case SYS_mlock2: case SYS_munlock: case SYS_msync:
	case SYS_mincore: case SYS_mseal:
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
	case SYS_sysfs:
		/* option 1 reads a file system's name, 2 takes its index */
		return a[0] != 1;
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

/* own_at -- fd (a descriptor the program passed: an int) is one of the
 * runtime's; floor is zp_own_fd_floor, one compare for the others */
static inline bool own_at(long fd, int floor)
{
	return (int)fd >= floor && zp_is_own_fd((int)fd);
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
		if (own_at(a[i], floor)) {
			/* where -1 means something else: the call fails */
			if (fds & 0x80)
				return false;
			a[i] = -1;
		}
	}
	return true;
}

/* scratch -- memory of the runtime's own for a copy of the program's
 * (a pollfd array, control data): on the stack up to size, else mapped.
 * NULL when there is no memory, and the call is then made as it is. */
static void *scratch_get(void *stack, size_t size, size_t len)
{
	if (len <= size)
		return stack;
	long p = zp_raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p < 0 && p > -4096 ? NULL : (void *)p;
}

static void scratch_put(void *p, void *stack, size_t len)
{
	if (p != NULL && p != stack)
		zp_raw_syscall(SYS_munmap, (long)p, (long)len, 0, 0, 0, 0);
}

/* write_user -- len bytes into the program's memory, or false where the
 * kernel would have failed with EFAULT (nothing written there) */
static bool write_user(uint64_t dst, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len }, remote = { (void *)dst, len };
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);

	return zp_raw_syscall(SYS_process_vm_writev, pid, (long)&local, 1, (long)&remote, 1, 0) == (long)len;
}

/* poll_own -- poll and ppoll with the runtime's descriptors among the
 * entries: natively such an entry is a closed descriptor's, whose revents
 * is POLLNVAL and which counts in the result, so the call does not wait.
 * The kernel polls a copy where those entries are -1 (ignored), without
 * waiting; the program's array gets only its revents written, as the
 * kernel writes them (another thread may read the rest). 1: answered in
 * *ret; 0: make the call as it is. */
static int poll_own(long nr, const long a[6], int floor, long *ret)
{
	enum { STACK = 32 };            /* entries copied on the stack */
	uint64_t chunk[STACK], local[STACK];
	uint32_t ownmask = 0;
	uint64_t arr = (uint64_t)a[0];
	size_t n = (unsigned)a[1], nown = 0;

	/* more than RLIMIT_NOFILE can be: EINVAL; an unreadable array: EFAULT */
	if (n == 0 || n > (1u << 20) || zp_page0_low(arr))
		return 0;
	for (size_t i = 0; i < n; i += STACK) {
		size_t k = n - i < STACK ? n - i : STACK;
		if (zp_probe_copy(chunk, (const void *)(arr + 8 * i), k) < 0)
			return 0;
		for (size_t j = 0; j < k; j++)
			nown += own_at((int)(uint32_t)chunk[j], floor);
	}
	if (nown == 0)
		return 0;
	/* the timeout: one the kernel refuses it refuses before it polls */
	struct timespec zero = { 0, 0 }, ts;
	long tmo = 0;
	if (nr == SYS_ppoll) {
		if (a[2] != 0 && (zp_page0_low((uint64_t)a[2]) ||
				  zp_probe_copy((uint64_t *)&ts, (const void *)a[2], 2) < 0 || ts.tv_sec < 0 ||
				  ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000))
			return 0;
		tmo = (long)&zero;
	}
	/* beyond the stack's: a bit per entry, whose is ours */
	size_t len = n <= STACK ? 8 * n : 8 * n + (n + 7) / 8;
	uint64_t *copy = scratch_get(local, sizeof(local), len);
	if (copy == NULL)
		return 0;
	uint8_t *own = n <= STACK ? NULL : (uint8_t *)(copy + n);
	if (zp_probe_copy(copy, (const void *)arr, n) < 0) {
		scratch_put(copy, local, len);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		bool o = own_at((int)(uint32_t)copy[i], floor);
		if (own != NULL && (i & 7) == 0)
			own[i / 8] = 0;
		if (!o)
			continue;
		copy[i] = (copy[i] & ~0xffffffffull) | 0xffffffffull;  /* fd -1 */
		if (own != NULL)
			own[i / 8] |= (uint8_t)(1u << (i & 7));
		else
			ownmask |= 1u << i;
	}
	long r = raw_plain(nr, (long)copy, a[1], tmo, a[3], a[4], a[5]);
	if (r >= 0) {
		/* revents: the kernel's, POLLNVAL for ours; one write per
		 * 16 entries (struct pollfd { int fd; short events, revents; }) */
		struct iovec l[16], rem[16];
		size_t nv = 0;
		for (size_t i = 0; i < n && r >= 0; i++) {
			bool o = own != NULL ? (own[i / 8] >> (i & 7)) & 1 : (ownmask >> i) & 1;
			uint16_t *rev = (uint16_t *)&copy[i] + 3;
			if (o) {
				*rev = POLLNVAL;
				r++;
			}
			l[nv] = (struct iovec){ rev, 2 };
			rem[nv] = (struct iovec){ (void *)(arr + 8 * i + 6), 2 };
			if (++nv == 16 || i + 1 == n) {
				long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
				if (zp_raw_syscall(SYS_process_vm_writev, pid, (long)l, (long)nv, (long)rem, (long)nv, 0) !=
				    (long)(2 * nv))
					r = -EFAULT;
				nv = 0;
			}
		}
	}
	scratch_put(copy, local, len);
	*ret = r;
	return 1;
}

/* select_own -- select and pselect6 with one of the runtime's descriptors
 * set in a set: natively EBADF, once the kernel has read the timeout, the
 * signal mask (pselect6) and the sets, any of which fails first. 1:
 * answered in *ret; 0: make the call as it is. */
static int select_own(long nr, const long a[6], long *ret)
{
	long n = (int)a[0];
	bool hit = false;

	if (n <= 0)
		return 0;
	/* the kernel reads no more than its table's size, at most nr_open's
	 * default limit */
	if (n > (1l << 20))
		n = 1l << 20;
	for (int s = 1; s <= 3; s++) {
		uint64_t set = (uint64_t)a[s], w;
		if (set == 0)
			continue;
		if (zp_page0_low(set))
			return 0;
		/* every word the kernel reads must be readable */
		for (long i = 0; i < (n + 63) / 64; i++) {
			if (zp_probe_copy(&w, (const void *)(set + 8 * i), 1) < 0)
				return 0;
			for (size_t k = 0; k < zp_nown && !hit; k++) {
				long fd = *zp_own_fds[k];
				hit = fd > 2 && fd < n && fd / 64 == i && ((w >> (fd % 64)) & 1);
			}
		}
	}
	if (!hit)
		return 0;
	uint64_t t[2];
	if (a[4] != 0) {
		if (zp_page0_low((uint64_t)a[4]) || zp_probe_copy(t, (const void *)a[4], 2) < 0)
			return 0;
		long sec = (long)t[0], sub = (long)t[1];
		/* select: a timeval whose microseconds may exceed a second */
		if (nr == SYS_select ? sub < 0 || sec + sub / 1000000 < 0
				     : sec < 0 || sub < 0 || sub >= 1000000000)
			return 0;
	}
	if (nr == SYS_pselect6 && a[5] != 0) {
		uint64_t ss[2], m;
		if (zp_page0_low((uint64_t)a[5]) || zp_probe_copy(ss, (const void *)a[5], 2) < 0)
			return 0;
		if (ss[0] != 0 && (ss[1] != 8 || zp_page0_low(ss[0]) || zp_probe_copy(&m, (const void *)ss[0], 1) < 0))
			return 0;
	}
	*ret = -EBADF;
	return 1;
}

/* rights_closed -- in a copy of a struct msghdr being sent (w: name,
 * namelen, iov, iovlen, control, controllen, flags), the runtime's
 * descriptors in SCM_RIGHTS messages become -1, which the kernel refuses
 * with EBADF where it takes the descriptors, in the order it reads the
 * messages. The control data copied into *buf (scratch). 0: none of
 * ours, or nothing to copy (the call as it is); 1: w[4] is the copy. */
static int rights_closed(uint64_t w[7], int floor, uint64_t *stack, size_t size, uint64_t **buf, size_t *len)
{
	uint64_t ctl = w[4];
	size_t clen = w[5];

	/* kernel: ENOBUFS above INT_MAX, and above the socket's option
	 * memory (sysctl net.core.optmem_max), before it reads any */
	if (ctl == 0 || clen < 16 || clen > (1u << 20) || zp_page0_low(ctl))
		return 0;
	size_t words = (clen + 7) / 8 + 1;
	uint64_t *c = scratch_get(stack, size, 8 * words);
	if (c == NULL)
		return 0;
	/* the copy starts at the same offset in its first word */
	if (zp_probe_copy(c, (const void *)(ctl & ~7ull), ((ctl & 7) + clen + 7) / 8) < 0) {
		scratch_put(c, stack, 8 * words);
		return 0;
	}
	char *base = (char *)c + (ctl & 7);
	size_t nown = 0;
	/* struct cmsghdr { size_t len; int level, type; } and its data, each
	 * at an 8-byte boundary; one that overruns the buffer: EINVAL */
	for (size_t off = 0; off + 16 <= clen;) {
		uint64_t mlen;
		int hdr[2];
		memcpy(&mlen, base + off, 8);
		memcpy(hdr, base + off + 8, 8);
		if (mlen < 16 || mlen > clen - off)
			break;
		if (hdr[0] == SOL_SOCKET && hdr[1] == SCM_RIGHTS) {
			for (size_t k = off + 16; k + 4 <= off + mlen; k += 4) {
				int fd;
				memcpy(&fd, base + k, 4);
				if (own_at(fd, floor)) {
					fd = -1;
					memcpy(base + k, &fd, 4);
					nown++;
				}
			}
		}
		off += (mlen + 7) & ~7ull;
	}
	if (nown == 0) {
		scratch_put(c, stack, 8 * words);
		return 0;
	}
	w[4] = (uint64_t)base;
	*buf = c;
	*len = 8 * words;
	return 1;
}

/* sendmsg_own -- sendmsg and sendmmsg passing one of the runtime's
 * descriptors: natively EBADF for that message. The kernel sends a copy
 * of the message with -1 in its place; in sendmmsg, the entries before it
 * go as they are, one call each run, and the count of those sent is the
 * result as natively (the error then is not reported). 1: answered in
 * *ret; 0: make the call as it is. */
static int sendmsg_own(long nr, const long a[6], int floor, long *ret)
{
	enum { STACK = 32 };
	uint64_t stack[STACK], w[7], *buf;
	size_t len;
	uint64_t v = (uint64_t)a[1];

	if (zp_page0_low(v))
		return 0;
	if (nr == SYS_sendmsg) {
		if (zp_probe_copy(w, (const void *)v, 7) < 0 || !rights_closed(w, floor, stack, sizeof(stack), &buf, &len))
			return 0;
		*ret = raw_plain(nr, a[0], (long)w, a[2], a[3], a[4], a[5]);
		scratch_put(buf, stack, len);
		return 1;
	}
	/* sendmmsg: struct mmsghdr { struct msghdr; unsigned len; } (64) */
	size_t n = (unsigned)a[2] > 1024 ? 1024 : (unsigned)a[2], done = 0, from = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (zp_probe_copy(w, (const void *)(v + 64 * i), 7) < 0)
			break;
		if (!rights_closed(w, floor, stack, sizeof(stack), &buf, &len))
			continue;
		any = true;
		long r = 0;
		if (i > from) {
			/* the entries before it, as they are */
			r = raw_plain(SYS_sendmmsg, a[0], (long)(v + 64 * from), (long)(i - from), a[3], 0, 0);
			if (r > 0)
				done += (size_t)r;
		}
		if (r >= 0 && (size_t)r == i - from) {
			r = raw_plain(SYS_sendmsg, a[0], (long)w, a[3], 0, 0, 0);
			if (r >= 0) {
				unsigned sent = (unsigned)r;
				if (!write_user(v + 64 * i + 56, &sent, sizeof(sent)))
					r = -EFAULT;
				else
					done++;
			}
		}
		scratch_put(buf, stack, len);
		if (r < 0 || done != i + 1) {
			*ret = done != 0 ? (long)done : r;
			return 1;
		}
		from = i + 1;
	}
	if (!any)
		return 0;
	if (from < (unsigned)a[2]) {
		long r = raw_plain(SYS_sendmmsg, a[0], (long)(v + 64 * from), (long)((unsigned)a[2] - from), a[3], 0, 0);
		*ret = r < 0 ? (done != 0 ? (long)done : r) : (long)done + r;
	} else {
		*ret = (long)done;
	}
	return 1;
}

/* own_inside -- the calls with descriptors inside structures (P, d, c, C
 * in src/syscall-args.txt); out of line, with its copies on the stack */
static __attribute__((noinline)) int own_inside(long nr, const long a[6], int floor, long *ret)
{
	switch (nr) {
	case SYS_poll:
	case SYS_ppoll:
		return poll_own(nr, a, floor, ret);
	case SYS_select:
	case SYS_pselect6:
		return select_own(nr, a, ret);
	case SYS_sendmsg:
	case SYS_sendmmsg:
		return sendmsg_own(nr, a, floor, ret);
	default:
		return 0;
	}
}

/* proc_fd_dir -- dfd is open on a directory that lists this process's
 * descriptors: /proc/PID/fd or /proc/PID/task/TID/fd (or fdinfo), PID
 * this process or one of its threads, in the /proc this process sees */
static bool proc_fd_dir(long dfd)
{
	char link[32] = "/proc/self/fd/", target[96], num[12];
	struct stat st, proc;
	long n = 0;

	if (zp_raw_syscall(SYS_fstat, dfd, (long)&st, 0, 0, 0, 0) != 0 ||
	    zp_raw_syscall(SYS_stat, (long)"/proc/self", (long)&proc, 0, 0, 0, 0) != 0 || st.st_dev != proc.st_dev)
		return false;
	for (long v = dfd; n == 0 || v != 0; v /= 10)
		num[n++] = (char)('0' + v % 10);
	for (long i = 0; i < n; i++)
		link[14 + i] = num[n - 1 - i];
	long len = zp_raw_syscall(SYS_readlink, (long)link, (long)target, sizeof(target) - 1, 0, 0, 0);
	if (len <= 0)
		return false;
	target[len] = '\0';
	/* the components from the end: fd or fdinfo, an id, "task" and the
	 * process's id or the start */
	char *part[4];
	int k = 0;
	for (char *p = target + len; k < 4 && p > target;) {
		*p = '\0';
		while (p > target && p[-1] != '/')
			p--;
		part[k++] = p;
		if (p > target)
			p--;
	}
	if (k < 2 || (strcmp(part[0], "fd") != 0 && strcmp(part[0], "fdinfo") != 0))
		return false;
	/* the thread part[1] is one of ours: /proc/self/task lists them */
	char task[40] = "/proc/self/task/";
	if (strlen(part[1]) > 11 || part[1][0] < '1' || part[1][0] > '9')
		return false;
	strcpy(task + 16, part[1]);
	if (zp_raw_syscall(SYS_access, (long)task, F_OK, 0, 0, 0, 0) != 0)
		return false;
	if (k == 4 && strcmp(part[2], "task") == 0) {
		long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
		long p = 0;
		for (const char *c = part[3]; *c; c++)
			p = *c >= '0' && *c <= '9' && p < 1000000000 ? p * 10 + (*c - '0') : -1;
		return p == pid;
	}
	return true;
}

/* fd_dir_prefix -- the first len bytes of the program's path at path,
 * from dirfd, lead to a directory of this process's descriptors (an
 * empty prefix: dirfd itself) */
static __attribute__((noinline)) bool fd_dir_prefix(long dirfd, uint64_t path, size_t len)
{
	char stack[256];
	char *dir = scratch_get(stack, sizeof(stack), len + 2);
	bool r = false;

	if (dir == NULL)
		return false;
	if (len == 0)
		strcpy(dir, ".");
	else if (zp_read_user(dir, path, len) == len)
		dir[len] = '\0';
	else
		goto out;
	long dfd = zp_raw_syscall(SYS_openat, dirfd, (long)dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dfd >= 0) {
		r = proc_fd_dir(dfd);
		zp_raw_syscall(SYS_close, dfd, 0, 0, 0, 0, 0);
	}
out:
	scratch_put(dir, stack, len + 2);
	return r;
}

/* path_own -- the program's path at path, from dirfd, names one of the
 * runtime's descriptors: a component that is the decimal number of one
 * (the cheap test, read 64 bytes at a time, never across a page the
 * string does not reach), in a directory that lists this process's
 * descriptors (a lookup, for those only) */
static bool path_own(long dirfd, uint64_t path, int floor)
{
	uint64_t w[8];
	uint64_t base = path & ~63ull;
	size_t at = path & 63, off = 0, clen = 0;
	long value = 0;

	if (path == 0 || zp_page0_low(path))
		return false;
	for (;;) {
		if (zp_probe_copy(w, (const void *)base, 8) < 0)
			return false;
		const char *c = (const char *)w;
		for (; at < 64; at++, off++) {
			char ch = c[at];
			if (ch == '/' || ch == '\0') {
				/* as /proc names them: no leading zero */
				if (clen != 0 && value >= floor && zp_is_own_fd(value) &&
				    fd_dir_prefix(dirfd, path, off - clen))
					return true;
				if (ch == '\0')
					return false;
				clen = 0;
				value = 0;
			} else if (value >= 0 && ch >= '0' && ch <= '9' && !(clen == 1 && value == 0) && clen < 10) {
				value = value * 10 + (ch - '0');
				clen++;
			} else {
				value = -1;
				clen++;
			}
		}
		/* PATH_MAX: ENAMETOOLONG */
		if (off >= 4096)
			return false;
		base += 64;
		at = 0;
	}
}

bool zp_path_names_own_fd(long nr, const long a[6])
{
	int floor = __atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED);
	unsigned paths = zp_syscall_paths[nr], fds = zp_syscall_fds[nr];

	for (unsigned m = paths; m != 0; m &= m - 1) {
		int i = __builtin_ctz(m);
		long dirfd = i > 0 && ((fds >> (i - 1)) & 1) ? (long)(int)a[i - 1] : AT_FDCWD;
		if (path_own(dirfd, (uint64_t)a[i], floor))
			return true;
	}
	return false;
}

/* raw_checked -- zp_kernel_call() for a number with pointer or descriptor
 * arguments, out of line: zp_kernel_call() runs on the small stacks of
 * signal handlers too. While the runtime holds descriptors, its own are
 * closed numbers in descriptor arguments, inside structures and behind
 * paths. */
static __attribute__((noinline)) long raw_checked(long nr, long a1, long a2, long a3, long a4,
						  long a5, long a6)
{
	long a[6] = { a1, a2, a3, a4, a5, a6 };

	if (__builtin_expect(__atomic_load_n(&zp_own_fd_floor, __ATOMIC_RELAXED) != INT_MAX, 0)) {
		long r;
		if ((zp_syscall_args[nr] & ZP_ARG_FDS) && !own_fds_closed(nr, a))
			return -EBADF;
		if ((zp_syscall_fds[nr] & 0x40) && own_inside(nr, a, zp_own_fd_floor, &r))
			return r;
		if (zp_syscall_paths[nr] != 0 && zp_path_names_own_fd(nr, a))
			return -ENOENT;
	}
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
