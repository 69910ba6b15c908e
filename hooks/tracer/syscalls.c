/* syscalls.c -- what each system call's arguments and result are, and the
 * printers for the argument types that need more than one value.
 *
 * The table says, per number, the type of each argument and of the
 * result. A type is printed at enter when the kernel only reads it, at
 * exit when the kernel fills it in (OUT types), so a call that blocks can
 * show its entering half at once, as strace does. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/stat.h>
#include <asm/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "xlat.h"

enum arg {
	A_END, A_INT, A_LONG, A_ULONG, A_HEX, A_PTR, A_OCT, A_FD, A_DIRFD, A_PATH, A_STR,
	A_IBUF, A_IOV_IN, A_OFLAGS, A_OMODE, A_ATFLAGS, A_FACCESS_FLAGS, A_ACCESS, A_PROT,
	A_MAPF, A_MAPOFF, A_MADV, A_WHENCE, A_SIG, A_SIGHOW, A_SIGSET_IN, A_SIGACT_IN,
	A_TS_IN, A_CLOCK, A_TIMER_FLAGS, A_FUTEX, A_CLONE, A_CLONE3, A_WOPTS, A_ARGV, A_ENVP,
	A_FDFLAGS, A_FCNTL, A_IOCTL, A_DOMAIN, A_SOCKTYPE, A_PROTO, A_SOCKADDR_IN, A_SOCKFLAGS,
	A_SOL, A_SOCKOPT, A_SOCKOPTVAL_IN, A_MSGFLAGS, A_EPOLL_FLAGS, A_EPOLL_OP,
	A_EPOLL_EVENT_IN, A_POLLFDS, A_RLIMIT_RES, A_RLIMIT_IN, A_ARCH_PRCTL, A_GRND,
	A_RENAME_FLAGS, A_STATX_MASK, A_STATX_FLAGS, A_CLOSE_RANGE_FLAGS, A_PRCTL, A_STACK_IN,
	A_FADV, A_MREMAP_FLAGS, A_MEMFD_FLAGS, A_TIMES, A_SHUT, A_ITIMER, A_FLOCK, A_PID,
	A_UNLINK_FLAGS, A_SIGSETSIZE, A_FDSET, A_TV_IN, A_PSELECT_SIG,
	/* filled in by the kernel: printed at exit */
	A_OUT_FIRST,
	A_OBUF = A_OUT_FIRST, A_OBUF_HEX, A_OSTR, A_IOV_OUT, A_SIGSET_OUT, A_SIGACT_OUT,
	A_STAT_OUT, A_STATX_OUT, A_TS_OUT, A_TS_REM, A_WSTATUS, A_RUSAGE, A_FDPAIR,
	A_SOCKADDR_OUT, A_SOCKLEN, A_SOCKOPTVAL_OUT, A_EPOLL_EVENTS, A_RLIMIT_OUT, A_UTSNAME,
	A_DIRENTS, A_STACK_OUT, A_ARCH_PRCTL_VAL, A_INT_OUT, A_SOCKPAIR, A_SIGINFO_OUT,
};

enum ret { R_DEC, R_HEX, R_OCT, R_FD, R_FCNTL, R_NONE, R_POLL, R_UDEC, R_SIG, R_SELECT };

struct desc {
	unsigned char arg[6];
	unsigned char ret;
	unsigned char props;
};

