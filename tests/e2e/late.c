/* late LIB -- dlopen LIB while another thread makes system calls, and
 * call its function that makes an inline syscall (getppid). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static volatile int stop;
static void *spin(void *a) { while (!stop) getpid(); return a; }
int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	pthread_t t; pthread_create(&t, NULL, spin, NULL);
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
	long (*f)(void) = (long (*)(void))dlsym(h, "lib_getppid");
	if (f == NULL) { printf("dlsym: %s\n", dlerror()); return 1; }
	long r = f();
	stop = 1; pthread_join(t, NULL);
	printf("dlopen'd library's own syscall: %s\n", r < 0 ? "failed" : "made");
	return 0;
}
