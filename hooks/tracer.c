/* tracer -- one strace-like line per system call.
 *
 *   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1234
 *   openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * Each line is built in a buffer and written with one trace_write() call,
 * unbuffered, so nothing is lost however the process ends and lines from
 * threads and processes do not interleave. Memory of the program is read
 * with process_vm_readv, so a bad pointer prints as an address instead of
 * crashing. With several threads or processes, lines start with
 * [pid TID]. Options (--hook-opt): none. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zpoline/hook.h>

static zpoline_syscall_fn *next;
static long (*out)(const void *, unsigned long);
static const char *(*name_of)(long);
static bool multi;
static pid_t root_pid;

/* ---- the line buffer ----
 * Buffers live in thread-local storage, not on the stack: the hook runs on
 * the program's stack, which may be a small signal stack (gdb's SIGCHLD
 * handler runs on one it allocated with malloc). A line is never being
 * formatted across a call to next(), so a handler's call that re-enters
 * the tracer on this thread cannot clobber one. */

struct line {
	char buf[4096];
	size_t len;
};

static __thread struct line tls_line;
static __thread unsigned char tls_str[4097];

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(l->buf) - l->len;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* peek -- copy from the program without trusting the pointer */
static ssize_t peek(void *dst, uintptr_t src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
}

static void put_quoted(struct line *l, const unsigned char *s, size_t n)
{
	put(l, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		switch (c) {
		case '\n': put(l, "\\n"); break;
		case '\t': put(l, "\\t"); break;
		case '\r': put(l, "\\r"); break;
		case '\v': put(l, "\\v"); break;
		case '\f': put(l, "\\f"); break;
		case '"': put(l, "\\\""); break;
		case '\\': put(l, "\\\\"); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				put(l, "%c", c);
			else
				put(l, "\\%o", c);
		}
	}
	put(l, "\"");
}

#define STRMAX 32

/* put_str -- a NUL-terminated string argument; paths in full */
static void put_str(struct line *l, long addr, size_t max)
{
	unsigned char *buf = tls_str;
	size_t n = 0;

	if (addr == 0) {
		put(l, "NULL");
		return;
	}
	/* read page by page: a string may end just before unmapped memory */
	while (n < max) {
		size_t chunk = 4096 - ((uintptr_t)(addr + n) & 4095);
		if (chunk > max - n)
			chunk = max - n;
		if (peek(buf + n, (uintptr_t)addr + n, chunk) != (ssize_t)chunk)
			break;
		void *z = memchr(buf + n, 0, chunk);
		if (z != NULL) {
			put_quoted(l, buf, (size_t)((unsigned char *)z - buf));
			return;
		}
		n += chunk;
	}
	if (n == 0) {
		put(l, "%#lx", addr);
		return;
	}
	put_quoted(l, buf, n);
	put(l, "...");
}

/* put_buf -- len bytes of data, the first STRMAX shown */
static void put_buf(struct line *l, long addr, long len)
{
	unsigned char buf[STRMAX] = { 0 };
	size_t n = len < 0 ? 0 : (size_t)len < STRMAX ? (size_t)len : STRMAX;

	if (addr == 0) {
		put(l, "NULL");
		return;
	}
	if (n > 0 && peek(buf, (uintptr_t)addr, n) != (ssize_t)n) {
		put(l, "%#lx", addr);
		return;
	}
	put_quoted(l, buf, n);
	if ((size_t)len > n)
		put(l, "...");
}

struct flag {
	unsigned long bit;
	const char *name;
};

static void put_flags(struct line *l, unsigned long v, const struct flag *f, const char *zero)
{
	bool any = false;

	for (; f->name != NULL; f++) {
		if (f->bit != 0 && (v & f->bit) == f->bit) {
			put(l, "%s%s", any ? "|" : "", f->name);
			v &= ~f->bit;
			any = true;
		}
	}
	if (v != 0 || !any) {
		if (v == 0 && zero != NULL)
			put(l, "%s", zero);
		else
			put(l, "%s%#lx", any ? "|" : "", v);
	}
}

