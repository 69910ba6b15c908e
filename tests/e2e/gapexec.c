/* gapexec -- executes itself with its environment's one string in the
 * pages between the trampoline's (0x2000: the program's to map, where
 * vm.mmap_min_addr allows it): the new image must be hooked all the same,
 * and make its 3 getppid calls counted */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 0; i < 3; i++)
			syscall(SYS_getppid);
		puts("child");
		return 0;
	}
	static char fallback[] = "A=1";
	char *m = mmap((void *)0x2000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	char *s = m == MAP_FAILED ? fallback : m;
	strcpy(s, "A=1");
	char *args[] = { argv[0], "child", NULL }, *envp[] = { s, NULL };
	execve("/proc/self/exe", args, envp);
	perror("execve");
	return 1;
}
