/* util.c -- small things the tool and the runtime both need */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zp.h"

uint64_t zp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The kernel sizes a process's descriptor table to the highest number in
 * use, rounded up to a power of two, and copies it on every fork: a
 * descriptor at 19,936 (a limit of 20,000) costs a 256 KiB table, about
 * 30 us to make at start-up, and a copy in each child; at 524,224 (systemd's
 * hard limit) 4 MiB. Above this, the table is as large as it needs to be. */
#define HIGH_FD_TABLE 1024

/* zp_high_fd -- the top 64 numbers of a large descriptor table (the
 * first HIGH_FD_TABLE, or RLIMIT_NOFILE when lower), the top eighth of a
 * small one (RLIMIT_NOFILE may be anything down to a few); any free
 * number >= 3 when those are taken */
int zp_high_fd(int fd)
{
	struct rlimit rl;
	long floor = 100;
	int r;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur <= INT_MAX) {
		long limit = rl.rlim_cur < HIGH_FD_TABLE ? (long)rl.rlim_cur : HIGH_FD_TABLE;
		floor = limit > 200 ? limit - 64 : limit - limit / 8 - 2;
	}
	if (floor < 3)
		floor = 3;
	r = fcntl(fd, F_DUPFD, (int)floor);
	if (r < 0 && (errno == EMFILE || errno == EINVAL) && floor > 3)
		r = fcntl(fd, F_DUPFD, 3);
	return r < 0 ? -errno : r;
}

bool zp_pkeys(void)
{
	/* the kernel then gives PROT_EXEC-only mappings its execute-only key */
	long k = syscall(SYS_pkey_alloc, 0, 0);

	if (k < 0)
		return false;
	syscall(SYS_pkey_free, k);
	return true;
}