#define F(x) { x, #x }
static const struct flag open_flags[] = {
	F(O_WRONLY), F(O_RDWR), F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC), F(O_APPEND),
	F(O_NONBLOCK), F(O_DSYNC), F(O_ASYNC), F(O_DIRECT), F(O_LARGEFILE), F(O_DIRECTORY),
	F(O_NOFOLLOW), F(O_NOATIME), F(O_CLOEXEC), F(O_PATH), F(__O_TMPFILE), { 0, NULL }
};
static const struct flag prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN), F(PROT_GROWSUP), { 0, NULL }
};
static const struct flag map_flags[] = {
	F(MAP_SHARED), F(MAP_PRIVATE), F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_GROWSDOWN),
	F(MAP_DENYWRITE), F(MAP_EXECUTABLE), F(MAP_LOCKED), F(MAP_NORESERVE), F(MAP_POPULATE),
	F(MAP_NONBLOCK), F(MAP_STACK), F(MAP_HUGETLB), F(MAP_SYNC), F(MAP_FIXED_NOREPLACE),
	{ 0, NULL }
};
static const struct flag clone_flags[] = {
	F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND), F(CLONE_PIDFD),
	F(CLONE_PTRACE), F(CLONE_VFORK), F(CLONE_PARENT), F(CLONE_THREAD), F(CLONE_NEWNS),
	F(CLONE_SYSVSEM), F(CLONE_SETTLS), F(CLONE_PARENT_SETTID), F(CLONE_CHILD_CLEARTID),
	F(CLONE_DETACHED), F(CLONE_UNTRACED), F(CLONE_CHILD_SETTID), F(CLONE_NEWCGROUP),
	F(CLONE_NEWUTS), F(CLONE_NEWIPC), F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWNET),
	F(CLONE_IO), { 0, NULL }
};
static const struct flag at_flags[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW), F(AT_NO_AUTOMOUNT),
	F(AT_EMPTY_PATH), F(AT_EACCESS), { 0, NULL }
};
static const struct flag access_flags[] = { F(R_OK), F(W_OK), F(X_OK), { 0, NULL } };
#undef F

static const char *const sig_names[] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
	[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
	[SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

struct name {
	long value;
	const char *name;
};

#define N(x) { x, #x }
static const struct name fcntl_cmds[] = {
	N(F_DUPFD), N(F_GETFD), N(F_SETFD), N(F_GETFL), N(F_SETFL), N(F_GETLK), N(F_SETLK),
	N(F_SETLKW), N(F_SETOWN), N(F_GETOWN), N(F_DUPFD_CLOEXEC), N(F_SETPIPE_SZ),
	N(F_GETPIPE_SZ), N(F_ADD_SEALS), N(F_GET_SEALS), N(F_OFD_GETLK), N(F_OFD_SETLK),
	N(F_OFD_SETLKW), { 0, NULL }
};
static const struct name ioctl_reqs[] = {
	N(TCGETS), N(TCSETS), N(TCSETSW), N(TCSETSF), N(TIOCGWINSZ), N(TIOCSWINSZ),
	N(TIOCGPGRP), N(TIOCSPGRP), N(FIONREAD), N(FIONBIO), N(FIOCLEX), N(FIONCLEX),
	N(TIOCSCTTY), N(TIOCNOTTY), { 0, NULL }
};
static const struct name domains[] = {
	N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK), N(AF_PACKET), { 0, NULL }
};
static const struct name socktypes[] = {
	N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_SEQPACKET), { 0, NULL }
};
#undef N

static void put_name(struct line *l, long v, const struct name *n)
{
	for (; n->name != NULL; n++) {
		if (n->value == v) {
			put(l, "%s", n->name);
			return;
		}
	}
	put(l, "%#lx", (unsigned long)v);
}

static void put_sig(struct line *l, long sig)
{
	if (sig > 0 && sig < (long)(sizeof(sig_names) / sizeof(sig_names[0])) && sig_names[sig])
		put(l, "%s", sig_names[sig]);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		put(l, "SIGRT_%ld", sig - SIGRTMIN);
	else
		put(l, "%ld", sig);
}

static void put_fd(struct line *l, long fd)
{
	if ((int)fd == AT_FDCWD)
		put(l, "AT_FDCWD");
	else
		put(l, "%d", (int)fd);
}

/* put_argv -- execve's ["a", "b", ...] */
static void put_argv(struct line *l, long addr)
{
	put(l, "[");
	for (int i = 0; addr != 0; i++) {
		uintptr_t p;
		if (peek(&p, (uintptr_t)addr + 8u * i, sizeof(p)) != sizeof(p)) {
			put(l, "%s%#lx", i ? ", " : "", addr);
			break;
		}
		if (p == 0)
			break;
		if (i == 32) {
			put(l, ", ...");
			break;
		}
		put(l, "%s", i ? ", " : "");
		put_str(l, (long)p, 4096);
	}
	put(l, "]");
}

