/* spin-lib -- a library whose constructor starts threads that make
 * system calls without end, through libc (getppid) and through a site of
 * its own: code on pages the runtime rewrites, running while it rewrites
 * them (its constructor may run before the runtime's). spin_count says
 * how many calls the threads made, spin_faults how many times one met code
 * it could not execute: a page made writable and not executable under it.
 * The fault handler runs no libc code, and returns: the fault repeats
 * until the page is executable again, and the thread goes on (without
 * it the thread dies with SIGSEGV, sometimes). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile unsigned long count, faults;

__attribute__((visibility("default"))) unsigned long spin_faults(void);
unsigned long spin_faults(void)
{
	return faults;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	faults++;
}

__attribute__((visibility("default"))) unsigned long spin_count(void);
unsigned long spin_count(void)
{
	return count;
}

/* own_getppid -- a syscall site in this library's own text */
static long own_getppid(void)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
	return r;
}

static void *spin(void *arg)
{
	static volatile char text[4096];

	(void)arg;
	memset((char *)text, 'x', sizeof(text) - 1);
	for (;;) {
		/* mostly in libc's code, between the calls too */
		if (getppid() <= 0 || own_getppid() <= 0)
			_exit(3);
		for (int i = 0; i < 16; i++)
			if (strlen((char *)text) != sizeof(text) - 1)
				_exit(3);
		count++;
	}
	return NULL;
}

__attribute__((constructor)) static void start(void)
{
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	/* three, on a core of their own where there are two: so that one
	 * is likely to run while the runtime rewrites, on a busy machine */
	pthread_attr_t attr;
	cpu_set_t main_cpu, other;
	CPU_ZERO(&main_cpu);
	CPU_ZERO(&other);
	CPU_SET(0, &main_cpu);
	CPU_SET(1, &other);
	pthread_attr_init(&attr);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1 && sched_setaffinity(0, sizeof(main_cpu), &main_cpu) == 0)
		pthread_attr_setaffinity_np(&attr, sizeof(other), &other);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, &attr, spin, NULL) != 0)
			_exit(4);
	while (count == 0)
		;
}
