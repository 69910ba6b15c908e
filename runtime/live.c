/* live.c -- rewriting code that other threads may be running: at
 * start-up when a library's constructor started threads before the
 * runtime's own ran, and for libraries loaded later by a threaded
 * program. The lazy rewrite (late.c) follows the same protocol one site
 * at a time. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#ifndef MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)
#endif

/* zp_sync_cores_register -- can zp_sync_cores work? (registers once) */
bool zp_sync_cores_register(void)
{
	static int registered;          /* 0 unknown, 1 yes, -1 no */

	if (__atomic_load_n(&registered, __ATOMIC_ACQUIRE) == 0)
		__atomic_store_n(&registered,
				 zp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
						0, 0, 0, 0, 0) == 0 ? 1 : -1,
				 __ATOMIC_RELEASE);
	return __atomic_load_n(&registered, __ATOMIC_ACQUIRE) > 0;
}

/* zp_sync_cores -- every core of this process serialised: none can still
 * execute bytes it fetched before */
void zp_sync_cores(void)
{
	zp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0, 0);
}

/* zp_other_threads -- may another thread of this process be running? The
 * link count of /proc/self/task is 2 plus the number of threads; when it
 * cannot be read, the answer is no: without /proc only mprotect can
 * rewrite anything (and the live path, which writes through /proc, could
 * not) */
bool zp_other_threads(void)
{
	struct stat st;

	return stat("/proc/self/task", &st) == 0 && st.st_nlink > 3;
}

/* sigill_blocker -- another thread that blocks SIGILL now (its SigBlk in
 * /proc), or 0 */
static long sigill_blocker(void)
{
	long self = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), found = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char path[64], buf[4096];

	while (d != NULL && found == 0 && (de = readdir(d)) != NULL) {
		long tid = strtol(de->d_name, NULL, 10);
		if (tid <= 0 || tid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		const char *blk = strstr(buf, "\nSigBlk:");
		if (blk != NULL && strtoull(blk + 9, NULL, 16) >> (SIGILL - 1) & 1)
			found = tid;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/* zp_threads_settle -- wait (a tenth of a second at most) until no other
 * thread blocks SIGILL; the one that still does, or 0. A trap site, or a
 * site the live protocol has half rewritten, reaches the hooks by SIGILL,
 * and the kernel kills a thread that meets one with SIGILL blocked. Once
 * the runtime runs, no thread can block it (rt_sigprocmask is the
 * runtime's); before, a thread just created is still starting with every
 * signal blocked, which lasts until it is first scheduled, and a thread
 * may block them all for good. */
long zp_threads_settle(void)
{
	const struct timespec ms = { 0, 1000000 };
	long tid = 0;

	for (int i = 0; i < 100 && (tid = sigill_blocker()) != 0; i++)
		zp_raw_syscall(SYS_nanosleep, (long)&ms, 0, 0, 0, 0, 0);
	return tid;
}

/* zp_live_patch -- rewrite the sites v[0..n) (each still 0f 05 or 0f 34,
 * and already in the call-site table or the trap list) in code that other
 * threads may be running: no page changes protection, and no core can
 * fetch a mix of old and new bytes. Each byte is written alone through
 * /proc/self/mem (the page is copied on write, and either copy is whole
 * code), all the second bytes first, then, after every core is
 * serialised, the first bytes of the calls:
 *   0f 05 -> 0f 0b (ud2: a trap site, done)
 *   0f 05 -> 0f d0 (#UD, which signal.c performs as a syscall) -> ff d0
 * as the lazy rewrite does one site at a time. Without membarrier's
 * SYNC_CORE the calls stay at 0f d0: slow but hooked. v[i].done says
 * which sites now reach the hooks; the number of them is returned. */
size_t zp_live_patch(struct zp_live *v, size_t n)
{
	size_t done = 0;
	bool calls = false;

	int fd = (int)zp_raw_syscall(SYS_open, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		v[i].done = zp_raw_syscall(SYS_pwrite64, fd, (long)&v[i].bytes[1], 1, (long)(v[i].addr + 1), 0,
					   0) == 1;
		done += v[i].done;
		calls |= v[i].done && v[i].bytes[0] != 0x0f;
	}
	if (calls && zp_sync_cores_register()) {
		zp_sync_cores();
		for (size_t i = 0; i < n; i++)
			if (v[i].done && v[i].bytes[0] != 0x0f)
				zp_raw_syscall(SYS_pwrite64, fd, (long)&v[i].bytes[0], 1, (long)v[i].addr, 0, 0);
		zp_sync_cores();
	}
	zp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
	return done;
}
