/* msg.c -- the runtime's messages: the trace descriptor they go to, and
 * zp_msg/zp_fatal, which write it with a raw system call (libc may be in
 * the middle of being rewritten). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "runtime.h"

/* In a run that names no descriptor for reports, when every hook is
 * quiet (ZPOLINE_HOOK_QUIET), zp_trace_fd is -1: the runtime holds none,
 * and reports go to the program's standard error, only while it is the
 * file it was at start-up (stderr_dev/ino; stderr_known false: it was not
 * open). Until zp_trace_setup it is 2. */
static bool stderr_known;
static uint64_t stderr_dev, stderr_ino;

static bool same_stderr(void)
{
	struct stat st;

	return stderr_known && zp_raw_syscall(SYS_fstat, 2, (long)&st, 0, 0, 0, 0) == 0 &&
	       st.st_dev == stderr_dev && st.st_ino == stderr_ino;
}

/* zp_trace_out -- the descriptor to write a report to now, or -1 */
int zp_trace_out(void)
{
	return zp_trace_fd >= 0 ? zp_trace_fd : same_stderr() ? 2 : -1;
}

/* A file size limit the program set (`ulimit -f`) applies to the writes
 * of its hooks' output too: past it, the kernel would kill the program
 * with SIGXFSZ, where strace, which writes from a process of its own,
 * leaves it be. While the limit is finite (fsize_limited: -1 not read
 * since the program last set a limit, zp_fsize_changed), the write to a
 * regular file runs with SIGXFSZ blocked, and one it raised is taken back:
 * it fails with EFBIG alone. */
static int fsize_limited = -1;

void zp_fsize_changed(void)
{
	__atomic_store_n(&fsize_limited, -1, __ATOMIC_RELAXED);
}

/* fsize_guard -- block SIGXFSZ for a write to fd, if it can raise it:
 * true if blocked, *old the mask before and *was whether one was pending
 * already */
static bool fsize_guard(int fd, uint64_t *old, bool *was)
{
	int lim = __atomic_load_n(&fsize_limited, __ATOMIC_RELAXED);
	if (lim < 0) {
		struct { uint64_t cur, max; } r;
		lim = zp_raw_syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, 0, (long)&r, 0, 0) == 0 && r.cur != ~0ull;
		__atomic_store_n(&fsize_limited, lim, __ATOMIC_RELAXED);
	}
	struct stat st;
	if (!lim || zp_raw_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0 || !S_ISREG(st.st_mode))
		return false;
	uint64_t xfsz = 1ull << (SIGXFSZ - 1), pending = 0;
	if (zp_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&xfsz, (long)old, 8, 0, 0) != 0)
		return false;
	/* (one pending before, blocked by the program, stays: it is not ours) */
	zp_raw_syscall(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0, 0);
	*was = (pending & xfsz) != 0;
	return true;
}

/* fsize_unguard -- the mask back, without the SIGXFSZ the write raised */
static void fsize_unguard(const uint64_t *old, bool was)
{
	uint64_t xfsz = 1ull << (SIGXFSZ - 1);
	struct timespec now = { 0, 0 };

	if (!was)
		zp_raw_syscall(SYS_rt_sigtimedwait, (long)&xfsz, 0, (long)&now, 8, 0, 0);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)old, 0, 8, 0, 0);
}

long zp_write_out(int fd, const void *buf, unsigned long len)
{
	const char *p = buf;
	long done = 0, r = 0;
	uint64_t old;
	bool was = false;

	if (fd < 0)
		return -EBADF;
	bool guarded = fsize_guard(fd, &old, &was);
	while ((unsigned long)done < len) {
		r = zp_raw_syscall(SYS_write, fd, (long)(p + done), (long)(len - done), 0, 0, 0);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		done += r;
	}
	if (guarded)
		fsize_unguard(&old, was);
	return done ? done : r;
}

/* zp_msg -- "zpoline: " and the message, on the trace fd */
void zp_msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	memcpy(buf, "zpoline: ", 9);
	va_start(ap, fmt);
	n = vsnprintf(buf + 9, sizeof(buf) - 10, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = 9 + (n < (int)sizeof(buf) - 10 ? n : (int)sizeof(buf) - 11);
	buf[n++] = '\n';
	zp_write_out(zp_trace_out(), buf, (unsigned long)n);
}

/* zp_fatal -- zp_msg, then end the process with status */
void zp_fatal(int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	zp_msg("%s", buf);
	zp_raw_syscall(SYS_exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

/* zp_trace_setup -- the descriptor for reports the run names in env
 * (ZPOLINE_TRACE_FD), inherited from the tool or a parent process: true;
 * else false, and none (-1) until zp_trace_own_stderr: the program's
 * standard error while it is the file it is now (zp_trace_out) */
bool zp_trace_setup(const char *env)
{
	struct stat st;

	if (env != NULL) {
		char *end;
		long fd = strtol(env, &end, 10);
		if (*end == '\0' && fd >= 0 && fd < INT_MAX && fcntl((int)fd, F_GETFD) >= 0) {
			zp_trace_fd = (int)fd;
			return true;
		}
	}
	stderr_known = zp_raw_syscall(SYS_fstat, 2, (long)&st, 0, 0, 0, 0) == 0;
	stderr_dev = st.st_dev;
	stderr_ino = st.st_ino;
	zp_trace_fd = -1;
	return false;
}

/* zp_trace_own_stderr -- a copy of stderr for reports, one the program
 * does not know about (true: the caller hands it down to children, the
 * program's environment is not changed) */
bool zp_trace_own_stderr(void)
{
	int fd = zp_high_fd(2);

	if (fd < 0)
		return false;
	zp_trace_fd = fd;
	return true;
}
