/* nosig.h -- a write of ours in the program's process that must not end
 * it with the signal a write may raise: SIGXFSZ past a file size limit the
 * program set (`ulimit -f`), SIGPIPE to a pipe no one reads. Those in stop
 * are blocked for the write, and one it raised is taken back (one pending
 * before it is the program's, and stays): the write fails (EFBIG, EPIPE)
 * alone. Used where libc is ours to call: the cache's files (src/cache.c),
 * the hooks' message on stderr (hooks/ownfd.h); the runtime's outputs have
 * their own, raw (runtime/msg.c, zp_write_out). */
#ifndef ZP_NOSIG_H
#define ZP_NOSIG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

/* zp_write_nosig -- all len bytes of buf to fd, or false */
static inline bool zp_write_nosig(int fd, const void *buf, size_t len, const sigset_t *stop)
{
	const char *c = buf;
	sigset_t old, before, after;
	bool ok = true;

	bool blocked = sigprocmask(SIG_BLOCK, stop, &old) == 0;
	if (blocked && sigpending(&before) != 0)
		sigfillset(&before);    /* not known: none is taken back */
	while (len > 0) {
		ssize_t w = write(fd, c, len);
		if (w <= 0) {
			ok = false;
			break;
		}
		c += w;
		len -= (size_t)w;
	}
	if (!blocked)
		return ok;
	if (!ok && sigpending(&after) == 0) {
		const struct timespec now = { 0, 0 };
		for (int s = 1; s < NSIG; s++) {
			sigset_t one;
			if (!sigismember(stop, s) || !sigismember(&after, s) || sigismember(&before, s))
				continue;
			sigemptyset(&one);
			sigaddset(&one, s);
			sigtimedwait(&one, NULL, &now);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok;
}

#endif