#define B TR_BLOCKS
#define D(nr, r, p, ...) [nr] = { { __VA_ARGS__ }, r, (p) | TR_KNOWN }
static const struct desc descs[] = {
	D(SYS_read, R_DEC, B, A_FD, A_OBUF, A_ULONG),
	D(SYS_write, R_DEC, B, A_FD, A_IBUF, A_ULONG),
	D(SYS_pread64, R_DEC, B, A_FD, A_OBUF, A_ULONG, A_LONG),
	D(SYS_pwrite64, R_DEC, B, A_FD, A_IBUF, A_ULONG, A_LONG),
	D(SYS_readv, R_DEC, B, A_FD, A_IOV_OUT, A_INT),
	D(SYS_writev, R_DEC, B, A_FD, A_IOV_IN, A_INT),
	D(SYS_open, R_FD, B, A_PATH, A_OFLAGS, A_OMODE),
	D(SYS_openat, R_FD, B, A_DIRFD, A_PATH, A_OFLAGS, A_OMODE),
	D(SYS_creat, R_FD, B, A_PATH, A_OCT),
	D(SYS_close, R_DEC, 0, A_FD),
	D(SYS_stat, R_DEC, 0, A_PATH, A_STAT_OUT),
	D(SYS_lstat, R_DEC, 0, A_PATH, A_STAT_OUT),
	D(SYS_fstat, R_DEC, 0, A_FD, A_STAT_OUT),
	D(SYS_newfstatat, R_DEC, 0, A_DIRFD, A_PATH, A_STAT_OUT, A_ATFLAGS),
	D(SYS_statx, R_DEC, 0, A_DIRFD, A_PATH, A_STATX_FLAGS, A_STATX_MASK, A_STATX_OUT),
	D(SYS_lseek, R_DEC, 0, A_FD, A_LONG, A_WHENCE),
	D(SYS_mmap, R_HEX, 0, A_PTR, A_ULONG, A_PROT, A_MAPF, A_FD, A_MAPOFF),
	D(SYS_mprotect, R_DEC, 0, A_PTR, A_ULONG, A_PROT),
	D(SYS_munmap, R_DEC, 0, A_PTR, A_ULONG),
	D(SYS_mremap, R_HEX, 0, A_PTR, A_ULONG, A_ULONG, A_MREMAP_FLAGS, A_PTR),
	D(SYS_madvise, R_DEC, 0, A_PTR, A_ULONG, A_MADV),
	D(SYS_brk, R_HEX, 0, A_PTR),
	D(SYS_rt_sigaction, R_DEC, 0, A_SIG, A_SIGACT_IN, A_SIGACT_OUT, A_ULONG),
	D(SYS_rt_sigprocmask, R_DEC, 0, A_SIGHOW, A_SIGSET_IN, A_SIGSET_OUT, A_ULONG),
	D(SYS_rt_sigsuspend, R_DEC, B, A_SIGSET_IN, A_ULONG),
	D(SYS_rt_sigpending, R_DEC, 0, A_SIGSET_OUT, A_ULONG),
	D(SYS_rt_sigtimedwait, R_SIG, B, A_SIGSET_IN, A_SIGINFO_OUT, A_TS_IN, A_ULONG),
	D(SYS_rt_sigreturn, R_NONE, B, A_END),
	D(SYS_sigaltstack, R_DEC, 0, A_STACK_IN, A_STACK_OUT),
	D(SYS_ioctl, R_DEC, B, A_FD, A_IOCTL, A_END),
	D(SYS_access, R_DEC, 0, A_PATH, A_ACCESS),
	D(SYS_faccessat, R_DEC, 0, A_DIRFD, A_PATH, A_ACCESS),
	D(SYS_faccessat2, R_DEC, 0, A_DIRFD, A_PATH, A_ACCESS, A_FACCESS_FLAGS),
	D(SYS_pipe, R_DEC, 0, A_FDPAIR),
	D(SYS_pipe2, R_DEC, 0, A_FDPAIR, A_FDFLAGS),
	D(SYS_dup, R_FD, 0, A_FD),
	D(SYS_dup2, R_FD, 0, A_FD, A_FD),
	D(SYS_dup3, R_FD, 0, A_FD, A_FD, A_FDFLAGS),
	D(SYS_getpid, R_DEC, 0, A_END),
	D(SYS_gettid, R_DEC, 0, A_END),
	D(SYS_getppid, R_DEC, 0, A_END),
	D(SYS_getpgrp, R_DEC, 0, A_END),
	D(SYS_getpgid, R_DEC, 0, A_PID),
	D(SYS_getsid, R_DEC, 0, A_PID),
	D(SYS_setsid, R_DEC, 0, A_END),
	D(SYS_setpgid, R_DEC, 0, A_PID, A_PID),
	D(SYS_getuid, R_DEC, 0, A_END),
	D(SYS_geteuid, R_DEC, 0, A_END),
	D(SYS_getgid, R_DEC, 0, A_END),
	D(SYS_getegid, R_DEC, 0, A_END),
	D(SYS_setuid, R_DEC, 0, A_INT),
	D(SYS_setgid, R_DEC, 0, A_INT),
	D(SYS_setreuid, R_DEC, 0, A_INT, A_INT),
	D(SYS_setregid, R_DEC, 0, A_INT, A_INT),
	D(SYS_setresuid, R_DEC, 0, A_INT, A_INT, A_INT),
	D(SYS_setresgid, R_DEC, 0, A_INT, A_INT, A_INT),
	D(SYS_clone, R_DEC, B, A_CLONE),
	D(SYS_clone3, R_DEC, B, A_CLONE3, A_ULONG),
	D(SYS_fork, R_DEC, B, A_END),
	D(SYS_vfork, R_DEC, B, A_END),
	D(SYS_execve, R_DEC, TR_EXEC | B, A_PATH, A_ARGV, A_ENVP),
	D(SYS_execveat, R_DEC, TR_EXEC | B, A_DIRFD, A_PATH, A_ARGV, A_ENVP, A_ATFLAGS),
	D(SYS_exit, R_NONE, TR_NORETURN | B, A_INT),
	D(SYS_exit_group, R_NONE, TR_NORETURN | B, A_INT),
	D(SYS_wait4, R_DEC, B, A_PID, A_WSTATUS, A_WOPTS, A_RUSAGE),
	D(SYS_kill, R_DEC, B, A_PID, A_SIG),
	D(SYS_tgkill, R_DEC, B, A_PID, A_PID, A_SIG),
	D(SYS_tkill, R_DEC, B, A_PID, A_SIG),
	D(SYS_fcntl, R_FCNTL, B, A_FD, A_FCNTL, A_END),
	D(SYS_flock, R_DEC, B, A_FD, A_FLOCK),
	D(SYS_chdir, R_DEC, 0, A_PATH),
	D(SYS_fchdir, R_DEC, 0, A_FD),
	D(SYS_getcwd, R_DEC, 0, A_OSTR, A_ULONG),
	D(SYS_mkdir, R_DEC, 0, A_PATH, A_OCT),
	D(SYS_mkdirat, R_DEC, 0, A_DIRFD, A_PATH, A_OCT),
	D(SYS_rmdir, R_DEC, 0, A_PATH),
	D(SYS_unlink, R_DEC, 0, A_PATH),
	D(SYS_unlinkat, R_DEC, 0, A_DIRFD, A_PATH, A_UNLINK_FLAGS),
	D(SYS_rename, R_DEC, 0, A_PATH, A_PATH),
	D(SYS_renameat, R_DEC, 0, A_DIRFD, A_PATH, A_DIRFD, A_PATH),
	D(SYS_renameat2, R_DEC, 0, A_DIRFD, A_PATH, A_DIRFD, A_PATH, A_RENAME_FLAGS),
	D(SYS_link, R_DEC, 0, A_PATH, A_PATH),
	D(SYS_linkat, R_DEC, 0, A_DIRFD, A_PATH, A_DIRFD, A_PATH, A_ATFLAGS),
	D(SYS_symlink, R_DEC, 0, A_PATH, A_PATH),
	D(SYS_symlinkat, R_DEC, 0, A_PATH, A_DIRFD, A_PATH),
	D(SYS_readlink, R_DEC, 0, A_PATH, A_OBUF, A_ULONG),
	D(SYS_readlinkat, R_DEC, 0, A_DIRFD, A_PATH, A_OBUF, A_ULONG),
	D(SYS_chmod, R_DEC, 0, A_PATH, A_OCT),
	D(SYS_fchmod, R_DEC, 0, A_FD, A_OCT),
	D(SYS_fchmodat, R_DEC, 0, A_DIRFD, A_PATH, A_OCT),
	D(SYS_chown, R_DEC, 0, A_PATH, A_INT, A_INT),
	D(SYS_fchown, R_DEC, 0, A_FD, A_INT, A_INT),
	D(SYS_lchown, R_DEC, 0, A_PATH, A_INT, A_INT),
	D(SYS_fchownat, R_DEC, 0, A_DIRFD, A_PATH, A_INT, A_INT, A_ATFLAGS),
	D(SYS_umask, R_OCT, 0, A_OCT),
	D(SYS_truncate, R_DEC, 0, A_PATH, A_LONG),
	D(SYS_ftruncate, R_DEC, 0, A_FD, A_LONG),
	D(SYS_fsync, R_DEC, B, A_FD),
	D(SYS_fdatasync, R_DEC, B, A_FD),
	D(SYS_sync, R_DEC, B, A_END),
	D(SYS_getdents64, R_DEC, 0, A_FD, A_DIRENTS, A_ULONG),
	D(SYS_socket, R_FD, 0, A_DOMAIN, A_SOCKTYPE, A_PROTO),
	D(SYS_socketpair, R_DEC, 0, A_DOMAIN, A_SOCKTYPE, A_PROTO, A_SOCKPAIR),
	D(SYS_connect, R_DEC, B, A_FD, A_SOCKADDR_IN, A_INT),
	D(SYS_bind, R_DEC, 0, A_FD, A_SOCKADDR_IN, A_INT),
	D(SYS_listen, R_DEC, 0, A_FD, A_INT),
	D(SYS_accept, R_FD, B, A_FD, A_SOCKADDR_OUT, A_SOCKLEN),
	D(SYS_accept4, R_FD, B, A_FD, A_SOCKADDR_OUT, A_SOCKLEN, A_SOCKFLAGS),
	D(SYS_getsockname, R_DEC, 0, A_FD, A_SOCKADDR_OUT, A_SOCKLEN),
	D(SYS_getpeername, R_DEC, 0, A_FD, A_SOCKADDR_OUT, A_SOCKLEN),
	D(SYS_setsockopt, R_DEC, 0, A_FD, A_SOL, A_SOCKOPT, A_SOCKOPTVAL_IN, A_INT),
	D(SYS_getsockopt, R_DEC, 0, A_FD, A_SOL, A_SOCKOPT, A_SOCKOPTVAL_OUT, A_SOCKLEN),
	D(SYS_shutdown, R_DEC, 0, A_FD, A_SHUT),
	D(SYS_sendto, R_DEC, B, A_FD, A_IBUF, A_ULONG, A_MSGFLAGS, A_SOCKADDR_IN, A_INT),
	D(SYS_recvfrom, R_DEC, B, A_FD, A_OBUF, A_ULONG, A_MSGFLAGS, A_SOCKADDR_OUT, A_SOCKLEN),
	D(SYS_sendmsg, R_DEC, B, A_FD, A_PTR, A_MSGFLAGS),
	D(SYS_recvmsg, R_DEC, B, A_FD, A_PTR, A_MSGFLAGS),
	D(SYS_set_tid_address, R_DEC, 0, A_PTR),
	D(SYS_set_robust_list, R_DEC, 0, A_PTR, A_ULONG),
	D(SYS_arch_prctl, R_DEC, 0, A_ARCH_PRCTL, A_ARCH_PRCTL_VAL),
	D(SYS_prlimit64, R_DEC, 0, A_PID, A_RLIMIT_RES, A_RLIMIT_IN, A_RLIMIT_OUT),
	D(SYS_getrlimit, R_DEC, 0, A_RLIMIT_RES, A_RLIMIT_OUT),
	D(SYS_setrlimit, R_DEC, 0, A_RLIMIT_RES, A_RLIMIT_IN),
	D(SYS_getrandom, R_DEC, B, A_OBUF_HEX, A_ULONG, A_GRND),
	D(SYS_futex, R_DEC, B, A_FUTEX),
	D(SYS_nanosleep, R_DEC, B, A_TS_IN, A_TS_REM),
	D(SYS_clock_nanosleep, R_DEC, B, A_CLOCK, A_TIMER_FLAGS, A_TS_IN, A_TS_REM),
	D(SYS_clock_gettime, R_DEC, 0, A_CLOCK, A_TS_OUT),
	D(SYS_clock_getres, R_DEC, 0, A_CLOCK, A_TS_OUT),
	D(SYS_poll, R_POLL, B, A_POLLFDS, A_ULONG, A_INT),
	D(SYS_ppoll, R_POLL, B, A_POLLFDS, A_ULONG, A_TS_IN, A_SIGSET_IN, A_ULONG),
	D(SYS_epoll_create, R_FD, 0, A_INT),
	D(SYS_epoll_create1, R_FD, 0, A_EPOLL_FLAGS),
	D(SYS_epoll_ctl, R_DEC, 0, A_FD, A_EPOLL_OP, A_FD, A_EPOLL_EVENT_IN),
	D(SYS_epoll_wait, R_DEC, B, A_FD, A_EPOLL_EVENTS, A_INT, A_INT),
	D(SYS_epoll_pwait, R_DEC, B, A_FD, A_EPOLL_EVENTS, A_INT, A_INT, A_SIGSET_IN, A_ULONG),
	D(SYS_uname, R_DEC, 0, A_UTSNAME),
	D(SYS_sched_yield, R_DEC, 0, A_END),
	D(SYS_pause, R_DEC, B, A_END),
	D(SYS_alarm, R_DEC, 0, A_ULONG),
	D(SYS_rseq, R_DEC, 0, A_PTR, A_HEX, A_INT, A_HEX),
	D(SYS_close_range, R_DEC, 0, A_FD, A_FD, A_CLOSE_RANGE_FLAGS),
	D(SYS_pidfd_open, R_FD, 0, A_PID, A_INT),
	D(SYS_memfd_create, R_FD, 0, A_STR, A_MEMFD_FLAGS),
	D(SYS_prctl, R_DEC, 0, A_PRCTL, A_HEX, A_HEX, A_HEX, A_HEX),
	D(SYS_fadvise64, R_DEC, 0, A_FD, A_LONG, A_LONG, A_FADV),
	D(SYS_sendfile, R_DEC, B, A_FD, A_FD, A_PTR, A_ULONG),
	D(SYS_copy_file_range, R_DEC, B, A_FD, A_PTR, A_FD, A_PTR, A_ULONG, A_INT),
	D(SYS_utimensat, R_DEC, 0, A_DIRFD, A_PATH, A_TIMES, A_ATFLAGS),
	D(SYS_setitimer, R_DEC, 0, A_ITIMER, A_PTR, A_PTR),
	D(SYS_getpriority, R_DEC, 0, A_INT, A_INT),
	D(SYS_sched_getaffinity, R_DEC, 0, A_PID, A_ULONG, A_PTR),
	D(SYS_statfs, R_DEC, 0, A_PATH, A_PTR),
	D(SYS_fstatfs, R_DEC, 0, A_FD, A_PTR),
	D(SYS_sysinfo, R_DEC, 0, A_PTR),
	D(SYS_getgroups, R_DEC, 0, A_INT, A_PTR),
	D(SYS_getxattr, R_DEC, 0, A_PATH, A_STR, A_PTR, A_ULONG),
	D(SYS_lgetxattr, R_DEC, 0, A_PATH, A_STR, A_PTR, A_ULONG),
	D(SYS_fgetxattr, R_DEC, 0, A_FD, A_STR, A_PTR, A_ULONG),
	D(SYS_inotify_init1, R_FD, 0, A_FDFLAGS),
	D(SYS_eventfd2, R_FD, 0, A_ULONG, A_FDFLAGS),
	D(SYS_mount, R_DEC, 0, A_STR, A_PATH, A_STR, A_HEX, A_PTR),
	D(SYS_umount2, R_DEC, 0, A_PATH, A_HEX),
	D(SYS_chroot, R_DEC, 0, A_PATH),
	D(SYS_ptrace, R_DEC, 0, A_LONG, A_PID, A_PTR, A_PTR),
	D(SYS_init_module, R_DEC, 0, A_PTR, A_ULONG, A_STR),
	D(SYS_finit_module, R_DEC, 0, A_FD, A_STR, A_INT),
	D(SYS_select, R_SELECT, B, A_INT, A_FDSET, A_FDSET, A_FDSET, A_TV_IN),
	D(SYS_pselect6, R_SELECT, B, A_INT, A_FDSET, A_FDSET, A_FDSET, A_TS_IN, A_PSELECT_SIG),
	D(SYS_waitid, R_DEC, B, A_INT, A_PID, A_PTR, A_WOPTS, A_RUSAGE),
	D(SYS_membarrier, R_DEC, 0, A_INT, A_INT),
	D(SYS_getcpu, R_DEC, 0, A_PTR, A_PTR, A_PTR),
};
#undef D
#undef B

