/* slotout-late -- slotout-asm.S's calls from a library loaded after
 * start-up (argv[1], dlopen'ed): the late path rewrites its slot-output
 * sites as start-up does, with no SIGILL (nosigill.py, "late"). Prints
 * what the calls return. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: slotout-late LIBRARY\n");
		return 2;
	}
	void *lib = dlopen(argv[1], RTLD_NOW);
	if (lib == NULL) {
		fprintf(stderr, "slotout-late: %s\n", dlerror());
		return 1;
	}
	long (*getown_ex)(int, int *) = (long (*)(int, int *))dlsym(lib, "so_getown_ex");
	long (*altstack_old)(stack_t *) = (long (*)(stack_t *))dlsym(lib, "so_altstack_old");
	if (getown_ex == NULL || altstack_old == NULL) {
		fprintf(stderr, "slotout-late: %s lacks so_getown_ex or so_altstack_old\n", argv[1]);
		return 1;
	}
	int p[2], type = -1;
	if (pipe(p) != 0 || fcntl(p[0], F_SETOWN, getpid()) != 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		long owner = getown_ex(p[0], &type);
		stack_t old = { 0 };
		long r = altstack_old(&old);
		printf("getown_ex: owner is self %d, type %d; sigaltstack: %ld, disabled %d\n", owner == getpid(),
		       type, r, (old.ss_flags & SS_DISABLE) != 0);
	}
	return 0;
}
