/* msg.c -- the runtime's messages: the trace descriptor they go to, and
 * zp_msg/zp_fatal, which write it with a raw system call (libc may be in
 * the middle of being rewritten). */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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
	zp_trace_write(buf, (unsigned long)n);
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
