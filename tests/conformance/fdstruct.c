/* fdstruct -- the descriptors a program can observe inside structures and
 * behind paths: every number below FD_SETSIZE (the runtime keeps its own
 * there) in a pollfd (poll, ppoll, one entry and among many), in a
 * select/pselect set, in an SCM_RIGHTS message (sendmsg, sendmmsg), and
 * by its name in /proc (/proc/self/fd/N, /proc/thread-self/fd/N,
 * /proc/PID/fd/N, /dev/fd/N, /proc/self/fdinfo/N, fd/N from /proc/self,
 * N from a descriptor and from a working directory on /proc/self/fd)
 * through the calls that take a path. What shows must be what shows
 * natively: the runtime's own descriptors answer as closed ones (POLLNVAL,
 * EBADF, ENOENT). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

static int top;                 /* the numbers probed: 0..top-1 */
static int sv[2] = { -1, -1 }, procfd = -1, ino = -1;
static const char *form = "/proc/self/fd/%d";
static char path[128];

/* probe -- the numbers for which fn answers as for an open descriptor
 * (0, or an error other than closed's, shown beside it) */
static void probe(const char *how, int closed, int (*fn)(int))
{
	int none = 1;

	printf("%s:", how);
	for (int fd = 0; fd < top; fd++) {
		int r = fn(fd);
		if (r == closed)
			continue;
		none = 0;
		if (r == 0)
			printf(" %d", fd);
		else
			printf(" %d(%s)", fd, strerror(r));
	}
	printf("%s\n", none ? " none" : "");
	fflush(stdout);
}

/* ---- pollfd ---- */

static int by_poll(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	int r = poll(&p, 1, 200);
	if (r < 0)
		return errno;
	return r == 1 && p.revents == POLLNVAL ? EBADF : 0;
}

static int by_poll_many(int fd)
{
	/* among 40 entries of nothing (-1), past the first 32, twice */
	struct pollfd p[40];
	for (int i = 0; i < 40; i++)
		p[i] = (struct pollfd){ -1, POLLIN, (short)0x5a5a };
	p[35].fd = fd;
	p[35].events = POLLIN | POLLOUT;
	p[3] = p[35];
	int r = poll(p, 40, 200);
	if (r < 0)
		return errno;
	for (int i = 0; i < 40; i++)
		if (i != 3 && i != 35 && (p[i].fd != -1 || p[i].revents != 0))
			return EINVAL;
	if (p[3].fd != fd || p[35].fd != fd || p[3].revents != p[35].revents)
		return EINVAL;
	return r == 2 && p[35].revents == POLLNVAL ? EBADF : r == 2 ? 0 : ERANGE;
}

static int by_ppoll(int fd)
{
	struct pollfd p[2] = { { fd, POLLIN | POLLOUT, 0 }, { sv[0], POLLIN, 0 } };
	struct timespec t = { 0, 200000000 };
	int r = ppoll(p, 2, &t, NULL);
	if (r < 0)
		return errno;
	if (p[1].revents != 0 && fd != sv[0])
		return EINVAL;
	return r == 1 && p[0].revents == POLLNVAL ? EBADF : 0;
}

/* ---- fd_set ---- */

static int by_select(int fd)
{
	fd_set s;
	struct timeval t = { 0, 0 };
	FD_ZERO(&s);
	FD_SET(fd, &s);
	return select(fd + 1, NULL, &s, NULL, &t) >= 0 ? 0 : errno;
}

static int by_pselect(int fd)
{
	fd_set s, e;
	struct timespec t = { 0, 0 };
	sigset_t none;
	sigemptyset(&none);
	FD_ZERO(&s);
	FD_ZERO(&e);
	FD_SET(fd, &e);
	return pselect(top, &s, NULL, &e, &t, &none) >= 0 ? 0 : errno;
}

/* ---- SCM_RIGHTS ---- */

/* drain -- what the probe's socket received, descriptors closed */
static void drain(void)
{
	char b[8];
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec v = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };

	while (recvmsg(sv[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
					int got;
					memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(got));
					close(got);
				}
		m.msg_controllen = sizeof(ctl);
	}
}

struct rights {
	struct iovec v;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
};