#define NDESCS (long)(sizeof(descs) / sizeof(descs[0]))

unsigned tr_props(long nr)
{
	return nr >= 0 && nr < NDESCS ? descs[nr].props : 0;
}

static bool is_err(long ret)
{
	return ret < 0 && ret >= -4095;
}

static void put_ptr(struct tr_buf *b, const struct tr_fmt *f, long v)
{
	if (f->json)
		tr_putu(b, (unsigned long)v);
	else if (v == 0)
		tr_puts(b, "NULL");
	else
		tr_putx(b, (unsigned long)v);
}

/* fetch -- a structure from the program, or its address printed instead */
static bool fetch(struct tr_buf *b, const struct tr_fmt *f, long addr, void *dst, size_t len)
{
	if (addr == 0) {
		tr_puts(b, f->json ? "null" : "NULL");
		return false;
	}
	if ((size_t)tr_peek(dst, (uintptr_t)addr, len) != len) {
		put_ptr(b, f, addr);
		return false;
	}
	return true;
}

static void put_fd(struct tr_buf *b, const struct tr_fmt *f, long fd)
{
	tr_putd(b, (int)fd);
	if (f->fdpaths && (int)fd >= 0 && !f->json) {
		char *path = tr_thread()->path;
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)fd);
		ssize_t n = readlink(link, path, sizeof(tr_thread()->path) - 1);
		if (n > 0) {
			path[n] = '\0';
			tr_putc(b, '<');
			tr_puts(b, path);
			tr_putc(b, '>');
		}
	}
}

static void put_ts(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct timespec ts;

	if (fetch(b, f, addr, &ts, sizeof(ts)))
		tr_put(b, f->json ? "{\"tv_sec\": %ld, \"tv_nsec\": %ld}" : "{tv_sec=%ld, tv_nsec=%ld}",
		       (long)ts.tv_sec, ts.tv_nsec);
}

static void put_sigset(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	uint64_t set;

	if (fetch(b, f, addr, &set, sizeof(set)))
		tr_print_sigset(b, f, &set, 1);
}

/* the kernel's struct sigaction on x86-64 */
struct ksigaction {
	unsigned long handler, flags, restorer;
	uint64_t mask;
};

static void put_sigaction(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct ksigaction sa;
	bool j = f->json;

	if (!fetch(b, f, addr, &sa, sizeof(sa)))
		return;
	tr_puts(b, j ? "{\"sa_handler\": " : "{sa_handler=");
	if (sa.handler == (unsigned long)SIG_DFL)
		tr_puts(b, j ? "\"SIG_DFL\"" : "SIG_DFL");
	else if (sa.handler == (unsigned long)SIG_IGN)
		tr_puts(b, j ? "\"SIG_IGN\"" : "SIG_IGN");
	else
		put_ptr(b, f, (long)sa.handler);
	tr_puts(b, j ? ", \"sa_mask\": " : ", sa_mask=");
	tr_print_sigset(b, f, &sa.mask, 1);
	tr_puts(b, j ? ", \"sa_flags\": " : ", sa_flags=");
	tr_print_flags(b, f, sa.flags, tr_sa_flags, "0");
	if (sa.flags & 0x04000000) {
		tr_puts(b, j ? ", \"sa_restorer\": " : ", sa_restorer=");
		put_ptr(b, f, (long)sa.restorer);
	}
	tr_putc(b, '}');
}

static void put_statx(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct statx sx;
	bool j = f->json;

	if (!fetch(b, f, addr, &sx, sizeof(sx)))
		return;
	tr_puts(b, j ? "{\"stx_mask\": " : "{stx_mask=");
	tr_print_flags(b, f, sx.stx_mask, tr_statx_masks, "0");
	tr_puts(b, j ? ", \"stx_attributes\": " : ", stx_attributes=");
	tr_print_flags(b, f, sx.stx_attributes, tr_statx_attrs, "0");
	tr_puts(b, j ? ", \"stx_mode\": " : ", stx_mode=");
	struct stat st = { .st_mode = sx.stx_mode };
	/* the mode as the stat printer prints it */
	{
		struct tr_buf tmp = { (char[128]){ 0 }, 0, 128 };
		tr_print_stat(&tmp, &(struct tr_fmt){ .xstyle = f->xstyle, .json = j }, &st);
		/* "{st_mode=MODE, st_size=0, ...}" */
		char *m = strchr(tmp.p, '=');
		char *e = m ? strchr(m, ',') : NULL;
		if (m && e && !j)
			tr_put(b, "%.*s", (int)(e - m - 1), m + 1);
		else
			tr_put(b, "%u", sx.stx_mode);
	}
	tr_put(b, j ? ", \"stx_size\": %llu" : ", stx_size=%llu", (unsigned long long)sx.stx_size);
	if (f->verbose || j)
		tr_put(b, j ? ", \"stx_ino\": %llu, \"stx_nlink\": %u, \"stx_uid\": %u, \"stx_gid\": %u" :
		       ", stx_ino=%llu, stx_nlink=%u, stx_uid=%u, stx_gid=%u",
		       (unsigned long long)sx.stx_ino, sx.stx_nlink, sx.stx_uid, sx.stx_gid);
	tr_puts(b, j ? "}" : ", ...}");
}

