/* smallalt -- the program's SIGILL and SIGSYS handlers ask for a small
 * alternate stack (SA_ONSTACK; Python's faulthandler takes 16 KiB, and
 * sysconf's MINSIGSTKSZ is what the kernel needs for a signal frame). In
 * trap and sud mode every system call arrives by one of those signals, on
 * that stack: its emulation must not overflow it, neither a plain call nor
 * a dlopen (a library loaded late is rewritten). The handlers never run
 * natively. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void handler(int sig)
{
	static const char msg[] = "the program's handler ran\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(99);
}

/* with_alt_stack -- calls, then a dlopen, on an alternate stack of size
 * bytes, which ends at an inaccessible page */
static void with_alt_stack(const char *what, size_t size, const char *lib)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (size + page - 1) / page * page;
	char *map = mmap(NULL, page + len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = map + page + len - size, .ss_size = size };
	struct sigaction sa;
	struct timespec ts = { 0, 1000 };
	int pid = 0;

	mprotect(map, page, PROT_NONE);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSYS, &sa, NULL);
	for (int i = 0; i < 10; i++)
		pid |= getppid() <= 0;
	nanosleep(&ts, NULL);
	printf("%s: calls made%s\n", what, pid ? " (getppid failed)" : "");
	fflush(stdout);
	if (lib != NULL) {
		void *h = dlopen(lib, RTLD_NOW);
		printf("%s: dlopen %s %s\n", what, lib, h != NULL && dlsym(h, "cos") != NULL ? "ok" : "failed");
		fflush(stdout);
	}
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	munmap(map, page + len);
}

int main(void)
{
	long min = sysconf(_SC_MINSIGSTKSZ);

	with_alt_stack("MINSIGSTKSZ", min > 0 ? (size_t)min : MINSIGSTKSZ, NULL);
	with_alt_stack("16 KiB", 16384, "libm.so.6");
	puts("done");
	return 0;
}