static int count_vec(long addr)
{
	int n = 0;
	uintptr_t p;

	while (addr != 0 && peek(&p, (uintptr_t)addr + 8u * n, sizeof(p)) == sizeof(p) && p != 0)
		n++;
	return n;
}

/* Argument kinds. Buffers whose content exists only after the call
 * (read, recvfrom ...) are OUTBUF: printed with the result as length. */
/* DEC is a C int (most arguments: fds, pids, flags), LDEC a long */
enum kind { END, DEC, LDEC, UNS, HEX, PTR, STR, PATH, BUF, OUTBUF, FD, DIRFD, OFLAGS, MODE, PROT,
	    MAPF, CLONEF, ATF, ACCESS, SIG, ARGV, ENVP, WHENCE, HOW, OCT, FDPAIR, FDFLAGS, FCNTL,
	    IOCTL, DOMAIN, SOCKTYPE, WSTATUS };

struct desc {
	unsigned char kind[6];
	bool hexret;
	bool known;
};

#define D(nr, ...) [nr] = { { __VA_ARGS__ }, false, true }
#define DX(nr, ...) [nr] = { { __VA_ARGS__ }, true, true }
static const struct desc descs[] = {
	D(SYS_read, FD, OUTBUF, UNS),
	D(SYS_write, FD, BUF, UNS),
	D(SYS_pread64, FD, OUTBUF, UNS, LDEC),
	D(SYS_pwrite64, FD, BUF, UNS, LDEC),
	D(SYS_open, PATH, OFLAGS, MODE),
	D(SYS_openat, DIRFD, PATH, OFLAGS, MODE),
	D(SYS_close, FD),
	D(SYS_stat, PATH, PTR),
	D(SYS_lstat, PATH, PTR),
	D(SYS_fstat, FD, PTR),
	D(SYS_newfstatat, DIRFD, PATH, PTR, ATF),
	D(SYS_statx, DIRFD, PATH, ATF, HEX, PTR),
	D(SYS_lseek, FD, LDEC, WHENCE),
	DX(SYS_mmap, PTR, UNS, PROT, MAPF, FD, HEX),
	D(SYS_mprotect, PTR, UNS, PROT),
	D(SYS_munmap, PTR, UNS),
	DX(SYS_brk, PTR),
	D(SYS_rt_sigaction, SIG, PTR, PTR, UNS),
	D(SYS_rt_sigprocmask, HOW, PTR, PTR, UNS),
	D(SYS_ioctl, FD, IOCTL, PTR),
	D(SYS_access, PATH, ACCESS),
	D(SYS_faccessat, DIRFD, PATH, ACCESS),
	D(SYS_faccessat2, DIRFD, PATH, ACCESS, ATF),
	D(SYS_pipe, FDPAIR),
	D(SYS_pipe2, FDPAIR, FDFLAGS),
	D(SYS_dup, FD),
	D(SYS_dup2, FD, FD),
	D(SYS_dup3, FD, FD, FDFLAGS),
	D(SYS_getpid),
	D(SYS_gettid),
	D(SYS_getppid),
	D(SYS_clone, CLONEF, PTR, PTR, PTR, PTR),
	D(SYS_execve, PATH, ARGV, ENVP),
	D(SYS_execveat, DIRFD, PATH, ARGV, ENVP, ATF),
	D(SYS_exit, DEC),
	D(SYS_exit_group, DEC),
	D(SYS_wait4, DEC, WSTATUS, HEX, PTR),
	D(SYS_kill, DEC, SIG),
	D(SYS_tgkill, DEC, DEC, SIG),
	D(SYS_tkill, DEC, SIG),
	D(SYS_fcntl, FD, FCNTL, HEX),
	D(SYS_chdir, PATH),
	D(SYS_fchdir, FD),
	D(SYS_mkdir, PATH, OCT),
	D(SYS_mkdirat, DIRFD, PATH, OCT),
	D(SYS_rmdir, PATH),
	D(SYS_unlink, PATH),
	D(SYS_unlinkat, DIRFD, PATH, ATF),
	D(SYS_rename, PATH, PATH),
	D(SYS_renameat, DIRFD, PATH, DIRFD, PATH),
	D(SYS_renameat2, DIRFD, PATH, DIRFD, PATH, HEX),
	D(SYS_readlink, PATH, OUTBUF, UNS),
	D(SYS_readlinkat, DIRFD, PATH, OUTBUF, UNS),
	D(SYS_symlink, PATH, PATH),
	D(SYS_chmod, PATH, OCT),
	D(SYS_fchmod, FD, OCT),
	D(SYS_fchmodat, DIRFD, PATH, OCT),
	D(SYS_getdents64, FD, PTR, UNS),
	D(SYS_getcwd, OUTBUF, UNS),
	D(SYS_socket, DOMAIN, SOCKTYPE, DEC),
	D(SYS_socketpair, DOMAIN, SOCKTYPE, DEC, PTR),
	D(SYS_connect, FD, PTR, UNS),
	D(SYS_bind, FD, PTR, UNS),
	D(SYS_listen, FD, DEC),
	D(SYS_accept, FD, PTR, PTR),
	D(SYS_accept4, FD, PTR, PTR, HEX),
	D(SYS_sendto, FD, BUF, UNS, HEX, PTR, UNS),
	D(SYS_recvfrom, FD, OUTBUF, UNS, HEX, PTR, PTR),
	D(SYS_set_tid_address, PTR),
	D(SYS_set_robust_list, PTR, UNS),
	D(SYS_arch_prctl, HEX, PTR),
	D(SYS_prlimit64, DEC, DEC, PTR, PTR),
	D(SYS_getrandom, PTR, UNS, HEX),
	D(SYS_futex, PTR, DEC, DEC, PTR, PTR, DEC),
	D(SYS_nanosleep, PTR, PTR),
	D(SYS_clock_nanosleep, DEC, HEX, PTR, PTR),
	D(SYS_clock_gettime, DEC, PTR),
	D(SYS_poll, PTR, UNS, DEC),
	D(SYS_ppoll, PTR, UNS, PTR, PTR, UNS),
	D(SYS_epoll_wait, FD, PTR, DEC, DEC),
	D(SYS_epoll_pwait, FD, PTR, DEC, DEC, PTR, UNS),
	D(SYS_umask, OCT),
	D(SYS_uname, PTR),
	D(SYS_getuid),
	D(SYS_geteuid),
	D(SYS_getgid),
	D(SYS_getegid),
	D(SYS_sched_yield),
	D(SYS_madvise, PTR, UNS, DEC),
	D(SYS_rseq, PTR, UNS, HEX, HEX),
	D(SYS_sigaltstack, PTR, PTR),
	D(SYS_truncate, PATH, LDEC),
	D(SYS_ftruncate, FD, LDEC),
	D(SYS_fsync, FD),
	D(SYS_fdatasync, FD),
	D(SYS_chown, PATH, DEC, DEC),
	D(SYS_fchownat, DIRFD, PATH, DEC, DEC, ATF),
	D(SYS_utimensat, DIRFD, PATH, PTR, ATF),
	D(SYS_close_range, UNS, UNS, HEX),
	D(SYS_pidfd_open, DEC, HEX),
	D(SYS_memfd_create, STR, HEX),
	D(SYS_sysinfo, PTR),
	D(SYS_statfs, PATH, PTR),
	D(SYS_fstatfs, FD, PTR),
	D(SYS_getxattr, PATH, STR, PTR, UNS),
	D(SYS_lgetxattr, PATH, STR, PTR, UNS),
	D(SYS_fadvise64, FD, LDEC, LDEC, DEC),
	D(SYS_sendfile, FD, FD, PTR, UNS),
	D(SYS_copy_file_range, FD, PTR, FD, PTR, UNS, HEX),
	D(SYS_rt_sigsuspend, PTR, UNS),
	D(SYS_rt_sigreturn),
	D(SYS_vfork),
	D(SYS_fork),
	D(SYS_setpgid, DEC, DEC),
	D(SYS_getpgrp),
	D(SYS_setsid),
	D(SYS_prctl, DEC, HEX, HEX, HEX, HEX),
};
#undef D
#undef DX