static void put_rlim(struct tr_buf *b, uint64_t v)
{
	if (v == UINT64_MAX)
		tr_puts(b, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		tr_put(b, "%llu*1024", (unsigned long long)(v / 1024));
	else
		tr_put(b, "%llu", (unsigned long long)v);
}

static void put_rlimit(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	uint64_t r[2];

	if (!fetch(b, f, addr, r, sizeof(r)))
		return;
	if (f->json) {
		tr_put(b, "{\"rlim_cur\": %llu, \"rlim_max\": %llu}", (unsigned long long)r[0],
		       (unsigned long long)r[1]);
		return;
	}
	tr_puts(b, "{rlim_cur=");
	put_rlim(b, r[0]);
	tr_puts(b, ", rlim_max=");
	put_rlim(b, r[1]);
	tr_putc(b, '}');
}

static void put_utsname(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct utsname u;
	bool j = f->json;

	if (!fetch(b, f, addr, &u, sizeof(u)))
		return;
	tr_puts(b, j ? "{\"sysname\": " : "{sysname=");
	tr_print_quoted(b, (unsigned char *)u.sysname, strnlen(u.sysname, sizeof(u.sysname)), false, j);
	tr_puts(b, j ? ", \"nodename\": " : ", nodename=");
	tr_print_quoted(b, (unsigned char *)u.nodename, strnlen(u.nodename, sizeof(u.nodename)), false, j);
	if (f->verbose || j) {
		tr_puts(b, j ? ", \"release\": " : ", release=");
		tr_print_quoted(b, (unsigned char *)u.release, strnlen(u.release, sizeof(u.release)), false, j);
		tr_puts(b, j ? ", \"version\": " : ", version=");
		tr_print_quoted(b, (unsigned char *)u.version, strnlen(u.version, sizeof(u.version)), false, j);
		tr_puts(b, j ? ", \"machine\": " : ", machine=");
		tr_print_quoted(b, (unsigned char *)u.machine, strnlen(u.machine, sizeof(u.machine)), false, j);
		tr_puts(b, j ? ", \"domainname\": " : ", domainname=");
		tr_print_quoted(b, (unsigned char *)u.domainname, strnlen(u.domainname, sizeof(u.domainname)), false, j);
		tr_putc(b, '}');
	} else {
		tr_puts(b, ", ...}");
	}
}

static void put_argv(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	uintptr_t p;
	int i;

	if (addr == 0) {
		tr_puts(b, f->json ? "null" : "NULL");
		return;
	}
	tr_putc(b, '[');
	for (i = 0;; i++) {
		if (tr_peek(&p, (uintptr_t)addr + 8u * (unsigned)i, sizeof(p)) != sizeof(p)) {
			tr_put(b, "%s%#lx", i ? ", " : "", (unsigned long)addr + 8u * (unsigned)i);
			break;
		}
		if (p == 0)
			break;
		if (i == f->strmax && !f->json) {
			tr_puts(b, ", ...");
			break;
		}
		if (i)
			tr_puts(b, ", ");
		tr_print_str(b, f, (long)p, f->strmax, false);
	}
	tr_putc(b, ']');
}

static void put_envp(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	uintptr_t p;
	int n = 0;

	if (f->verbose || f->json) {
		put_argv(b, f, addr);
		return;
	}
	while (addr != 0 && tr_peek(&p, (uintptr_t)addr + 8u * (unsigned)n, sizeof(p)) == sizeof(p) && p != 0)
		n++;
	if (addr == 0)
		tr_puts(b, "NULL");
	else
		tr_put(b, "%#lx /* %d var%s */", (unsigned long)addr, n, n == 1 ? "" : "s");
}

static void put_iov(struct tr_buf *b, const struct tr_fmt *f, long addr, long cnt, long total)
{
	struct iovec v;
	bool j = f->json;

	if (addr == 0) {
		tr_puts(b, "NULL");
		return;
	}
	tr_putc(b, '[');
	for (long i = 0; i < cnt; i++) {
		if (tr_peek(&v, (uintptr_t)addr + i * sizeof(v), sizeof(v)) != sizeof(v)) {
			tr_put(b, "%s%#lx", i ? ", " : "", (unsigned long)addr + (unsigned long)i * sizeof(v));
			break;
		}
		if (i == f->strmax && !j) {
			tr_puts(b, ", ...");
			break;
		}
		tr_puts(b, i ? (j ? ", {\"iov_base\": " : ", {iov_base=") : (j ? "{\"iov_base\": " : "{iov_base="));
		long show = (long)v.iov_len;
		if (total >= 0 && show > total)
			show = total;
		tr_print_data(b, f, (long)v.iov_base, show, false);
		if (total >= 0)
			total -= show;
		tr_put(b, j ? ", \"iov_len\": %zu}" : ", iov_len=%zu}", v.iov_len);
	}
	tr_putc(b, ']');
}

static void put_clone(struct tr_buf *b, const struct tr_fmt *f, const long *a)
{
	/* x86-64: clone(flags, stack, parent_tid, child_tid, tls) */
	unsigned long flags = (unsigned long)a[0];

	tr_puts(b, "child_stack=");
	put_ptr(b, f, a[1]);
	tr_puts(b, ", flags=");
	tr_print_flags(b, f, flags & ~0xffUL, tr_clone_flags, NULL);
	if (flags & 0xff) {
		if (flags & ~0xffUL)
			tr_putc(b, '|');
		else
			b->len--, b->p[b->len] = '\0';    /* drop the "0" */
		tr_print_signal(b, f, (long)(flags & 0xff));
	}
}

/* put_clone_tail -- what strace shows of clone once it has returned */
static void put_clone_tail(struct tr_buf *b, const struct tr_fmt *f, const long *a, long ret)
{
	unsigned long flags = (unsigned long)a[0];

	if (flags & (CLONE_PARENT_SETTID | CLONE_PIDFD)) {
		int v;
		tr_puts(b, ", parent_tid=");
		if (ret > 0 && tr_peek(&v, (uintptr_t)a[2], sizeof(v)) == sizeof(v))
			tr_put(b, "[%d]", v);
		else
			put_ptr(b, f, a[2]);
	}
	if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) {
		tr_puts(b, ", child_tidptr=");
		put_ptr(b, f, a[3]);
	}
	if (flags & CLONE_SETTLS) {
		tr_puts(b, ", tls=");
		put_ptr(b, f, a[4]);
	}
}

