/* fds -- the descriptors a program can observe, by every means it has:
 * listing /proc/self/fd, /proc/self/task/TID/fd and /dev/fd, probing each
 * number up to RLIMIT_NOFILE with fstat, fstatat(AT_EMPTY_PATH), statx,
 * fcntl, dup, dup3 and a relative openat, then the same in an exec'd
 * child. The runtime's own descriptors must not show. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

static void report(void)
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
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("-- exec'd child\n");
		report();
		return 0;
	}
	report();
	/* close_range over everything but stdio: then nothing else is open */
	if (syscall(SYS_close_range, 3, ~0u, 0) != 0)
		printf("close_range: %s\n", strerror(errno));
	printf("-- after close_range(3, ~0)\n");
	report();
	pid_t p = fork();
	if (p == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
