/* probe LIB -- one marked system call from each kind of site, and whether
 * it was answered by the hook. Run under `deny getppid,clock_gettime=EPERM`:
 * a call that fails with EPERM was caught; one that succeeds was not.
 *
 *   libc wrapper        getppid()
 *   inline              a `syscall` instruction in this executable
 *   thread              getppid() in a new thread
 *   signal handler      getppid() in a SIGUSR1 handler
 *   vDSO fallback       clock_gettime(CLOCK_THREAD_CPUTIME_ID): the vDSO's syscall
 *   dlopen'd library    the inline syscall of LIB, loaded now
 *   JIT page            a page written and made executable at run time
 *   forked child        getppid() after fork
 *   exec'd child        this program again, with an empty environment */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *verdict(long r)
{
	return r == -1 && errno == EPERM ? "caught" : r == -EPERM ? "caught" : "missed";
}

static void report(const char *kind, const char *v)
{
	printf("%-18s %s\n", kind, v);
	fflush(stdout);
}

static volatile const char *in_handler;

static void handler(int sig)
{
	(void)sig;
	in_handler = verdict(getppid());
}

static void *thread(void *a)
{
	(void)a;
	return (void *)verdict(getppid());
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[2], "exec") == 0) {
		report("exec'd child", verdict(getppid()));
		return 0;
	}
	if (argc < 2)
		return 2;

	report("libc wrapper", verdict(getppid()));

	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
	report("inline", verdict(r));

	pthread_t t;
	void *v;
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, &v);
	report("thread", v);

	signal(SIGUSR1, handler);
	raise(SIGUSR1);
	report("signal handler", (const char *)in_handler);

	struct timespec ts;
	report("vDSO fallback", verdict(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)));

	void *h = dlopen(argv[1], RTLD_NOW);
	long (*lib)(void) = h ? (long (*)(void))dlsym(h, "lib_getppid") : NULL;
	report("dlopen'd library", lib ? verdict(lib()) : "dlopen failed");

	static const unsigned char code[] = { 0xb8, SYS_getppid, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(p, code, sizeof(code));
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	report("JIT page", verdict(((long (*)(void))p)()));

	pid_t c = fork();
	if (c == 0) {
		report("forked child", verdict(getppid()));
		_exit(0);
	}
	waitpid(c, NULL, 0);

	c = fork();
	if (c == 0) {
		char *args[] = { argv[0], argv[1], "exec", NULL }, *env[] = { NULL };
		execve("/proc/self/exe", args, env);
		_exit(127);
	}
	waitpid(c, NULL, 0);
	return 0;
}