static void put_clone3(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct clone_args ca;
	size_t len;

	memset(&ca, 0, sizeof(ca));
	len = sizeof(ca) < 88 ? sizeof(ca) : 88;
	if (!fetch(b, f, addr, &ca, len))
		return;
	tr_puts(b, "{flags=");
	tr_print_flags(b, f, ca.flags, tr_clone_flags, "0");
	if (ca.flags & CLONE_PIDFD)
		tr_put(b, ", pidfd=%#llx", (unsigned long long)ca.pidfd);
	if (ca.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
		tr_put(b, ", child_tid=%#llx", (unsigned long long)ca.child_tid);
	if (ca.flags & CLONE_PARENT_SETTID)
		tr_put(b, ", parent_tid=%#llx", (unsigned long long)ca.parent_tid);
	tr_puts(b, ", exit_signal=");
	if (ca.exit_signal)
		tr_print_signal(b, f, (long)ca.exit_signal);
	else
		tr_putc(b, '0');
	tr_put(b, ", stack=%#llx, stack_size=%#llx", (unsigned long long)ca.stack,
	       (unsigned long long)ca.stack_size);
	if (ca.flags & CLONE_SETTLS)
		tr_put(b, ", tls=%#llx", (unsigned long long)ca.tls);
	tr_putc(b, '}');
}

static void put_futex(struct tr_buf *b, const struct tr_fmt *f, const long *a)
{
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;

	put_ptr(b, f, a[0]);
	tr_puts(b, ", ");
	tr_print_enum(b, f, (uint64_t)cmd, tr_futex_ops, NULL);
	if (op & FUTEX_PRIVATE_FLAG)
		tr_puts(b, "_PRIVATE");
	if (op & FUTEX_CLOCK_REALTIME)
		tr_puts(b, "|FUTEX_CLOCK_REALTIME");
	switch (cmd) {
	case FUTEX_WAIT:
		tr_put(b, ", %u, ", (unsigned)a[2]);
		put_ts(b, f, a[3]);
		break;
	case FUTEX_WAIT_BITSET:
		tr_put(b, ", %u, ", (unsigned)a[2]);
		put_ts(b, f, a[3]);
		if ((unsigned)a[5] == FUTEX_BITSET_MATCH_ANY)
			tr_puts(b, ", FUTEX_BITSET_MATCH_ANY");
		else
			tr_put(b, ", %#x", (unsigned)a[5]);
		break;
	case FUTEX_WAKE:
		tr_put(b, ", %d", (int)a[2]);
		break;
	case FUTEX_WAKE_BITSET:
		tr_put(b, ", %d", (int)a[2]);
		if ((unsigned)a[5] == FUTEX_BITSET_MATCH_ANY)
			tr_puts(b, ", FUTEX_BITSET_MATCH_ANY");
		else
			tr_put(b, ", %#x", (unsigned)a[5]);
		break;
	case FUTEX_REQUEUE:
		tr_put(b, ", %d, %u, ", (int)a[2], (unsigned)a[3]);
		put_ptr(b, f, a[4]);
		break;
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
		tr_put(b, ", %d, %u, ", (int)a[2], (unsigned)a[3]);
		put_ptr(b, f, a[4]);
		tr_put(b, ", %u", (unsigned)a[5]);
		break;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		tr_puts(b, ", ");
		put_ts(b, f, a[3]);
		break;
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
		break;
	default:
		tr_put(b, ", %d, %#lx, %#lx, %#x", (int)a[2], (unsigned long)a[3], (unsigned long)a[4],
		       (unsigned)a[5]);
	}
}

static void put_fcntl(struct tr_buf *b, const struct tr_fmt *f, const long *a)
{
	int cmd = (int)a[1];

	tr_print_enum(b, f, (uint64_t)cmd, tr_fcntl_cmds, NULL);
	switch (cmd) {
	case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG: case F_GETLEASE:
	case F_GETPIPE_SZ: case F_GET_SEALS:
		break;
	case F_SETFD:
		tr_puts(b, ", ");
		tr_print_flags(b, f, (uint64_t)a[2], tr_fd_cloexec, "0");
		break;
	case F_SETFL:
		tr_puts(b, ", ");
		tr_print_open_flags(b, f, a[2]);
		break;
	case F_ADD_SEALS:
		tr_puts(b, ", ");
		tr_print_flags(b, f, (uint64_t)a[2], tr_seals, "0");
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK:
	case F_OFD_SETLKW: {
		struct flock fl;
		tr_puts(b, ", ");
		if (fetch(b, f, a[2], &fl, sizeof(fl))) {
			tr_puts(b, "{l_type=");
			tr_print_enum(b, f, (uint64_t)fl.l_type, tr_lock_types, NULL);
			tr_puts(b, ", l_whence=");
			tr_print_enum(b, f, (uint64_t)fl.l_whence, tr_whence, NULL);
			tr_put(b, ", l_start=%ld, l_len=%ld", (long)fl.l_start, (long)fl.l_len);
			if (cmd == F_GETLK || cmd == F_OFD_GETLK)
				tr_put(b, ", l_pid=%d", fl.l_pid);
			tr_putc(b, '}');
		}
		break;
	}
	default:
		tr_put(b, ", %ld", a[2]);
	}
}

/* termios as strace abbreviates it: speed and four local/output flags */
static void put_termios(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct termios t;
	static const unsigned bauds[] = { 0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800,
					  2400, 4800, 9600, 19200, 38400 };
	unsigned sp;

	if (!fetch(b, f, addr, &t, sizeof(t)))
		return;
	sp = t.c_cflag & CBAUD;
	if (sp < 16)
		tr_put(b, "{B%u ", bauds[sp]);
	else
		tr_put(b, "{%#o ", sp);
	tr_put(b, "%sopost %sisig %sicanon %secho ...}", t.c_oflag & OPOST ? "" : "-",
	       t.c_lflag & ISIG ? "" : "-", t.c_lflag & ICANON ? "" : "-", t.c_lflag & ECHO ? "" : "-");
}

static void put_ioctl(struct tr_buf *b, const struct tr_fmt *f, const long *a, bool exiting, long ret)
{
	unsigned long req = (unsigned long)a[1];

	if (!exiting) {
		tr_print_enum(b, f, req, tr_ioctls, NULL);
		return;
	}
	tr_puts(b, ", ");
	switch (req) {
	case TCGETS:
		if (is_err(ret))
			put_ptr(b, f, a[2]);
		else
			put_termios(b, f, a[2]);
		break;
	case TCSETS: case TCSETSW: case TCSETSF:
		put_termios(b, f, a[2]);
		break;
	case TIOCGWINSZ: case TIOCSWINSZ: {
		struct winsize w;
		if (req == TIOCGWINSZ && is_err(ret))
			put_ptr(b, f, a[2]);
		else if (fetch(b, f, a[2], &w, sizeof(w)))
			tr_put(b, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", w.ws_row,
			       w.ws_col, w.ws_xpixel, w.ws_ypixel);
		break;
	}
	case TIOCGPGRP: case TIOCSPGRP: case FIONREAD: case FIONBIO: case TIOCGPTN:
	case TIOCSPTLCK: {
		int v;
		if (req != TIOCSPGRP && req != FIONBIO && req != TIOCSPTLCK && is_err(ret))
			put_ptr(b, f, a[2]);
		else if (fetch(b, f, a[2], &v, sizeof(v)))
			tr_put(b, "[%d]", v);
		break;
	}
	case FIOCLEX: case FIONCLEX: case TIOCNOTTY:
		b->len -= 2;
		b->p[b->len] = '\0';
		break;
	case TIOCSCTTY: case 0x40049409:       /* FICLONE: a descriptor */
		tr_put(b, "%d", (int)a[2]);
		break;
	default:
		put_ptr(b, f, a[2]);
	}
}

static void put_sockopt_name(struct tr_buf *b, const struct tr_fmt *f, long level, long name)
{
	const struct tr_xlat *x = level == SOL_SOCKET ? tr_so_opts : level == SOL_TCP ? tr_tcp_opts :
				  level == SOL_IP ? tr_ip_opts : level == SOL_IPV6 ? tr_ipv6_opts : NULL;

	if (x != NULL)
		tr_print_enum(b, f, (uint64_t)name, x, NULL);
	else
		tr_put(b, "%ld", name);
}

static void put_sockopt_val(struct tr_buf *b, const struct tr_fmt *f, long addr, long len)
{
	int v;

	if (len == sizeof(int) && fetch(b, f, addr, &v, sizeof(v)))
		tr_put(b, "[%d]", v);
	else if (len != sizeof(int))
		tr_print_data(b, f, addr, len, true);
}

static void put_sockaddr(struct tr_buf *b, const struct tr_fmt *f, long addr, long len)
{
	unsigned char sa[128];

	if (len <= 0 || addr == 0) {
		put_ptr(b, f, addr);
		return;
	}
	if ((size_t)len > sizeof(sa))
		len = sizeof(sa);
	if (fetch(b, f, addr, sa, (size_t)len))
		tr_print_sockaddr(b, f, sa, (unsigned)len);
}

static void put_epoll_event(struct tr_buf *b, const struct tr_fmt *f, const struct epoll_event *e)
{
	tr_puts(b, "{events=");
	tr_print_flags(b, f, e->events, tr_epoll_events, "0");
	tr_put(b, ", data={u32=%u, u64=%llu}}", (unsigned)e->data.u64, (unsigned long long)e->data.u64);
}

static void put_pollfds(struct tr_buf *b, const struct tr_fmt *f, long addr, long n, bool revents)
{
	struct pollfd p;
	bool first = true;

	if (addr == 0) {
		tr_puts(b, "NULL");
		return;
	}
	tr_putc(b, '[');
	for (long i = 0; i < n; i++) {
		if (tr_peek(&p, (uintptr_t)addr + (unsigned long)i * sizeof(p), sizeof(p)) != sizeof(p))
			break;
		if (revents && p.revents == 0)
			continue;
		if (i == f->strmax) {
			tr_puts(b, ", ...");
			break;
		}
		tr_put(b, "%s{fd=%d, %s=", first ? "" : ", ", p.fd, revents ? "revents" : "events");
		tr_print_flags(b, f, (uint16_t)(revents ? p.revents : p.events), tr_poll_events, "0");
		tr_putc(b, '}');
		first = false;
	}
	tr_putc(b, ']');
}

/* fdset_limit -- how many descriptors select's sets hold: the kernel
 * takes nfds as an int; past 2^20, strace's bound, nothing is read */
static int fdset_limit(long nfds)
{
	int n = (int)nfds;

	return n < 0 ? 0 : n > 1 << 20 ? 1 << 20 : n;
}

/* fdset_readable -- the set at addr can be read whole, as far as nfds
 * takes it, in longs (else strace shows its address) */
static bool fdset_readable(long addr, int nfds)
{
	uint64_t w[32];
	size_t bytes = ((size_t)nfds + 63) / 64 * sizeof(w[0]);

	for (size_t off = 0; off < bytes; off += sizeof(w)) {
		size_t n = bytes - off < sizeof(w) ? bytes - off : sizeof(w);
		if ((size_t)tr_peek(w, (uintptr_t)addr + off, n) != n)
			return false;
	}
	return true;
}

/* next_fd -- the first descriptor from fd on, below nfds, in the set at
 * addr; -1 when there is none */
static int next_fd(long addr, int nfds, int fd)
{
	uint64_t w;

	for (; fd < nfds; fd = (fd | 63) + 1) {
		if (tr_peek(&w, (uintptr_t)addr + (unsigned)fd / 64 * sizeof(w), sizeof(w)) != sizeof(w))
			return -1;
		w >>= fd % 64;
		if (w != 0) {
			fd += __builtin_ctzll(w);
			return fd < nfds ? fd : -1;
		}
	}
	return -1;
}

/* put_fdset -- a set select reads and rewrites, as it came: "[3 4]" */
static void put_fdset(struct tr_buf *b, const struct tr_fmt *f, long addr, long nfds_arg)
{
	int nfds = fdset_limit(nfds_arg);

	if (addr == 0) {
		tr_puts(b, f->json ? "null" : "NULL");
		return;
	}
	if (nfds == 0 || !fdset_readable(addr, nfds)) {
		put_ptr(b, f, addr);
		return;
	}
	tr_putc(b, '[');
	for (int fd = next_fd(addr, nfds, 0), first = 1; fd >= 0; fd = next_fd(addr, nfds, fd + 1), first = 0) {
		if (!first)
			tr_puts(b, f->json ? ", " : " ");
		put_fd(b, f, fd);
	}
	tr_putc(b, ']');
}

static void put_tv(struct tr_buf *b, const struct tr_fmt *f, long addr)
{
	struct timeval tv;

	if (fetch(b, f, addr, &tv, sizeof(tv)))
		tr_put(b, f->json ? "{\"tv_sec\": %ld, \"tv_usec\": %ld}" : "{tv_sec=%ld, tv_usec=%ld}",
		       (long)tv.tv_sec, (long)tv.tv_usec);
}

/* put_select_ready -- what select's result adds, as strace: the ready
 * descriptors of each set, as many as the result counts, and the time
 * left ("in [3], out [4], left {tv_sec=0, tv_usec=999}") */
static void put_select_ready(struct tr_buf *b, const struct tr_fmt *f, const struct tr_call *c)
{
	static const char *const set_names[3] = { "in", "out", "except" };
	int nfds = fdset_limit(c->args[0]);
	long ready = c->ret;
	const char *sep = "";

	for (int i = 0; i < 3 && ready > 0; i++) {
		long addr = c->args[i + 1];
		if (addr == 0 || !fdset_readable(addr, nfds))
			continue;
		int fd = next_fd(addr, nfds, 0);
		if (fd < 0)
			continue;
		tr_put(b, "%s%s [%d", sep, set_names[i], fd);
		sep = ", ";
		while (--ready > 0 && (fd = next_fd(addr, nfds, fd + 1)) >= 0)
			tr_put(b, " %d", fd);
		tr_putc(b, ']');
	}
	if (c->args[4] != 0) {
		tr_put(b, "%sleft ", sep);
		if (c->nr == SYS_select)
			put_tv(b, f, c->args[4]);
		else
			put_ts(b, f, c->args[4]);
	}
}

static void put_dirents(struct tr_buf *b, const struct tr_fmt *f, long addr, long ret)
{
	unsigned char *buf = tr_thread()->dirents;
	const long cap = (long)sizeof(tr_thread()->dirents);
	long n = 0, off = 0;

	if (is_err(ret) || ret > cap || (!f->verbose && !f->json)) {
		if (!is_err(ret) && ret <= cap &&
		    tr_peek(buf, (uintptr_t)addr, (size_t)ret) == ret) {
			while (off + 19 <= ret) {
				unsigned short reclen;
				memcpy(&reclen, buf + off + 16, 2);
				if (reclen == 0)
					break;
				off += reclen;
				n++;
			}
			tr_put(b, "%#lx /* %ld entries */", (unsigned long)addr, n);
		} else {
			put_ptr(b, f, addr);
		}
		return;
	}
	put_ptr(b, f, addr);
}

/* print_arg -- argument i of c (type t) */
static void print_arg(struct tr_buf *b, const struct tr_fmt *f, struct tr_call *c, int i, int t)
{
	const long *a = c->args;
	long v = a[i], ret = c->ret;
	bool failed = c->exiting && is_err(ret);
	bool j = f->json;

	switch (t) {
	case A_INT: case A_PID: tr_putd(b, (int)v); break;
	case A_LONG: tr_putd(b, v); break;
	case A_ULONG: tr_putu(b, (unsigned long)v); break;
	case A_HEX: tr_put(b, j ? "%lu" : "%#lx", (unsigned long)v); break;
	case A_PTR: put_ptr(b, f, v); break;
	case A_OCT: tr_put(b, j ? "%lu" : "%#03lo", (unsigned long)v); break;
	case A_FD: put_fd(b, f, v); break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			tr_puts(b, j ? "\"AT_FDCWD\"" : "AT_FDCWD");
		else
			put_fd(b, f, v);
		break;
	case A_PATH:
		/* after a call that succeeded, the kernel has read it */
		tr_trusted = c->exiting && !c->injected && !is_err(ret) && v != 0;
		tr_print_str(b, f, v, 4096, true);
		tr_trusted = false;
		break;
	case A_STR: tr_print_str(b, f, v, f->strmax, false); break;
	case A_IBUF: tr_print_data(b, f, v, a[i + 1], false); break;
	case A_OBUF:
	case A_OBUF_HEX:
		if (failed) {
			put_ptr(b, f, v);
		} else {
			/* the kernel wrote ret bytes there */
			tr_trusted = !c->injected;
			tr_print_data(b, f, v, ret, t == A_OBUF_HEX);
			tr_trusted = false;
		}
		break;
	case A_OSTR:
		if (failed)
			put_ptr(b, f, v);
		else
			tr_print_str(b, f, v, 4096, true);
		break;
	case A_IOV_IN: put_iov(b, f, v, a[i + 1], -1); break;
	case A_IOV_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_iov(b, f, v, a[i + 1], ret);
		break;
	case A_OFLAGS: tr_print_open_flags(b, f, v); break;
	case A_OMODE: break;    /* printed by the caller, or not at all */
	case A_ATFLAGS: tr_print_flags(b, f, (uint64_t)(unsigned)v, tr_at_flags, "0"); break;
	case A_UNLINK_FLAGS: tr_print_flags(b, f, (uint64_t)(unsigned)v, tr_at_flags, "0"); break;
	case A_FACCESS_FLAGS: tr_print_flags(b, f, (uint64_t)(unsigned)v, tr_faccessat_flags, "0"); break;
	case A_ACCESS: tr_print_flags(b, f, (uint64_t)v, tr_access_modes, "F_OK"); break;
	case A_PROT: tr_print_flags(b, f, (uint64_t)v, tr_prot_flags, "PROT_NONE"); break;
	case A_MAPF: {
		uint64_t type = (uint64_t)v & 3;
		tr_print_enum(b, f, type, tr_map_types, NULL);
		if ((uint64_t)v & ~3ull) {
			tr_putc(b, '|');
			tr_print_flags(b, f, (uint64_t)v & ~3ull, tr_map_flags, NULL);
		}
		break;
	}
	case A_MAPOFF: tr_put(b, v ? "%#lx" : "%lu", (unsigned long)v); break;
	case A_MADV: tr_print_enum(b, f, (uint64_t)v, tr_madvise, NULL); break;
	case A_WHENCE: tr_print_enum(b, f, (uint64_t)v, tr_whence, NULL); break;
	case A_SIG: tr_print_signal(b, f, v); break;
	case A_SIGHOW: tr_print_enum(b, f, (uint64_t)v, tr_sighow, NULL); break;
	case A_SIGSET_IN: put_sigset(b, f, v); break;
	case A_SIGSET_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_sigset(b, f, v);
		break;
	case A_SIGACT_IN: put_sigaction(b, f, v); break;
	case A_SIGACT_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_sigaction(b, f, v);
		break;
	case A_STAT_OUT:
		if (failed || v == 0) {
			put_ptr(b, f, v);
		} else if (c->injected) {
			struct stat st;
			if (fetch(b, f, v, &st, sizeof(st)))
				tr_print_stat(b, f, &st);
		} else {
			tr_print_stat(b, f, (const void *)v);   /* the kernel just wrote it */
		}
		break;
	case A_STATX_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_statx(b, f, v);
		break;
	case A_STATX_FLAGS:
		if ((v & 0x6000) == 0)
			tr_puts(b, "AT_STATX_SYNC_AS_STAT");
		if (v & ~0x6000L) {
			if ((v & 0x6000) == 0)
				tr_putc(b, '|');
			tr_print_flags(b, f, (uint64_t)v & ~0x6000ull, tr_at_flags, NULL);
		} else if (v & 0x6000) {
			tr_print_flags(b, f, (uint64_t)v, tr_at_flags, NULL);
		}
		break;
	case A_STATX_MASK: tr_print_flags(b, f, (uint64_t)(unsigned)v, tr_statx_masks, "0"); break;
	case A_TS_IN: put_ts(b, f, v); break;
	case A_SIGINFO_OUT: {
		/* filled in only when a signal came (rt_sigtimedwait's result) */
		siginfo_t si;
		if (failed || ret <= 0 || v == 0)
			put_ptr(b, f, v);
		else if (fetch(b, f, v, &si, sizeof(si)))
			tr_print_siginfo(b, f, &si);
		break;
	}
	case A_TS_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_ts(b, f, v);
		break;
	case A_TS_REM:
		if (c->exiting && ret == -EINTR)
			put_ts(b, f, v);
		else
			put_ptr(b, f, v);
		break;
	case A_CLOCK: tr_print_enum(b, f, (uint64_t)v, tr_clocks, NULL); break;
	case A_TIMER_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_timer_flags, "0"); break;
	case A_FUTEX: put_futex(b, f, a); break;
	case A_CLONE: put_clone(b, f, a); break;
	case A_CLONE3: put_clone3(b, f, v); break;
	case A_WOPTS: tr_print_flags(b, f, (uint64_t)v, tr_wait_opts, "0"); break;
	case A_WSTATUS: {
		int st;
		if (v == 0 || failed || ret == 0 || tr_peek(&st, (uintptr_t)v, sizeof(st)) != sizeof(st))
			put_ptr(b, f, v);
		else
			tr_print_wstatus(b, st);
		break;
	}
	case A_RUSAGE: put_ptr(b, f, v); break;
	case A_ARGV: put_argv(b, f, v); break;
	case A_ENVP: put_envp(b, f, v); break;
	case A_FDPAIR: case A_SOCKPAIR: {
		int fds[2];
		if (failed)
			put_ptr(b, f, v);
		else if (fetch(b, f, v, fds, sizeof(fds)))
			tr_put(b, "[%d, %d]", fds[0], fds[1]);
		break;
	}
	case A_FDFLAGS: tr_print_flags(b, f, (uint64_t)v, tr_fd_flags, "0"); break;
	case A_FCNTL: put_fcntl(b, f, a); break;
	case A_IOCTL: put_ioctl(b, f, a, false, 0); break;
	case A_DOMAIN: tr_print_enum(b, f, (uint64_t)v, tr_families, NULL); break;
	case A_SOCKTYPE:
		tr_print_enum(b, f, (uint64_t)v & 0xf, tr_socktypes, NULL);
		if (v & ~0xfL) {
			tr_putc(b, '|');
			tr_print_flags(b, f, (uint64_t)v & ~0xfull, tr_sock_flags, NULL);
		}
		break;
	case A_PROTO:
		if (a[0] == AF_INET || a[0] == AF_INET6)
			tr_print_enum(b, f, (uint64_t)v, tr_ip_protos, NULL);
		else
			tr_put(b, "%d", (int)v);
		break;
	case A_SOCKADDR_IN: put_sockaddr(b, f, v, a[i + 1]); break;
	case A_SOCKADDR_OUT: {
		int len = 0;
		if (failed || v == 0 || a[i + 1] == 0 ||
		    tr_peek(&len, (uintptr_t)a[i + 1], sizeof(len)) != sizeof(len))
			put_ptr(b, f, v);
		else
			put_sockaddr(b, f, v, len < (int)c->saved ? len : (long)c->saved);
		break;
	}
	case A_SOCKLEN: {
		int len;
		if (v == 0 || tr_peek(&len, (uintptr_t)v, sizeof(len)) != sizeof(len))
			put_ptr(b, f, v);
		else if (failed || (unsigned)len == (unsigned)c->saved)
			tr_put(b, "[%u]", (unsigned)c->saved);
		else
			tr_put(b, "[%u => %u]", (unsigned)c->saved, (unsigned)len);
		break;
	}
	case A_SOCKFLAGS: tr_print_flags(b, f, (uint64_t)v, tr_sock_flags, "0"); break;
	case A_SOL: tr_print_enum(b, f, (uint64_t)v, tr_sol_levels, NULL); break;
	case A_SOCKOPT: put_sockopt_name(b, f, a[1], v); break;
	case A_SOCKOPTVAL_IN: put_sockopt_val(b, f, v, a[i + 1]); break;
	case A_SOCKOPTVAL_OUT: {
		int len;
		if (failed || a[i + 1] == 0 || tr_peek(&len, (uintptr_t)a[i + 1], sizeof(len)) != sizeof(len))
			put_ptr(b, f, v);
		else
			put_sockopt_val(b, f, v, len);
		break;
	}
	case A_MSGFLAGS: tr_print_flags(b, f, (uint64_t)v, tr_msg_flags, "0"); break;
	case A_SHUT: tr_print_enum(b, f, (uint64_t)v, tr_shut_how, NULL); break;
	case A_EPOLL_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_epoll_flags, "0"); break;
	case A_EPOLL_OP: tr_print_enum(b, f, (uint64_t)v, tr_epoll_ops, NULL); break;
	case A_EPOLL_EVENT_IN: {
		struct epoll_event e;
		if (fetch(b, f, v, &e, sizeof(e)))
			put_epoll_event(b, f, &e);
		break;
	}
	case A_EPOLL_EVENTS:
		if (failed || v == 0) {
			put_ptr(b, f, v);
		} else {
			tr_putc(b, '[');
			for (long k = 0; k < ret; k++) {
				struct epoll_event e;
				if (tr_peek(&e, (uintptr_t)v + (unsigned long)k * sizeof(e), sizeof(e)) != sizeof(e))
					break;
				if (k)
					tr_puts(b, ", ");
				put_epoll_event(b, f, &e);
			}
			tr_putc(b, ']');
		}
		break;
	case A_POLLFDS: put_pollfds(b, f, v, a[1], false); break;
	case A_FDSET: put_fdset(b, f, v, a[0]); break;
	case A_TV_IN: put_tv(b, f, v); break;
	case A_PSELECT_SIG: {
		/* pselect6's { sigmask, sigsetsize } */
		struct { unsigned long set, size; } ss;
		if (!fetch(b, f, v, &ss, sizeof(ss)))
			break;
		tr_puts(b, j ? "{\"sigmask\": " : "{sigmask=");
		if (ss.size == sizeof(uint64_t))
			put_sigset(b, f, (long)ss.set);
		else
			put_ptr(b, f, (long)ss.set);
		tr_put(b, j ? ", \"sigsetsize\": %lu}" : ", sigsetsize=%lu}", ss.size);
		break;
	}
	case A_RLIMIT_RES: tr_print_enum(b, f, (uint64_t)v, tr_rlimits, NULL); break;
	case A_RLIMIT_IN: put_rlimit(b, f, v); break;
	case A_RLIMIT_OUT:
		if (failed)
			put_ptr(b, f, v);
		else
			put_rlimit(b, f, v);
		break;
	case A_UTSNAME:
		if (failed)
			put_ptr(b, f, v);
		else
			put_utsname(b, f, v);
		break;
	case A_DIRENTS: put_dirents(b, f, v, c->exiting ? ret : -1); break;
	case A_ARCH_PRCTL: tr_print_enum(b, f, (uint64_t)v, tr_arch_prctl, "ARCH_???"); break;
	case A_ARCH_PRCTL_VAL:
		if ((a[0] == ARCH_GET_FS || a[0] == ARCH_GET_GS) && !failed) {
			unsigned long x;
			tr_putc(b, '[');
			if (tr_peek(&x, (uintptr_t)v, sizeof(x)) == sizeof(x))
				tr_put(b, "%#lx", x);
			tr_putc(b, ']');
		} else {
			put_ptr(b, f, v);
		}
		break;
	case A_GRND: tr_print_flags(b, f, (uint64_t)v, tr_grnd_flags, "0"); break;
	case A_RENAME_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_rename_flags, "0"); break;
	case A_CLOSE_RANGE_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_close_range_flags, "0"); break;
	case A_PRCTL: tr_print_enum(b, f, (uint64_t)v, tr_prctl_opts, NULL); break;
	case A_STACK_IN:
	case A_STACK_OUT: {
		stack_t ss;
		if (t == A_STACK_OUT && failed)
			put_ptr(b, f, v);
		else if (fetch(b, f, v, &ss, sizeof(ss))) {
			tr_puts(b, "{ss_sp=");
			put_ptr(b, f, (long)ss.ss_sp);
			tr_puts(b, ", ss_flags=");
			tr_print_flags(b, f, (uint64_t)(unsigned)ss.ss_flags, tr_ss_flags, "0");
			tr_put(b, ", ss_size=%zu}", ss.ss_size);
		}
		break;
	}
	case A_FADV: tr_print_enum(b, f, (uint64_t)v, tr_fadvise, NULL); break;
	case A_MREMAP_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_mremap_flags, "0"); break;
	case A_MEMFD_FLAGS: tr_print_flags(b, f, (uint64_t)v, tr_memfd_flags, "0"); break;
	case A_ITIMER: tr_print_enum(b, f, (uint64_t)v, tr_itimers, NULL); break;
	case A_FLOCK: tr_print_flags(b, f, (uint64_t)v, tr_flock_ops, "0"); break;
	case A_TIMES: {
		struct timespec ts[2];
		if (fetch(b, f, v, ts, sizeof(ts))) {
			tr_putc(b, '[');
			for (int k = 0; k < 2; k++) {
				if (k)
					tr_puts(b, ", ");
				if (ts[k].tv_nsec == UTIME_NOW)
					tr_puts(b, "UTIME_NOW");
				else if (ts[k].tv_nsec == UTIME_OMIT)
					tr_puts(b, "UTIME_OMIT");
				else
					tr_put(b, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts[k].tv_sec, ts[k].tv_nsec);
			}
			tr_putc(b, ']');
		}
		break;
	}
	case A_INT_OUT: {
		int x;
		if (!failed && fetch(b, f, v, &x, sizeof(x)))
			tr_put(b, "[%d]", x);
		else if (failed)
			put_ptr(b, f, v);
		break;
	}
	default:
		tr_put(b, "%#lx", (unsigned long)v);
	}
}

