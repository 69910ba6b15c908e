/* util.c -- small things the tool and the runtime both need */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>

#include "zp.h"

uint64_t zp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int zp_high_fd(int fd)
{
	struct rlimit rl;
	int floor = 100;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 200 && rl.rlim_cur != RLIM_INFINITY)
		floor = (int)(rl.rlim_cur - 64);
	int r = fcntl(fd, F_DUPFD, floor);
	return r < 0 ? -errno : r;
}
