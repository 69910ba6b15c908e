/* sysnames -- the generated table agrees with <sys/syscall.h>, both ways */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "zp.h"

#define C(name) { SYS_##name, #name }

int main(void)
{
	static const struct {
		long nr;
		const char *name;
	} known[] = {
		C(read), C(write), C(open), C(close), C(mmap), C(rt_sigaction), C(rt_sigreturn),
		C(ioctl), C(pread64), C(clone), C(fork), C(vfork), C(execve), C(exit), C(wait4),
		C(kill), C(getpid), C(arch_prctl), C(gettid), C(futex), C(exit_group), C(openat),
		C(newfstatat), C(pipe2), C(prlimit64), C(getrandom), C(rseq), C(clone3),
		C(close_range), C(openat2), C(faccessat2), C(process_mrelease),
	};
	int fails = 0, n = (int)(sizeof(known) / sizeof(known[0]));

	for (int i = 0; i < n; i++) {
		const char *name = zp_syscall_name(known[i].nr);
		if (name == NULL || strcmp(name, known[i].name) != 0) {
			printf("%ld: table says %s, <sys/syscall.h> says %s\n", known[i].nr,
			       name ? name : "nothing", known[i].name);
			fails++;
		}
		if (zp_syscall_number(known[i].name) != known[i].nr) {
			printf("%s: table gives %ld, not %ld\n", known[i].name,
			       zp_syscall_number(known[i].name), known[i].nr);
			fails++;
		}
	}
	if (zp_syscall_name(-1) != NULL || zp_syscall_name(100000) != NULL ||
	    zp_syscall_number("no_such_call") != -1) {
		puts("out-of-range lookups should find nothing");
		fails++;
	}
	printf("%d passed, %d failed\n", 2 * n + 1 - fails, fails);
	return fails != 0;
}