/* nargs -- how many arguments the line shows, and whether one is skipped */
static int nargs(const struct desc *d)
{
	int n = 0;

	while (n < 6 && d->arg[n] != A_END)
		n++;
	return n;
}

static const struct desc *desc_of(long nr)
{
	static const struct desc unknown = { { A_HEX, A_HEX, A_HEX, A_HEX, A_HEX, A_HEX }, R_DEC, 0 };

	if (nr >= 0 && nr < NDESCS && (descs[nr].props & TR_KNOWN))
		return &descs[nr];
	return &unknown;
}

/* the one argument whose type spans several values (clone, futex, fcntl,
 * ioctl): counts as the rest of the line */
static bool is_compound(int t)
{
	return t == A_FUTEX || t == A_CLONE || t == A_CLONE3 || t == A_FCNTL;
}

/* shown -- how many arguments the line shows: open's mode only when
 * creating, as strace */
static int shown_args(const struct desc *d, const long *a)
{
	int n = nargs(d);

	if (n == 5 && d->arg[3] == A_MREMAP_FLAGS && !(a[3] & MREMAP_FIXED))
		n = 4;
	if (n > 0 && d->arg[n - 1] == A_OMODE && !(a[n - 2] & O_CREAT) &&
	    (a[n - 2] & __O_TMPFILE) != __O_TMPFILE)
		n--;
	return n;
}

