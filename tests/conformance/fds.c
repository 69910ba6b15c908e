/* fds -- the descriptors a program can observe, by every means it has:
 * listing /proc/self/fd, /proc/self/task/TID/fd and /dev/fd, probing each
 * number up to RLIMIT_NOFILE with fstat, fstatat(AT_EMPTY_PATH), statx,
 * fcntl, dup, dup3 and a relative openat, then (in the program itself)
 * in the other positions of sendfile, splice, tee, copy_file_range,
 * epoll_ctl, renameat, linkat, symlinkat, mmap and fanotify_mark, as
 * signalfd's (where -1 would make a new one), and by
 * opening /proc/self/fd/N (as root the runtime's mode-0 memfds would
 * open); the first ones again after close_range and in an exec'd child.
 * The runtime's own descriptors must not show. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void list(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int self = d != NULL ? dirfd(d) : -1;

	printf("%s:", strncmp(dir, "/proc/self/task/", 16) == 0 ? "task fd" : dir);
	if (d == NULL) {
		printf(" %s\n", strerror(errno));
		return;
	}
	/* readdir's order is the kernel's: ascending numbers */
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) != self)
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
}

static void probe(const char *how, int (*fn)(int))
{
	struct rlimit rl;
	int first = 1;

	getrlimit(RLIMIT_NOFILE, &rl);
	printf("%s:", how);
	for (long fd = 0; fd < (long)rl.rlim_cur; fd++) {
		int r = fn((int)fd);
		if (r == 0) {
			printf(" %ld", fd);
			first = 0;
		} else if (r != EBADF) {
			printf(" %ld(%s)", fd, strerror(r));
		}
	}
	printf("%s\n", first ? " none" : "");
}

static int by_fstat(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? 0 : errno;
}

static int by_fstatat(int fd)
{
	struct stat st;
	return fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 ? 0 : errno;
}

static int by_statx(int fd)
{
	struct statx sx;
	return statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) == 0 ? 0 : errno;
}

static int by_fcntl(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 ? 0 : errno;
}

static int by_dup(int fd)
{
	int n = dup(fd);
	if (n < 0)
		return errno;
	close(n);
	return 0;
}

static int by_dup3(int fd)
{
	/* onto a number nothing uses */
	int n = dup3(fd, 900, O_CLOEXEC);
	if (n < 0)
		return errno == EINVAL ? 0 : errno;     /* fd == 900 */
	close(n);
	return 0;
}

static int by_openat(int fd)
{
	/* a relative path under a descriptor that is not a directory:
	 * ENOTDIR for an open one, EBADF for a closed one */
	int n = openat(fd, "x", O_RDONLY);
	if (n >= 0) {
		close(n);
		return 0;
	}
	return errno == ENOTDIR || errno == ENOENT || errno == EACCES ? 0 : errno;
}

/* Descriptors in other positions than the first. The probes move no
 * data: empty pipes, nothing to copy, paths that cannot be made. */
static int empty[2] = { -1, -1 }, devnull = -1, ep = -1, fan = -1;

static int by_sendfile(int fd)
{
	/* in_fd: EBADF for a closed (or unreadable) one */
	return sendfile(devnull, fd, NULL, 0) >= 0 ? 0 : errno;
}

static int by_splice(int fd)
{
	/* fd_out, after an empty pipe's read end */
	return splice(empty[0], NULL, fd, NULL, 1, SPLICE_F_NONBLOCK) >= 0 ? 0 : errno == EAGAIN ? 0 : errno;
}

static int by_tee(int fd)
{
	return tee(empty[0], fd, 1, SPLICE_F_NONBLOCK) >= 0 ? 0 : errno == EAGAIN || errno == EINVAL ? 0 : errno;
}

static int by_copy_file_range(int fd)
{
	/* fd_out */
	return copy_file_range(devnull, NULL, fd, NULL, 0, 0) >= 0 ? 0 : errno;
}

static int by_epoll_ctl(int fd)
{
	/* the target: ENOENT for an open one never added */
	return epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) == 0 ? 0 : errno == ENOENT || errno == EPERM ? 0 : errno;
}

static int by_renameat(int fd)
{
	/* newdirfd, with a relative path that cannot be made */
	int r = renameat(AT_FDCWD, "/nonexistent-zp", fd, "x/y") == 0 ? 0 : errno;
	return r == ENOTDIR || r == ENOENT ? 0 : r;
}

