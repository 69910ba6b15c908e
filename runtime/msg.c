/* msg.c -- the runtime's messages: the trace descriptor they go to, and
 * zp_msg/zp_fatal, which write it with a raw system call (libc may be in
 * the middle of being rewritten). */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "runtime.h"

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
	zp_raw_syscall(SYS_write, zp_trace_fd, (long)buf, n, 0, 0, 0);
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

/* zp_trace_setup -- a descriptor for reports that the program does not
 * know about: env (ZPOLINE_TRACE_FD), inherited from the tool or a parent
 * process, or a copy of stderr made now (true: the caller hands it down to
 * children, the program's environment is not changed) */
bool zp_trace_setup(const char *env)
{
	const char *s = env;

	if (s != NULL) {
		char *end;
		long fd = strtol(s, &end, 10);
		if (*end == '\0' && fd >= 0 && fd < INT_MAX && fcntl((int)fd, F_GETFD) >= 0) {
			zp_trace_fd = (int)fd;
			return false;
		}
	}
	int fd = zp_high_fd(2);
	if (fd < 0)
		return false;
	zp_trace_fd = fd;
	return true;
}

