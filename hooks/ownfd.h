/* ownfd.h -- the descriptors a reporting hook writes to (the run's trace
 * descriptor, the tracer's -ff files) are not the program's: writing into
 * them, copying them or changing their flags fails with EBADF, as for a
 * descriptor the program never opened.
 *
 * The runtime already keeps the program from closing its trace descriptor
 * and moves it away when the program dup2()s onto its number (policy.c);
 * the calls that would write into it, or make a copy that could, are
 * answered here, in the enter of the hook that owns the output, so a run
 * without such a hook pays nothing. Included by tracer.c and audit.c. */
#ifndef HOOKS_OWNFD_H
#define HOOKS_OWNFD_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zpoline/hook.h>

#include "../src/nosig.h"

#define OWNFD_MAX 4

/* the run's trace descriptor; the hook's others are named by where it
 * keeps their numbers (ownfd_add), read at each check: the runtime moves
 * a descriptor a hook declared (zpoline_init.own_fd) when the program
 * dup2()s onto its number, and writes the new number there */
static int ownfd_trace = -1;
static int *ownfd_refs[OWNFD_MAX];
static struct stat ownfd_st;    /* the trace descriptor's file, to find it again */
static int ownfd_flags;

/* the calls that write through a descriptor, copy it or change it: the
 * argument (0-based) that names it */
static const struct { long nr; int arg; } ownfd_calls[] = {
	{ SYS_write, 0 }, { SYS_pwrite64, 0 }, { SYS_writev, 0 }, { SYS_pwritev, 0 },
	{ SYS_pwritev2, 0 }, { SYS_sendfile, 0 }, { SYS_splice, 2 }, { SYS_tee, 1 },
	{ SYS_copy_file_range, 2 }, { SYS_ftruncate, 0 }, { SYS_fallocate, 0 },
	{ SYS_fcntl, 0 }, { SYS_dup, 0 }, { SYS_dup2, 0 }, { SYS_dup3, 0 }, { SYS_close, 0 },
	{ SYS_sendto, 0 }, { SYS_sendmsg, 0 }, { SYS_mmap, 4 }, { SYS_flock, 0 },
};

/* ownfd_init -- the run's trace descriptor, as the runtime hands it down,
 * and the calls to watch into interest */
static void ownfd_init(uint64_t *interest)
{
	const char *s = getenv("ZPOLINE_TRACE_FD");

	if (s != NULL && *s != '\0') {
		int fd = atoi(s);
		if (fd > 2 && fstat(fd, &ownfd_st) == 0) {
			ownfd_trace = fd;
			ownfd_flags = fcntl(fd, F_GETFL);
		}
	}
	if (interest != NULL) {
		for (size_t i = 0; i < sizeof(ownfd_calls) / sizeof(ownfd_calls[0]); i++)
			ZPOLINE_WANT(interest, ownfd_calls[i].nr);
		ZPOLINE_WANT(interest, SYS_open);
		ZPOLINE_WANT(interest, SYS_openat);
		ZPOLINE_WANT(interest, SYS_openat2);
		ZPOLINE_WANT(interest, SYS_creat);
	}
}

/* ownfd_add -- one more descriptor of ours, whose number is kept at ref
 * (-1 when there is none) */
__attribute__((unused)) static void ownfd_add(int *ref)
{
	for (int i = 0; i < OWNFD_MAX; i++)
		if (ownfd_refs[i] == NULL || ownfd_refs[i] == ref) {
			ownfd_refs[i] = ref;
			return;
		}
}

static bool ownfd_is(long fd)
{
	if (fd < 0)
		return false;
	if (ownfd_trace == fd)
		return true;
	for (int i = 0; i < OWNFD_MAX && ownfd_refs[i] != NULL; i++)
		if (*ownfd_refs[i] == fd)
			return true;
	return false;
}

/* ownfd_check -- -EBADF when call would write into (or copy, or change)
 * one of our descriptors, else 0. mmap's descriptor counts only for a
 * file mapping. close of the trace descriptor is the runtime's to answer;
 * of the others, ours. */