static void put_arg(struct line *l, enum kind k, long v, const long *a, int i, long ret)
{
	switch (k) {
	case DEC: put(l, "%d", (int)v); break;
	case LDEC: put(l, "%ld", v); break;
	case UNS: put(l, "%lu", (unsigned long)v); break;
	case HEX: put(l, "%#lx", (unsigned long)v); break;
	case PTR: v ? put(l, "%#lx", (unsigned long)v) : put(l, "NULL"); break;
	case STR: put_str(l, v, STRMAX); break;
	case PATH: put_str(l, v, 4096); break;
	case BUF: put_buf(l, v, a[i + 1]); break;
	case OUTBUF:
		if (ret < 0 || ret > 0x7fffffff)
			v ? put(l, "%#lx", (unsigned long)v) : put(l, "NULL");
		else
			put_buf(l, v, ret);
		break;
	case FD: put(l, "%d", (int)v); break;
	case DIRFD: put_fd(l, v); break;
	case OFLAGS:
		put(l, "%s", (v & O_ACCMODE) == O_RDWR ? "O_RDWR" : (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "O_RDONLY");
		if (v & ~(long)O_ACCMODE) {
			put(l, "|");
			put_flags(l, (unsigned long)v & ~(unsigned long)O_ACCMODE, open_flags + 2, NULL);
		}
		break;
	case MODE:
		/* like strace: the mode means something only when creating */
		if (i > 0 && (a[i - 1] & (O_CREAT | __O_TMPFILE)))
			put(l, "%#lo", (unsigned long)v);
		else
			l->len -= l->len >= 2 && l->buf[l->len - 2] == ',' ? 2 : 0;
		break;
	case OCT: put(l, "%#lo", (unsigned long)v); break;
	case PROT: put_flags(l, (unsigned long)v, prot_flags, "PROT_NONE"); break;
	case MAPF: put_flags(l, (unsigned long)v, map_flags, NULL); break;
	case CLONEF:
		put_flags(l, (unsigned long)v & ~0xffUL, clone_flags, NULL);
		if (v & 0xff) {
			put(l, "|");
			put_sig(l, v & 0xff);
		}
		break;
	case ATF: put_flags(l, (unsigned long)v, at_flags, "0"); break;
	case ACCESS: put_flags(l, (unsigned long)v, access_flags, "F_OK"); break;
	case SIG: put_sig(l, v); break;
	case ARGV: put_argv(l, v); break;
	case ENVP: put(l, "%#lx /* %d vars */", (unsigned long)v, count_vec(v)); break;
	case WHENCE:
		put(l, "%s", v == SEEK_SET ? "SEEK_SET" : v == SEEK_CUR ? "SEEK_CUR" : v == SEEK_END ? "SEEK_END" : "?");
		break;
	case HOW:
		put(l, "%s", v == SIG_BLOCK ? "SIG_BLOCK" : v == SIG_UNBLOCK ? "SIG_UNBLOCK" : v == SIG_SETMASK ? "SIG_SETMASK" : "?");
		break;
	case FDPAIR: {
		int fds[2];
		if (ret == 0 && peek(fds, (uintptr_t)v, sizeof(fds)) == sizeof(fds))
			put(l, "[%d, %d]", fds[0], fds[1]);
		else
			v ? put(l, "%#lx", (unsigned long)v) : put(l, "NULL");
		break;
	}
	case FDFLAGS: put_flags(l, (unsigned long)v, open_flags, "0"); break;
	case FCNTL: put_name(l, v, fcntl_cmds); break;
	case IOCTL: put_name(l, v, ioctl_reqs); break;
	case DOMAIN: put_name(l, v, domains); break;
	case SOCKTYPE:
		put_name(l, v & 0xf, socktypes);
		if (v & SOCK_NONBLOCK)
			put(l, "|SOCK_NONBLOCK");
		if (v & SOCK_CLOEXEC)
			put(l, "|SOCK_CLOEXEC");
		break;
	case WSTATUS: {
		int st;
		if (ret <= 0 || v == 0 || peek(&st, (uintptr_t)v, sizeof(st)) != sizeof(st))
			v ? put(l, "%#lx", (unsigned long)v) : put(l, "NULL");
		else if (WIFEXITED(st))
			put(l, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(st));
		else if (WIFSIGNALED(st)) {
			put(l, "[{WIFSIGNALED(s) && WTERMSIG(s) == ");
			put_sig(l, WTERMSIG(st));
			put(l, "%s}]", WCOREDUMP(st) ? " && WCOREDUMP(s)" : "");
		} else
			put(l, "[%#x]", st);
		break;
	}
	case END: break;
	}
}

static void put_prefix(struct line *l)
{
	if (multi || getpid() != root_pid)
		put(l, "[pid %d] ", (int)gettid());
}

static void put_call(struct line *l, long nr, const long *a, long ret)
{
	const char *name = name_of(nr);
	const struct desc *d = nr >= 0 && (size_t)nr < sizeof(descs) / sizeof(descs[0]) ? &descs[nr] : NULL;

	if (name != NULL)
		put(l, "%s(", name);
	else
		put(l, "syscall_%#lx(", (unsigned long)nr);
	bool described = d != NULL && d->known;
	if (described) {
		for (int i = 0; i < 6 && d->kind[i] != END; i++) {
			put(l, "%s", i ? ", " : "");
			put_arg(l, d->kind[i], a[i], a, i, ret);
		}
	} else {
		for (int i = 0; i < 6; i++)
			put(l, "%s%#lx", i ? ", " : "", (unsigned long)a[i]);
	}
	put(l, ")");
}

static void put_result(struct line *l, long nr, long ret)
{
	const struct desc *d = nr >= 0 && (size_t)nr < sizeof(descs) / sizeof(descs[0]) ? &descs[nr] : NULL;

	if (ret < 0 && ret >= -4095) {
		const char *en = strerrorname_np((int)-ret);
		if (en != NULL)
			put(l, " = -1 %s (%s)\n", en, strerror((int)-ret));
		else
			put(l, " = -1 E%ld (Unknown error %ld)\n", -ret, -ret);
	} else if (d != NULL && d->hexret) {
		put(l, " = %#lx\n", (unsigned long)ret);
	} else {
		put(l, " = %ld\n", ret);
	}
}

static void flush(struct line *l)
{
	if (l->len == sizeof(l->buf) - 1)
		l->buf[l->len - 1] = '\n';
	out(l->buf, l->len);
}

/* the call will not return here (or may not): say so first */
static bool no_return(long nr, const long *a)
{
	switch (nr) {
	case SYS_exit:
	case SYS_exit_group:
	case SYS_rt_sigreturn:
	case SYS_execve:
	case SYS_execveat:
	case SYS_vfork:
		return true;
	case SYS_clone:
		return a[1] == 0 && (a[0] & CLONE_VM);
	default:
		return false;
	}
}

static long tracer_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	const long a[6] = { a1, a2, a3, a4, a5, a6 };
	struct line *lp = &tls_line;
	long ret;

	if (no_return(nr, a)) {
		bool exits = nr == SYS_exit || nr == SYS_exit_group || nr == SYS_rt_sigreturn;
		lp->len = 0;
		put_prefix(lp);
		put_call(lp, nr, a, 0);
		put(lp, exits ? " = ?\n" : " <unfinished ...>\n");
		flush(lp);
		ret = next(nr, a1, a2, a3, a4, a5, a6);
		/* only a failed execve comes back */
		lp->len = 0;
		put_prefix(lp);
		put(lp, "<... %s resumed>)", name_of(nr) ? name_of(nr) : "syscall");
		put_result(lp, nr, ret);
		flush(lp);
		return ret;
	}
	ret = next(nr, a1, a2, a3, a4, a5, a6);
	if ((nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork) && ret >= 0) {
		multi = true;
		/* like strace, the call is shown once, in the parent */
		if (ret == 0)
			return ret;
	}
	lp->len = 0;
	put_prefix(lp);
	put_call(lp, nr, a, ret);
	put_result(lp, nr, ret);
	flush(lp);
	return ret;
}

static void tracer_vfork_return(long nr, long ret)
{
	struct line *lp = &tls_line;

	lp->len = 0;
	multi = true;
	put_prefix(lp);
	put(lp, "<... %s resumed>)", name_of(nr) ? name_of(nr) : "vfork");
	put_result(lp, nr, ret);
	flush(lp);
}

static int tracer_init(const struct zpoline_init *in)
{
	const char *root = getenv("ZPOLINE_ROOT_PID");

	if (in->options != NULL && in->options[0] != '\0') {
		char msg[256];
		int n = snprintf(msg, sizeof(msg), "zpoline: tracer: unknown option '%s' (it takes none)\n",
				 in->options);
		in->trace_write(msg, (unsigned long)n);
		return -EINVAL;
	}
	next = in->next;
	out = in->trace_write;
	name_of = in->syscall_name;
	root_pid = root != NULL ? (pid_t)atoi(root) : getpid();
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_NO_X87, .name = "tracer", .init = tracer_init, .syscall = tracer_syscall,
		    .vfork_return = tracer_vfork_return);
