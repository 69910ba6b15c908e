/* jit -- system calls from a page written at run time (the runtime never
 * saw it), from the main thread, a new thread and a forked child */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static long (*jit)(void);
static void *thr(void *a) { (void)a; return (void *)jit(); }
int main(void) {
	/* mov $110,%eax (getppid); syscall; ret */
	static const unsigned char code[] = { 0xb8, 110, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(p, code, sizeof(code));
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	jit = (long (*)(void))p;
	printf("main thread: %s\n", jit() < 0 ? "failed" : "made");
	pthread_t t; void *r; pthread_create(&t, NULL, thr, NULL); pthread_join(t, &r);
	printf("new thread: %s\n", (long)r < 0 ? "failed" : "made");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) { printf("forked child: %s\n", jit() < 0 ? "failed" : "made"); fflush(stdout); _exit(0); }
	waitpid(c, NULL, 0);
	return 0;
}
