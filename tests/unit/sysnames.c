/* sysnames -- the generated table agrees with <sys/syscall.h>, both ways */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "zp.h"

extern const uint32_t zp_syscall_args[];

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
	/* newer than old headers (Debian 12's stop at 450): from the kernel's
	 * syscall_64.tbl, a fixed ABI, whatever the build machine has */
	static const struct {
		long nr;
		const char *name;
	} newer[] = {
		{ 335, "uretprobe" }, { 451, "cachestat" }, { 452, "fchmodat2" }, { 462, "mseal" },
		{ 463, "setxattrat" }, { 464, "getxattrat" }, { 465, "listxattrat" },
		{ 466, "removexattrat" }, { 467, "open_tree_attr" }, { 468, "file_getattr" },
		{ 469, "file_setattr" },
	};
	int fails = 0, n = (int)(sizeof(known) / sizeof(known[0]));
	int nn = (int)(sizeof(newer) / sizeof(newer[0]));

	for (int i = 0; i < nn; i++) {
		const char *name = zp_syscall_name(newer[i].nr);
		if (name == NULL || strcmp(name, newer[i].name) != 0 ||
		    zp_syscall_number(newer[i].name) != newer[i].nr) {
			printf("%ld: table says %s, the kernel's table %s\n", newer[i].nr,
			       name ? name : "nothing", newer[i].name);
			fails++;
		}
		/* all but uretprobe take a path or a pointer: their kinds are there too */
		if (newer[i].nr != 335 && zp_syscall_args[newer[i].nr] == 0) {
			printf("%s: no argument kinds\n", newer[i].name);
			fails++;
		}
	}

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
	printf("%d passed, %d failed\n", 2 * n + 2 * nn + 1 - fails, fails);
	return fails != 0;
}