void tr_capture(struct tr_call *c)
{
	const struct desc *d = desc_of(c->nr);

	/* in/out lengths: remember what the program passed in */
	for (int i = 0; i < 6 && d->arg[i] != A_END; i++) {
		if (d->arg[i] == A_SOCKLEN) {
			unsigned len = 0;
			if (c->args[i] == 0 || tr_peek(&len, (uintptr_t)c->args[i], sizeof(len)) != sizeof(len))
				len = 0;
			c->saved = len;
		}
	}
}

void tr_print_enter(struct tr_buf *b, const struct tr_fmt *f, struct tr_call *c, const char *name)
{
	const struct desc *d = desc_of(c->nr);
	int n = shown_args(d, c->args);

	if (name != NULL)
		tr_puts(b, name), tr_putc(b, '(');
	else
		tr_put(b, "syscall_%#lx(", (unsigned long)c->nr);
	c->next_arg = 0;
	for (int i = 0; i < n; i++) {
		int t = d->arg[i];
		if (t >= A_OUT_FIRST || t == A_IOCTL)
			break;
		print_arg(b, f, c, i, t == A_OMODE ? A_OCT : t);
		c->next_arg = i + 1;
		if (is_compound(t)) {
			c->next_arg = 6;
			break;
		}
		if (i + 1 < n)
			tr_puts(b, ", ");
	}
}