static void rights(struct msghdr *m, struct rights *r, int fd)
{
	/* the socket's own end first, then fd */
	int fds[2] = { sv[0], fd };
	r->v = (struct iovec){ "x", 1 };
	*m = (struct msghdr){ .msg_iov = &r->v, .msg_iovlen = 1, .msg_control = r->u.buf,
			      .msg_controllen = sizeof(r->u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
}

static int by_sendmsg(int fd)
{
	struct msghdr m;
	struct rights rs;
	rights(&m, &rs, fd);
	int r = sendmsg(sv[0], &m, 0) >= 0 ? 0 : errno;
	drain();
	return r;
}

static int by_sendmmsg(int fd)
{
	/* a plain message, then one with fd: natively 1 (the second
	 * refused) for a closed one */
	struct mmsghdr v[3];
	struct rights r;
	struct iovec plain = { "y", 1 };
	memset(v, 0, sizeof(v));
	v[0].msg_hdr.msg_iov = &plain;
	v[0].msg_hdr.msg_iovlen = 1;
	rights(&v[1].msg_hdr, &r, fd);
	v[2] = v[0];
	int n = sendmmsg(sv[0], v, 3, 0), e = errno;
	drain();
	if (n < 0)
		return e;
	if (v[0].msg_len != 1 || (n >= 2 && v[1].msg_len != 1))
		return EINVAL;
	return n == 3 ? 0 : n == 1 ? EBADF : ERANGE;
}

/* ---- paths ---- */

static const char *name(int fd)
{
	snprintf(path, sizeof(path), form, fd);
	return path;
}

static int err(long r)
{
	return r >= 0 ? 0 : errno;
}

static int by_stat(int fd)
{
	struct stat st;
	return err(stat(name(fd), &st));
}

static int by_lstat(int fd)
{
	struct stat st;
	return err(lstat(name(fd), &st));
}

static int by_fstatat(int fd)
{
	struct stat st;
	return err(fstatat(AT_FDCWD, name(fd), &st, AT_SYMLINK_NOFOLLOW));
}

static int by_statx(int fd)
{
	struct statx sx;
	return err(statx(AT_FDCWD, name(fd), 0, STATX_BASIC_STATS, &sx));
}

static int by_access(int fd)
{
	return err(access(name(fd), F_OK));
}

static int by_faccessat2(int fd)
{
	return err(syscall(SYS_faccessat2, AT_FDCWD, name(fd), F_OK, AT_EACCESS));
}

static int by_readlink(int fd)
{
	char b[256];
	return err(readlink(name(fd), b, sizeof(b)));
}

static int by_open(int fd)
{
	/* as root the runtime's mode-0 files would open */
	int n = open(name(fd), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (n >= 0)
		close(n);
	return err(n);
}

static int by_open_path(int fd)
{
	int n = open(name(fd), O_PATH | O_CLOEXEC);
	if (n >= 0)
		close(n);
	return err(n);
}

static int by_lgetxattr(int fd)
{
	char b[64];
	return err(lgetxattr(name(fd), "user.zp", b, sizeof(b)));
}

static int by_utimensat(int fd)
{
	/* the link itself: procfs refuses to change it */
	return err(utimensat(AT_FDCWD, name(fd), NULL, AT_SYMLINK_NOFOLLOW));
}

static int by_truncate(int fd)
{
	/* not a file of the caller's that is open (stdout may be one) */
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return err(truncate(name(fd), 0));
}

static int by_inotify(int fd)
{
	int w = inotify_add_watch(ino, name(fd), IN_CLOSE_NOWRITE);
	if (w >= 0)
		inotify_rm_watch(ino, w);
	return err(w);
}

static int by_execve(int fd)
{
	/* nothing there is executable; a tracer's descriptor of the call's
	 * own (its exec watch) is one of the runtime's while the call runs */
	char *argv[] = { "none", NULL };
	return err(execve(name(fd), argv, environ));
}

static int by_chdir(int fd)
{
	int r = chdir(name(fd));
	if (r == 0 && chdir("/") != 0)
		abort();
	return err(r);
}

/* a relative path from a directory of descriptors */
static int by_openat_rel(int fd)
{
	char b[16];
	snprintf(b, sizeof(b), "%d", fd);
	int n = openat(procfd, b, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (n >= 0)
		close(n);
	return err(n);
}

static int by_readlinkat_rel(int fd)
{
	char b[16], t[256];
	snprintf(b, sizeof(b), "%d", fd);
	return err(readlinkat(procfd, b, t, sizeof(t)));
}

static int by_statx_rel(int fd)
{
	char b[16];
	struct statx sx;
	snprintf(b, sizeof(b), "./%d", fd);
	return err(statx(procfd, b, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
}

/* other -- a thread of this process, waiting to be told to end */
static int other_pipe[2];
static pid_t other_tid;

static void *other(void *arg)
{
	char c;
	(void)arg;
	__atomic_store_n(&other_tid, gettid(), __ATOMIC_RELEASE);
	return read(other_pipe[0], &c, 1) < 0 ? arg : NULL;
}

int main(void)
{
	struct rlimit rl;
	char pidform[64];

	getrlimit(RLIMIT_NOFILE, &rl);
	top = rl.rlim_cur < FD_SETSIZE ? (int)rl.rlim_cur : FD_SETSIZE;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    (procfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (ino = inotify_init1(IN_CLOEXEC)) < 0) {
		perror("fdstruct: setup");
		return 1;
	}
	printf("probes' own: %d %d %d %d\n", sv[0], sv[1], procfd, ino);
	/* a descriptor table as large as the sets: select ignores numbers
	 * past its end (the runtime's descriptors would make it larger) */
	if (dup2(sv[0], top - 1) != top - 1 || close(top - 1) != 0) {
		perror("fdstruct: dup2");
		return 1;
	}
	probe("poll", EBADF, by_poll);
	probe("poll (40 entries)", EBADF, by_poll_many);
	probe("ppoll", EBADF, by_ppoll);
	probe("select", EBADF, by_select);
	probe("pselect6", EBADF, by_pselect);
	probe("sendmsg SCM_RIGHTS", EBADF, by_sendmsg);
	probe("sendmmsg SCM_RIGHTS", EBADF, by_sendmmsg);

	probe("stat", ENOENT, by_stat);
	probe("lstat", ENOENT, by_lstat);
	probe("fstatat", ENOENT, by_fstatat);
	probe("statx", ENOENT, by_statx);
	probe("access", ENOENT, by_access);
	probe("faccessat2", ENOENT, by_faccessat2);
	probe("readlink", ENOENT, by_readlink);
	probe("open", ENOENT, by_open);
	probe("open O_PATH", ENOENT, by_open_path);
	probe("lgetxattr", ENOENT, by_lgetxattr);
	probe("utimensat", ENOENT, by_utimensat);
	probe("truncate", ENOENT, by_truncate);
	probe("inotify_add_watch", ENOENT, by_inotify);
	probe("execve", ENOENT, by_execve);
	probe("chdir", ENOENT, by_chdir);
	static const char *forms[] = {
		"/proc/thread-self/fd/%d", "/dev/fd/%d", "/proc/self/fdinfo/%d", "/proc/self/fd/./%d",
		"/proc/self/fd/%d/", "/proc/self/fd/%d/x",
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		form = forms[i];
		printf("%s ", form);
		probe("lstat", ENOENT, by_lstat);
	}
	snprintf(pidform, sizeof(pidform), "/proc/%ld/fd/%%d", (long)getpid());
	form = pidform;
	printf("/proc/PID/fd/%%d ");
	probe("lstat", ENOENT, by_lstat);
	snprintf(pidform, sizeof(pidform), "/proc/%ld/task/%ld/fdinfo/%%d", (long)getpid(), (long)gettid());
	printf("/proc/PID/task/TID/fdinfo/%%d ");
	probe("lstat", ENOENT, by_lstat);
	/* another thread's view, and the same by its id under /proc */
	pthread_t th;
	if (pipe2(other_pipe, O_CLOEXEC) != 0 || pthread_create(&th, NULL, other, NULL) != 0)
		return 1;
	while (__atomic_load_n(&other_tid, __ATOMIC_ACQUIRE) == 0)
		usleep(1000);
	snprintf(pidform, sizeof(pidform), "/proc/self/task/%ld/fd/%%d", (long)other_tid);
	printf("/proc/self/task/OTHER/fd/%%d ");
	probe("lstat", ENOENT, by_lstat);
	snprintf(pidform, sizeof(pidform), "/proc/%ld/fdinfo/%%d", (long)other_tid);
	printf("/proc/OTHER/fdinfo/%%d ");
	probe("lstat", ENOENT, by_lstat);
	if (write(other_pipe[1], "x", 1) != 1 || pthread_join(th, NULL) != 0)
		return 1;
	close(other_pipe[0]);
	close(other_pipe[1]);
	probe("openat(/proc/self/fd, N)", ENOENT, by_openat_rel);
	probe("readlinkat(/proc/self/fd, N)", ENOENT, by_readlinkat_rel);
	probe("statx(/proc/self/fd, ./N)", ENOENT, by_statx_rel);
	if (chdir("/proc/self") != 0)
		return 1;
	form = "fd/%d";
	printf("from /proc/self: ");
	probe("lstat", ENOENT, by_lstat);
	if (chdir("fd") != 0)
		return 1;
	form = "%d";
	printf("from /proc/self/fd: ");
	probe("lstat", ENOENT, by_lstat);
	printf("from /proc/self/fd: ");
	probe("open", ENOENT, by_open);
	return 0;
}
