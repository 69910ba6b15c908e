/* watch.c -- the watcher: what no process can write of its own death, the
 * tracer's +++ killed by SIGKILL +++ line, and the counter's table of a
 * program killed by a signal.
 *
 * A process killed by SIGKILL (from outside, or by the OOM killer) runs no
 * more code: the tracer inside it cannot say how it ended. The launcher
 * forks, before it execs the program, a watcher that is neither the
 * program's parent nor its child (a grandchild in a session of its own,
 * so the program's exit status, parent, children and terminal signals are
 * as without it). Every process of the run registers in the tracer's
 * shared memory (hooks/tracer/shared.h) and marks there when its +++ line
 * is out; the watcher holds a pidfd of each, and for one that ended
 * without that mark it writes, under the same line lock, the lines its
 * threads had formatted but not written, then the call each thread was
 * in, as strace ends it, then its end:
 *
 *   [pid  4022] <... read resumed> <unfinished ...>) = ?   (a half out)
 *   [pid  4023] getppid()               = ?                (one not out)
 *   [pid  4022] +++ killed by SIGKILL +++
 *
 * Those lines are in buffers of a memfd this file makes and the tracer
 * finds through the shared memory, where it formats a call's unfinished
 * line as the call enters (shared.h)
 * (the signal, or the status, read from /proc/PID/stat while the process
 * is a zombie; SIGKILL once it has been reaped, unless it had exec'd into a
 * program that may not be hooked: then nothing rather than a guess). It ends when the program
 * has ended and no registered process is left.
 *
 * The counter prints its table when the program (the run's first process)
 * calls exit_group; killed by a signal, it never does. Its counts are in
 * its slice of the shared memory (src/counts.h), with what became of the
 * program: once the program has ended, the watcher prints the table there
 * of a program whose hooked image ended without printing it (after the
 * tracer's lines of its end), as the counter would have, to the same
 * descriptor. Not of a program that ended in an execve, or in an image its
 * last execve started, that may not be hooked: its calls there are not
 * counted, and no table is better than a short one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contract.h"
#include "counts.h"
#include "decode-opts.h"
#include "tool.h"
#include "tracer/shared.h"
#include "zp.h"

#define MAX_WATCHED 4096

static struct tr_shared *sh;
static char *bufs;              /* the threads' output buffers (shared.h), or NULL */
static struct zp_trace_opts opt;
static int out_fd;
static pid_t root;
static int exec_recv = -1;      /* our end of the execve socket (shared.h), or -1 */
static int root_fd = -1;        /* a pidfd of the program */

/* the counters' tables, to print if the program ends without */
static struct counted {
	struct zp_counts *t;
	enum zp_count_order order;
} counters[ZP_MAX_HOOKS];
static int ncounters;

/* what became of a process's execve (exec_watch in the tracer) */
enum { EXEC_UNKNOWN, EXEC_NEW_IMAGE, EXEC_DIED };
#define MAX_EXECS 64
static struct exec_end {
	pid_t pid;              /* 0: free */
	int fd;                 /* our end of its socket pair, -1 once it closed */
	int fate;               /* EXEC_* */
	int pidfd;              /* the process's, sent with it, or -1 */
} execs[MAX_EXECS];

static void lock(void)
{
	pid_t me = getpid();

	for (int spins = 1;; spins++) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&sh->lock, &zero, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (spins % 64 == 0) {
			/* a writer killed while holding it (the very process we
			 * report, often) */
			int owner = __atomic_load_n(&sh->lock, __ATOMIC_RELAXED);
			char path[48];
			snprintf(path, sizeof(path), "/proc/%d", owner);
			if (owner != 0 && spins > 4096 && access(path, F_OK) != 0)
				__atomic_compare_exchange_n(&sh->lock, &owner, 0, false, __ATOMIC_RELAXED,
							    __ATOMIC_RELAXED);
			sched_yield();
		}
	}
}

static void unlock(void)
{
	__atomic_store_n(&sh->lock, 0, __ATOMIC_RELEASE);
}