static int by_linkat(int fd)
{
	/* newdirfd; linking a directory is refused after the lookup */
	int r = linkat(AT_FDCWD, "/", fd, "x/y", 0) == 0 ? 0 : errno;
	return r == ENOTDIR || r == ENOENT || r == EPERM ? 0 : r;
}

static int by_symlinkat(int fd)
{
	/* newdirfd, the second argument */
	int r = symlinkat("t", fd, "x/y") == 0 ? 0 : errno;
	return r == ENOTDIR || r == ENOENT ? 0 : r;
}

static int by_mmap(int fd)
{
	/* the fifth argument */
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return errno == EBADF ? EBADF : 0;
	munmap(p, 4096);
	return 0;
}

static int by_fanotify_mark(int fd)
{
	/* dirfd, the fourth argument, with a path that cannot be found */
	int r = fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN, fd, "x/y") == 0 ? 0 : errno;
	return r == ENOTDIR || r == ENOENT ? 0 : r;
}

static int by_signalfd(int fd)
{
	/* EINVAL for an open descriptor that is no signalfd */
	sigset_t none;
	sigemptyset(&none);
	int n = signalfd(fd, &none, SFD_CLOEXEC);
	return n >= 0 || errno == EINVAL ? 0 : errno;
}

static int by_chmod(int fd)
{
	/* the mode it has (nothing changes), through its name in /proc:
	 * ENOENT for a closed one; the runtime's memfds were made readable
	 * this way by their owner, then opened */
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (stat(path, &st) != 0)
		return errno == ENOENT ? EBADF : errno;
	if (!(S_ISREG(st.st_mode) && st.st_nlink == 0))
		return EBADF;   /* a named file or a pipe: not the question */
	return chmod(path, st.st_mode & 07777) == 0 ? 0 : errno == ENOENT ? EBADF : errno;
}

static int by_reopen(int fd)
{
	/* by its name in /proc: ENOENT for a closed one, as root too. Only
	 * files with no other name show (a memfd, a socket: ENXIO); the
	 * runtime's -o file or copy of stderr may be opened by name. */
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int n = open(path, O_RDONLY | O_CLOEXEC);
	if (n >= 0) {
		int nameless = fstat(n, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
		close(n);
		return nameless ? 0 : EBADF;
	}
	return errno == ENOENT ? EBADF : errno == ENXIO ? 0 : errno;
}

/* report -- what shows; with others, the other positions too */
static void report(int others)
{
	char task[64];

	snprintf(task, sizeof(task), "/proc/self/task/%ld/fd", (long)syscall(SYS_gettid));
	list("/proc/self/fd");
	list("/dev/fd");
	list(task);
	probe("fstat", by_fstat);
	probe("fstatat", by_fstatat);
	probe("statx", by_statx);
	probe("fcntl", by_fcntl);
	probe("dup", by_dup);
	probe("dup3", by_dup3);
	probe("openat", by_openat);
	if (!others) {
		fflush(stdout);
		return;
	}
	pipe2(empty, O_CLOEXEC);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	fan = fanotify_init(FAN_CLOEXEC, O_RDONLY);
	if (fan < 0)
		printf("fanotify_init: %s\n", strerror(errno));
	printf("probes' own: %d %d %d %d %d\n", empty[0], empty[1], devnull, ep, fan);
	probe("sendfile in_fd", by_sendfile);
	probe("splice fd_out", by_splice);
	probe("tee fd_out", by_tee);
	probe("copy_file_range fd_out", by_copy_file_range);
	probe("epoll_ctl fd", by_epoll_ctl);
	probe("renameat newdirfd", by_renameat);
	probe("linkat newdirfd", by_linkat);
	probe("symlinkat newdirfd", by_symlinkat);
	probe("mmap fd", by_mmap);
	probe("signalfd fd", by_signalfd);
	if (fan >= 0)
		probe("fanotify_mark dirfd", by_fanotify_mark);
	probe("open /proc/self/fd/N (nameless files)", by_reopen);
	probe("chmod /proc/self/fd/N (nameless files)", by_chmod);
	close(empty[0]);
	close(empty[1]);
	close(devnull);
	close(ep);
	if (fan >= 0)
		close(fan);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("-- exec'd child\n");
		report(0);
		return 0;
	}
	report(1);
	/* close_range over everything but stdio: then nothing else is open */
	if (syscall(SYS_close_range, 3, ~0u, 0) != 0)
		printf("close_range: %s\n", strerror(errno));
	printf("-- after close_range(3, ~0)\n");
	report(0);
	pid_t p = fork();
	if (p == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