bool tr_enter_complete(const struct tr_call *c)
{
	const struct desc *d = desc_of(c->nr);

	if (d->arg[0] == A_CLONE || d->arg[0] == A_CLONE3)
		return false;
	return c->next_arg >= shown_args(d, c->args);
}

static void print_result(struct tr_buf *b, const struct tr_fmt *f, const struct tr_call *c,
			 const struct desc *d)
{
	long ret = c->ret;

	if (d->ret == R_NONE && !is_err(ret)) {
		tr_puts(b, "?");
		return;
	}
	if (is_err(ret)) {
		tr_put_errno(b, -ret);
		return;
	}
	switch (d->ret) {
	case R_HEX: tr_putx(b, (unsigned long)ret); break;
	case R_OCT: tr_put(b, "%#03lo", (unsigned long)ret); break;
	case R_FD: put_fd(b, f, ret); break;
	case R_SIG: {
		/* strace: "= 10 (SIGUSR1)" */
		char tmp[16];
		const char *name = tr_signame((int)ret, tmp, sizeof(tmp));
		tr_put(b, "%ld", ret);
		if (name && !f->json)
			tr_put(b, " (%s)", name);
		break;
	}
	case R_POLL:
		tr_put(b, "%ld", ret);
		if (ret == 0) {
			tr_puts(b, " (Timeout)");
		} else {
			tr_puts(b, " (");
			put_pollfds(b, f, c->args[0], c->args[1], true);
			if (c->nr == SYS_ppoll && c->args[2] != 0) {
				tr_puts(b, ", left ");
				put_ts(b, f, c->args[2]);
			}
			tr_putc(b, ')');
		}
		break;
	case R_SELECT:
		tr_put(b, "%ld", ret);
		if (ret == 0) {
			tr_puts(b, " (Timeout)");
		} else {
			tr_puts(b, " (");
			put_select_ready(b, f, c);
			tr_putc(b, ')');
		}
		break;
	case R_FCNTL:
		if (c->args[1] == F_GETFL) {
			tr_put(b, "%#lx (flags ", (unsigned long)ret);
			tr_print_open_flags(b, f, ret);
			tr_putc(b, ')');
		} else if (c->args[1] == F_GETFD && ret != 0) {
			tr_put(b, "%#lx (flags ", (unsigned long)ret);
			tr_print_flags(b, f, (uint64_t)ret, tr_fd_cloexec, "0");
			tr_putc(b, ')');
		} else if (c->args[1] == F_DUPFD || c->args[1] == F_DUPFD_CLOEXEC) {
			put_fd(b, f, ret);
		} else if (c->args[1] == F_GET_SEALS) {
			tr_put(b, "%#lx (seals ", (unsigned long)ret);
			tr_print_flags(b, f, (uint64_t)ret, tr_seals, "0");
			tr_putc(b, ')');
		} else {
			tr_put(b, "%ld", ret);
		}
		break;
	default:
		tr_putd(b, ret);
	}
}

void tr_print_exit(struct tr_buf *b, const struct tr_fmt *f, struct tr_call *c, size_t line_start)
{
	const struct desc *d = desc_of(c->nr);
	int n = shown_args(d, c->args);

	if (d->arg[0] == A_CLONE)
		put_clone_tail(b, f, c->args, c->ret);
	if (d->arg[0] == A_CLONE3) {
		/* what the kernel wrote back, then the size */
		struct clone_args ca;
		int tid = 0;
		if (c->ret > 0 && tr_peek(&ca, (uintptr_t)c->args[0], 64) == 64 &&
		    (ca.flags & CLONE_PARENT_SETTID) &&
		    tr_peek(&tid, (uintptr_t)ca.parent_tid, sizeof(tid)) == sizeof(tid))
			tr_put(b, " => {parent_tid=[%d]}", tid);
		tr_puts(b, ", ");
		tr_putu(b, (unsigned long)c->args[1]);
	}
	for (int i = c->next_arg; i < n; i++) {
		int t = d->arg[i];
		if (t == A_IOCTL) {
			print_arg(b, f, c, i, t);
			put_ioctl(b, f, c->args, true, c->ret);
			break;
		}
		print_arg(b, f, c, i, t == A_OMODE ? A_OCT : t);
		if (is_compound(t))
			break;
		if (i + 1 < n)
			tr_puts(b, ", ");
	}
	tr_putc(b, ')');
	tr_pad(b, f, line_start);
	tr_puts(b, " = ");
	print_result(b, f, c, d);
}