static void put(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0) {
			int zero = 0;
			__atomic_compare_exchange_n(&sh->write_error, &zero, w < 0 ? errno : ENOSPC, false,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* The pidfd's record of how its process ended, kept once it is reaped
 * (Linux 6.15: PIDFD_GET_INFO with PIDFD_INFO_EXIT), for headers that
 * predate it. The first 64 bytes of the structure are its first version. */
#define WATCH_PIDFD_GET_INFO _IOWR(0xFF, 11, struct watch_pidfd_info)
#define WATCH_PIDFD_INFO_EXIT (1ull << 3)
struct watch_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};

/* end_status -- how pid ended, as a wait status: from /proc while it is a
 * zombie, from its pidfd once its parent reaped it (a kernel that keeps
 * that), else SIGKILL (the one end the tracer inside cannot report) */
static int end_status(pid_t pid, int pidfd, bool execd)
{
	char path[48], buf[1024];
	int fd, status = execd ? -1 : SIGKILL;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	/* "pid (comm) S ...": the exit code is field 52, the last */
	char *p = n > 0 ? (buf[n] = '\0', strrchr(buf, ')')) : NULL;
	if (p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) {
		char *last = strrchr(buf, ' ');
		if (last != NULL && last[1] != '\0')
			status = atoi(last + 1);
		return status;
	}
	struct watch_pidfd_info info = { .mask = WATCH_PIDFD_INFO_EXIT };
	if (pidfd >= 0 && ioctl(pidfd, WATCH_PIDFD_GET_INFO, &info) == 0 && (info.mask & WATCH_PIDFD_INFO_EXIT))
		status = info.exit_code;
	return status;
}

/* free_buffers -- pid's threads' buffers, for other threads to take */
static void free_buffers(pid_t pid)
{
	for (int i = 0; bufs != NULL && i < TR_BUF_SLOTS; i++)
		if (sh->out[i].pid == pid && sh->out[i].tid != 0) {
			__atomic_store_n(&sh->out[i].len, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&sh->out[i].tid, 0, __ATOMIC_RELEASE);
		}
}

/* exec_fate -- what became of pid's last execve (EXEC_*), and forget it */
static int exec_fate(pid_t pid)
{
	int fate = EXEC_UNKNOWN;

	for (int i = 0; i < MAX_EXECS; i++)
		if (execs[i].pid == pid) {
			fate = execs[i].fate;
			if (execs[i].fd >= 0)
				close(execs[i].fd);
			if (execs[i].pidfd >= 0)
				close(execs[i].pidfd);
			execs[i].pid = 0;
		}
	return fate;
}

/* exec_pidfd -- a copy of the pidfd pid's last execve sent, or -1 */
static int exec_pidfd(pid_t pid)
{
	for (int i = 0; i < MAX_EXECS; i++)
		if (execs[i].pid == pid && execs[i].pidfd >= 0)
			return fcntl(execs[i].pidfd, F_DUPFD_CLOEXEC, 3);
	return -1;
}

/* exec_ends -- the execve sockets: new ones, and those whose other end
 * closed: at the point of no return (the process has a memory, its new
 * one) or at its death (none: exit_mm comes before exit_files) */
static void exec_ends(void)
{
	for (;;) {
		pid_t pid;
		char cbuf[CMSG_SPACE(2 * sizeof(int))];
		struct iovec iov = { &pid, sizeof(pid) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		if (exec_recv < 0 || recvmsg(exec_recv, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != sizeof(pid))
			break;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
			continue;
		/* its socket, and a pidfd of the process (exec_watch) */
		int fds[2] = { -1, -1 };
		size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), (nfds < 2 ? nfds : 2) * sizeof(int));
		exec_fate(pid);                 /* an earlier execve of its */
		int i = 0;
		while (i < MAX_EXECS && execs[i].pid != 0)
			i++;
		if (i == MAX_EXECS || fds[0] < 0) {
			for (int k = 0; k < 2; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			continue;
		}
		execs[i] = (struct exec_end){ pid, fds[0], EXEC_UNKNOWN, fds[1] };
	}
	for (int i = 0; i < MAX_EXECS; i++) {
		struct exec_end *x = &execs[i];
		struct pollfd p = { x->fd, POLLIN, 0 };
		if (x->pid == 0 || x->fd < 0 || poll(&p, 1, 0) <= 0)
			continue;
		char c, path[48], exe[8];
		if (recv(x->fd, &c, 1, MSG_DONTWAIT) == 1) {
			x->fate = EXEC_UNKNOWN;         /* "F": it failed, the image runs on */
		} else {
			snprintf(path, sizeof(path), "/proc/%d/exe", (int)x->pid);
			/* (a set-user-ID image's exe is not ours to read, but is there) */
			x->fate = readlink(path, exe, sizeof(exe)) > 0 || errno != ENOENT ? EXEC_NEW_IMAGE :
				  EXEC_DIED;
		}
		close(x->fd);
		x->fd = -1;
	}
}

/* report -- pid (pidfd, -1 if none), which had entry e, has ended: its
 * lines, if it wrote none */
static void report(struct tr_proc *e, pid_t pid, int pidfd)
{
	char buf[512], sig[32];
	size_t n = 0;
	int fd = out_fd;
	/* a pidfd sent at its execve, for one seen only once it had gone */
	int xfd = pidfd < 0 ? exec_pidfd(pid) : -1;
	int fate = exec_fate(pid);

	lock();
	if (e->pid != pid || (e->state != TR_PROC_RUNNING && e->state != TR_PROC_EXEC)) {
		if (e->pid == pid && e->state == TR_PROC_ENDED) {
			/* it said how it ended; its buffers are free again */
			free_buffers(pid);
			e->state = TR_PROC_REPORTED;
		}
		unlock();
		if (xfd >= 0)
			close(xfd);
		return;
	}
	/* in execve: killed in it, or ended in a new image not hooked */
	bool in_exec = e->state == TR_PROC_EXEC;
	bool new_image = in_exec && fate == EXEC_NEW_IMAGE;
	int st = end_status(pid, pidfd >= 0 ? pidfd : xfd, in_exec && fate != EXEC_DIED);
	if (xfd >= 0)
		close(xfd);
	if (st < 0) {
		/* exec'd into a program not hooked, and reaped already: how it
		 * ended is unknown, and nothing is said rather than a guess */
		e->state = TR_PROC_REPORTED;
		free_buffers(pid);
		unlock();
		return;
	}
	/* --no-follow: one task's lines, no [pid N] (as the tracer's) */
	bool prefix = opt.ff[0] == '\0' && !opt.json && !opt.nofollow && (sh->multi || pid != root);
	if (opt.ff[0] != '\0') {
		char path[sizeof(opt.ff) + 16];
		snprintf(path, sizeof(path), "%s.%d", opt.ff, (int)pid);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	}
	if (WIFSIGNALED(st) || !WIFEXITED(st)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(st));
		snprintf(sig, sizeof(sig), "SIG%s", abbrev ? abbrev : "KILL");
	}
	/* the lines its threads had formatted but not written */
	for (int i = 0; bufs != NULL && i < TR_BUF_SLOTS; i++) {
		struct tr_outslot *o = &sh->out[i];
		unsigned len = TR_LEN(__atomic_load_n(&o->len, __ATOMIC_ACQUIRE));
		if (o->tid == 0 || o->pid != pid || len == 0 || len > TR_OUT_CAP || fd < 0)
			continue;
		if (!opt.json && sh->pending != 0) {
			put(fd, " <unfinished ...>\n", 18);
			sh->pending = 0;
		}
		put(fd, bufs + (size_t)i * TR_BUF_SIZE, len);
	}
	/* then the call each thread was in: the line its tracer kept for
	 * that (shared.h), as strace ends a call the process died in */
	int tid = new_image ? 0 : e->blocked_tid;
	for (int i = 0; bufs != NULL && i < TR_BUF_SLOTS; i++) {
		struct tr_outslot *o = &sh->out[i];
		const char *text;
		int joined;
		/* (an execve's line, kept: it did not end in the call) */
		if (o->tid == 0 || o->pid != pid || fd < 0 || new_image)
			continue;
		unsigned len = tr_unfinished(sh, o, bufs + (size_t)i * TR_BUF_SIZE, &text, &joined);
		if (len == 0)
			continue;
		if (!joined && !opt.json && sh->pending != 0)
			put(fd, " <unfinished ...>\n", 18);
		sh->pending = 0;
		put(fd, text, len);
		if (o->tid == tid)
			tid = 0;                /* shown */
	}
	if (!opt.json && sh->pending != 0) {
		/* someone's entering half ends the output: end it as strace */
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " <unfinished ...>\n");
		sh->pending = 0;
	}
	/* a blocked call the tracer kept no line for (no buffer) */
	const char *name = tid ? zp_syscall_name(e->blocked_nr) : NULL;
	if (tid && name && !opt.json && (opt.status & ZP_STATUS_UNFINISHED)) {
		if (prefix)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[pid %5d] ", tid);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<... %s resumed>) = ?\n", name);
	}
	/* as strace, each thread's end, the thread group leader's last */
	for (int i = 0; bufs != NULL && prefix && !WIFEXITED(st) && i < TR_BUF_SLOTS; i++) {
		struct tr_outslot *o = &sh->out[i];
		if (o->tid == 0 || o->pid != pid || o->tid == pid || fd < 0)
			continue;
		char line[96];
		int m = snprintf(line, sizeof(line), "[pid %5d] +++ killed by %s +++\n", o->tid, sig);
		if (n > 0) {
			put(fd, buf, n);
			n = 0;
		}
		put(fd, line, (size_t)m);
	}
	if (prefix)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[pid %5d] ", (int)pid);
	if (opt.json && WIFEXITED(st))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"type\": \"exit\", \"pid\": %d, "
				      "\"tid\": %d, \"status\": %d}\n", (int)pid, (int)pid, WEXITSTATUS(st));
	else if (opt.json)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"type\": \"killed\", \"pid\": %d, "
				      "\"signal\": \"%s\"}\n", (int)pid, sig);
	else if (WIFEXITED(st))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "+++ exited with %d +++\n", WEXITSTATUS(st));
	else
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "+++ killed by %s%s +++\n", sig,
				      WCOREDUMP(st) ? " (core dumped)" : "");
	if (fd >= 0)
		put(fd, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
	if (fd != out_fd && fd >= 0)
		close(fd);
	e->state = TR_PROC_REPORTED;
	free_buffers(pid);
	unlock();
}

