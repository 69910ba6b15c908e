/* jit -- system calls from a page written at run time (the runtime never
 * saw it), from the main thread, a new thread and a forked child; then
 * what the site's bytes are (the safety net rewrites a caught site whose
 * code leaves the red zone alone), and a second function that keeps a
 * value in the red zone across its syscall, which must survive. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static long (*jit)(void);
static void *thr(void *a) { (void)a; return (void *)jit(); }

int main(void)
{
	/* mov $110,%eax (getppid); syscall; ret */
	static const unsigned char code[] = { 0xb8, 110, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	/* movq $42,-8(%rsp); mov $110,%eax; syscall; mov -8(%rsp),%rax; ret */
	static const unsigned char redzone[] = { 0x48, 0xc7, 0x44, 0x24, 0xf8, 42, 0, 0, 0,
						 0xb8, 110, 0, 0, 0, 0x0f, 0x05,
						 0x48, 0x8b, 0x44, 0x24, 0xf8, 0xc3 };
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(p, code, sizeof(code));
	memcpy(p + 64, redzone, sizeof(redzone));
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	jit = (long (*)(void))p;
	printf("main thread: %s\n", jit() < 0 ? "failed" : "made");
	pthread_t t; void *r; pthread_create(&t, NULL, thr, NULL); pthread_join(t, &r);
	printf("new thread: %s\n", (long)r < 0 ? "failed" : "made");
	printf("again: %s\n", jit() < 0 ? "failed" : "made");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) { printf("forked child: %s\n", jit() < 0 ? "failed" : "made"); fflush(stdout); _exit(0); }
	waitpid(c, NULL, 0);
	printf("site: %02x %02x\n", p[5], p[6]);
	long v = 0;
	for (int i = 0; i < 3; i++)
		v += ((long (*)(void))(p + 64))();
	printf("red zone: %ld, site: %02x %02x\n", v, p[64 + 14], p[64 + 15]);
	return 0;
}