static long ownfd_check(const struct zpoline_call *call)
{
	for (size_t i = 0; i < sizeof(ownfd_calls) / sizeof(ownfd_calls[0]); i++) {
		if (ownfd_calls[i].nr != call->nr)
			continue;
		long fd = call->args[ownfd_calls[i].arg];
		if (call->nr == SYS_mmap && (call->args[3] & MAP_ANONYMOUS))
			return 0;
		if (call->nr == SYS_close && fd == ownfd_trace)
			return 0;
		if ((call->nr == SYS_sendfile || call->nr == SYS_splice) && call->args[0] >= 0 &&
		    ownfd_is(call->args[0]) && !ownfd_is(fd))
			fd = call->args[0];
		return ownfd_is(fd) ? -EBADF : 0;
	}
	return 0;
}

/* ownfd_opened -- at the exit of an open: the trace file opened again for
 * writing (by its name, or as /proc/self/fd/N) is refused with EACCES, so
 * the program cannot reach the log through a new descriptor either */
static void ownfd_opened(struct zpoline_call *call)
{
	struct stat st;
	long flags;

	switch (call->nr) {
	case SYS_open: flags = call->args[1]; break;
	case SYS_openat: flags = call->args[2]; break;
	case SYS_creat: flags = O_WRONLY; break;
	case SYS_openat2: {
		/* struct open_how starts with the flags */
		const uint64_t *how = (const uint64_t *)call->args[2];
		flags = call->ret >= 0 && how != NULL ? (long)how[0] : 0;
		break;
	}
	default: return;
	}
	if (call->ret < 0 || ownfd_trace < 0 || (flags & O_ACCMODE) == O_RDONLY ||
	    fstat((int)call->ret, &st) != 0 || st.st_dev != ownfd_st.st_dev ||
	    st.st_ino != ownfd_st.st_ino || !S_ISREG(st.st_mode))
		return;
	close((int)call->ret);
	call->ret = -EACCES;
}

/* ownfd_moved -- after a dup2/dup3 onto the trace descriptor's number the
 * runtime has moved it (to the lowest free number from 100): find it
 * again, by its file and flags */
static void ownfd_moved(const struct zpoline_call *call)
{
	if ((call->nr != SYS_dup2 && call->nr != SYS_dup3) || call->ret < 0 || ownfd_trace < 0 ||
	    call->args[1] != ownfd_trace || call->args[0] == call->args[1])
		return;
	for (int fd = 100; fd < 4096; fd++) {
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_dev == ownfd_st.st_dev && st.st_ino == ownfd_st.st_ino &&
		    fcntl(fd, F_GETFL) == ownfd_flags) {
			ownfd_trace = fd;
			return;
		}
	}
	ownfd_trace = -1;
}

/* the exit status of a program that ended 0 after its report could not
 * be written in full (documented in zpoline(1), EXIT STATUS) */
#define OWNFD_WRITE_ERROR_STATUS 125

/* ownfd_write_failed -- a write of our output failed with err: said once
 * per run (flag, in the run's shared memory), on the program's stderr,
 * naming the file; the program goes on */
static void ownfd_write_failed(int *flag, int fd, long err, const char *hook)
{
	char path[300], msg[512];
	int zero = 0;

	if (err <= 0 || !__atomic_compare_exchange_n(flag, &zero, (int)err, false, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		return;
	/* no descriptor at all: the run had no stderr to report to, and
	 * descriptor 2 is now a file of the program's */
	if (fd < 0)
		return;
	snprintf(msg, sizeof(msg), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(msg, path, sizeof(path) - 1);
	if (n <= 0)
		n = snprintf(path, sizeof(path), "descriptor %d", fd);
	path[n] = '\0';
	n = snprintf(msg, sizeof(msg), "zpoline: %s: cannot write to %s: %s (the rest of the output "
		     "is lost; the program goes on)\n", hook, path, strerror((int)err));
	if (n <= 0)
		return;
	/* the program's stderr may be a file past the file size limit it set,
	 * or a pipe no one reads: the signal such a write raises would end
	 * the program, which goes on */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGXFSZ);
	sigaddset(&stop, SIGPIPE);
	zp_write_nosig(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, &stop);
}

/* ownfd_exit_status -- at exit_group: the program's status, unless it is 0
 * and the output was not written in full (by any process of the run) */
static void ownfd_exit_status(const int *flag, struct zpoline_call *call, pid_t root)
{
	if (call->nr == SYS_exit_group && (call->args[0] & 0xff) == 0 &&
	    __atomic_load_n(flag, __ATOMIC_RELAXED) != 0 && getpid() == root)
		call->args[0] = OWNFD_WRITE_ERROR_STATUS;
}

#endif