static long out(const void *p, unsigned long n)
{
	for (unsigned long done = 0; done < n;) {
		ssize_t w = write(out_fd, (const char *)p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return done ? (long)done : -1;
		done += (unsigned long)w;
	}
	return (long)n;
}

/* print_tables -- the program has ended: the table of each counter it
 * ended in without printing it (counts.h). A call it was in that may
 * wait without end was counted, failed, as it started: strace -c counts
 * the one a signal kills a process in, but sees none return when SIGKILL
 * does, so then it is taken back out. */
static void print_tables(void)
{
	int end = -2;

	for (int i = 0; i < ncounters; i++) {
		struct zp_counts *t = counters[i].t;
		int st = ZP_ROOT_RUNNING;
		if (!__atomic_compare_exchange_n(&t->root, &st, ZP_ROOT_PRINTED, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		int64_t nr = __atomic_load_n(&t->waiting, __ATOMIC_ACQUIRE);
		if (nr >= 0 && nr < ZP_COUNT_SLOTS && end == -2)
			end = end_status(root, root_fd, true);
		if (nr >= 0 && nr < ZP_COUNT_SLOTS && end >= 0 && WIFSIGNALED(end) && WTERMSIG(end) == SIGKILL &&
		    t->c[nr].calls > 0 && t->c[nr].errors > 0) {
			__atomic_sub_fetch(&t->c[nr].calls, 1, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&t->c[nr].errors, 1, __ATOMIC_RELAXED);
		}
		zp_count_print(t, counters[i].order, out);
	}
}

struct watched {
	pid_t pid;
	int fd;
	struct tr_proc *e;
};

/* watch -- the watcher's life: until the program and every process of
 * the run that registered have ended */
__attribute__((noreturn)) static void watch(void)
{
	static struct watched w[MAX_WATCHED];
	/* the program first: a poll that finds it ended finds as ended every
	 * registered process of its that had */
	static struct pollfd pf[1 + MAX_WATCHED + 1 + MAX_EXECS];
	int nw = 0, idle = 0;
	bool root_done = root_fd < 0, tables_done = false;

	for (;;) {
		/* the tables once the program's end is reported: in the round
		 * after the one that saw it end, whose scan found every process
		 * it had registered (it ends after) */
		bool print_now = root_done && sh != NULL;
		/* new processes */
		for (int i = 0; sh != NULL && i < TR_MAX_PROCS; i++) {
			struct tr_proc *e = &sh->procs[i];
			pid_t pid = __atomic_load_n(&e->pid, __ATOMIC_ACQUIRE);
			int st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
			if (pid <= 0 || (st != TR_PROC_RUNNING && st != TR_PROC_EXEC && st != TR_PROC_ENDED))
				continue;
			bool known = false;
			for (int k = 0; k < nw && !known; k++)
				known = w[k].pid == pid && w[k].e == e;
			if (known)
				continue;
			int fd = (int)syscall(SYS_pidfd_open, pid, 0);
			if (fd < 0) {
				/* gone already: the pidfd its execve sent, if any */
				if (sh != NULL)
					exec_ends();
				report(e, pid, -1);
			} else if (nw < MAX_WATCHED) {
				w[nw++] = (struct watched){ pid, fd, e };
			} else {
				close(fd);
			}
		}
		int np = 0;
		pf[np++] = (struct pollfd){ .fd = root_done ? -1 : root_fd, .events = POLLIN };
		for (int k = 0; k < nw; k++)
			pf[np++] = (struct pollfd){ .fd = w[k].fd, .events = POLLIN };
		/* and, woken at once, the execve sockets (exec_ends) */
		if (exec_recv >= 0)
			pf[np++] = (struct pollfd){ .fd = exec_recv, .events = POLLIN };
		for (int i = 0; i < MAX_EXECS; i++)
			if (execs[i].pid != 0 && execs[i].fd >= 0)
				pf[np++] = (struct pollfd){ .fd = execs[i].fd, .events = POLLIN };
		/* (nothing to look at but the program, without the tracer) */
		int r = poll(pf, (nfds_t)np, root_done && !tables_done ? 0 : sh == NULL ? -1 : 50);
		if (r < 0 && errno != EINTR)
			_exit(0);
		if (!root_done && r > 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
			root_done = true;
			print_now = print_now || sh == NULL;
		}
		/* before the ends: a death in execve closed its socket first */
		if (sh != NULL)
			exec_ends();
		for (int k = 0; r > 0 && k < nw; k++) {
			if (!(pf[1 + k].revents & (POLLIN | POLLHUP)))
				continue;
			report(w[k].e, w[k].pid, w[k].fd);
			close(w[k].fd);
			/* the last one takes its place, and its poll result */
			pf[1 + k] = pf[nw];
			w[k--] = w[--nw];
		}
		if (print_now && !tables_done) {
			print_tables();
			tables_done = true;
		}
		/* the end: the program is gone, and nobody registered is left
		 * (a little longer, for a child that was about to register) */
		if (root_done && tables_done && nw == 0) {
			if (sh == NULL || ++idle > 4)
				_exit(0);
		} else {
			idle = 0;
		}
	}
}

/* zp_watch_start -- the watcher of the hooks in *what, for the program
 * this process is about to become */
void zp_watch_start(int shared_fd, int trace_fd, const struct zp_watch *what)
{
	char err[300];
	void *p = NULL;

	if (what->tracer >= 0 && zp_trace_parse(what->tracer_opts, &opt, err, sizeof(err)) == 0) {
		p = mmap(NULL, ZP_SHARED_SLICE, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd,
			 (off_t)what->tracer * ZP_SHARED_SLICE);
		if (p == MAP_FAILED)
			p = NULL;
	}
	/* this process's, which the program is about to be: taken now, it
	 * cannot be another's however soon the program ends */
	root = getpid();
	root_fd = (int)syscall(SYS_pidfd_open, root, 0);
	if (root_fd >= 0 && root_fd < 3) {
		/* (0 to 2 closed: the watcher puts /dev/null there) */
		int moved = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
		close(root_fd);
		root_fd = moved;
	}
	for (int i = 0; i < what->ncounters && root_fd >= 0; i++) {
		enum zp_count_order order;
		uint64_t want[ZP_TRACE_WORDS];
		void *c = mmap(NULL, ZP_SHARED_SLICE, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd,
			       (off_t)what->counter[i] * ZP_SHARED_SLICE);
		/* (options the counter refuses: the program does not start) */
		if (c != MAP_FAILED && zp_count_parse(what->counter_opts[i], &order, want, err, sizeof(err)) == 0)
			counters[ncounters++] = (struct counted){ c, order };
		else if (c != MAP_FAILED)
			munmap(c, ZP_SHARED_SLICE);
	}
	if (p == NULL && ncounters == 0) {
		if (root_fd >= 0)
			close(root_fd);
		return;
	}
	/* the threads' output buffers: sparse, pages are used as lines are */
	int b = p != NULL ? memfd_create("zpoline-trace-buffers", MFD_ALLOW_SEALING) : -1;
	if (b >= 0 && ftruncate(b, (off_t)TR_BUF_SLOTS * TR_BUF_SIZE) == 0 && fchmod(b, 0) == 0 &&
	    fcntl(b, F_ADD_SEALS, TR_BUF_SEALS) == 0) {
		void *m = mmap(NULL, (size_t)TR_BUF_SLOTS * TR_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
		int hb = zp_high_fd(b);
		if (m != MAP_FAILED && hb >= 0) {
			((struct tr_shared *)p)->buf_fd = hb;
			bufs = m;
		}
	}
	if (b >= 0)
		close(b);
	/* the execve socket: ours to receive, the other end the program's */
	int es[2] = { -1, -1 };
	if (p != NULL && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, es) == 0) {
		int hs = zp_high_fd(es[1]);
		close(es[1]);
		if (hs >= 0)
			((struct tr_shared *)p)->exec_sock = hs;
		else {
			close(es[0]);
			es[0] = -1;
		}
	}
	pid_t child = fork();
	if (child != 0) {
		/* the watcher is the child's child: not the program's (and if
		 * there is none, the program runs without) */
		if (es[0] >= 0)
			close(es[0]);
		if (p != NULL)
			munmap(p, ZP_SHARED_SLICE);
		if (bufs != NULL)
			munmap(bufs, (size_t)TR_BUF_SLOTS * TR_BUF_SIZE);
		for (int i = 0; i < ncounters; i++)
			munmap(counters[i].t, ZP_SHARED_SLICE);
		if (root_fd >= 0)
			close(root_fd);
		while (child > 0 && waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	if (fork() != 0)
		_exit(0);
	/* out of the terminal's process group (^C is the program's), and
	 * holding none of the program's descriptors (a pipe's reader would
	 * wait for it), only the trace's */
	setsid();
	prctl(PR_SET_NAME, "zpoline-watch");
	sh = p;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (null >= 0 && fd != trace_fd)
			dup2(null, fd);
	/* all but the trace's, the shared memory's, the execve socket's and
	 * the program's pidfd */
	int keep[4] = { trace_fd, shared_fd, es[0], root_fd }, from = 3;
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (int i = 0; i < 4; i++) {
		if (keep[i] < from)
			continue;
		if (keep[i] > from)
			syscall(SYS_close_range, from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0u, 0);
	close(shared_fd);
	exec_recv = es[0];
	out_fd = trace_fd;
	signal(SIGPIPE, SIG_IGN);
	watch();
}
