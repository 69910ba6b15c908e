/* spin -- its DT_NEEDED spin-lib runs a thread making system calls while
 * the runtime rewrites the code; this thread makes some too, then prints
 * "ok" when both threads made calls and the other never met a page it
 * could not execute. With an argument, it dlopens that
 * library (spin-late) first and calls into it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

unsigned long spin_count(void);
unsigned long spin_faults(void);

int main(int argc, char **argv)
{
	unsigned long seen = spin_count();

	if (argc > 1) {
		void *h = dlopen(argv[1], RTLD_NOW);
		long (*late)(void) = h != NULL ? (long (*)(void))dlsym(h, "late_getppid") : NULL;
		if (late == NULL || late() != getppid()) {
			fprintf(stderr, "spin: %s\n", h == NULL ? dlerror() : "late_getppid failed");
			return 1;
		}
	}
	for (int i = 0; i < 1000; i++)
		if (getppid() <= 0)
			return 2;
	while (spin_count() < seen + 1000)
		;
	if (spin_faults() != 0) {
		printf("the thread met code it could not execute %lu times\n", spin_faults());
		return 1;
	}
	puts("ok");
	return 0;
}
