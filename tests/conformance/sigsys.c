/* sigsys -- the program's own SIGSYS handler keeps working, whatever the
 * runtime does with SIGSYS itself (--catch-late): a seccomp filter that
 * traps getppid, and a SIGSYS sent with raise(). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int seen, code, nr;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	seen++;
	code = si->si_code;
	nr = si->si_code == 1 /* SYS_SECCOMP */ ? si->si_syscall : -1;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);

	raise(SIGSYS);
	printf("raise: handler ran %d time(s), si_code %d\n", seen, code);

	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		printf("seccomp unavailable: %s\n", strerror(errno));
		return 0;
	}
	seen = 0;
	long r = syscall(SYS_getppid);
	printf("seccomp: handler ran %d time(s), si_code %d, for syscall %d; getppid returned %s\n", seen,
	       code, nr, r < 0 ? "an error" : "a pid");
	return 0;
}
