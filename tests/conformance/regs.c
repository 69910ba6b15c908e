/* regs -- every register but rax, rcx and r11 keeps its value across a
 * system call, vector registers included, and the 128-byte red zone
 * below %rsp is untouched. Exercised at a site rewritten with a call, at
 * a red-zone site, and with numbers past the trampoline (negative, x32,
 * large), which take the fault path. Prints one line per case. */
#include <fcntl.h>
#include <sched.h>
#include <linux/sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct regs {
	unsigned long gpr[16];
	unsigned char ymm[16][32];
	unsigned char redzone[128];
};

void regs_call(struct regs *before, struct regs *after, long nr);
void regs_redzone(struct regs *before, struct regs *after, long nr);

struct avx512 {
	unsigned char zmm[32][64];      /* zmm0-31 */
	unsigned long long k[7];        /* k1-k7 */
};

void regs_avx512(struct avx512 *before, struct avx512 *after, long nr);
long regs_clone_ymm(const void *pattern, void *out, long a1, long a2, int fd, long nr);
long regs_clone_zmm(const void *pattern, void *out, long a1, long a2, int fd, long nr);

/* check_clone -- the child of a clone, clone3, fork or vfork starts with
 * its parent's vector registers (ymm0-15, or zmm0-31 and k1-k7), and the
 * parent keeps them: nr with a1 and a2 (regs_clone_*) */
static void check_clone(const char *what, long nr, long a1, long a2, bool zmm)
{
	static unsigned char out[8192] __attribute__((aligned(64)));
	unsigned char pattern[sizeof(struct avx512)], child[sizeof(struct avx512)];
	size_t size = zmm ? sizeof(struct avx512) : 16 * 32, got = 0;
	int fd[2];

	for (size_t i = 0; i < size; i++)
		pattern[i] = (unsigned char)(i * 29 + 3 + (size_t)nr);
	memset(out, 0, sizeof(out));
	if (pipe(fd) != 0) {
		perror("pipe");
		return;
	}
	long pid = (zmm ? regs_clone_zmm : regs_clone_ymm)(pattern, out, a1, a2, fd[1], nr);
	close(fd[1]);
	if (pid < 0) {
		printf("%s %s: failed, %s\n", what, zmm ? "zmm" : "ymm", strerror((int)-pid));
		close(fd[0]);
		return;
	}
	while (got < size) {
		ssize_t n = read(fd[0], child + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd[0]);
	waitpid((pid_t)pid, NULL, 0);
	printf("%s %s: child %s, parent %s\n", what, zmm ? "zmm" : "ymm",
	       got == size && memcmp(pattern, child, size) == 0 ? "kept them" : "FAILED",
	       memcmp(pattern, out + 4096, size) == 0 ? "kept them" : "FAILED");
}

/* check_clones -- check_clone for each way a child is made: clone and
 * clone3 fork-like with a stack of their own, with CLONE_VM|CLONE_VFORK
 * and one (posix_spawn's) or none (vfork's, on the parent's stack), fork
 * and vfork */
static void check_clones(bool zmm)
{
	static unsigned char stack[65536] __attribute__((aligned(64)));
	long top = (long)(stack + sizeof(stack));
	/* the third with room past every field the kernel knows, zeros */
	struct {
		struct clone_args ca;
		unsigned char more[200];
	} big;
	struct clone_args ca[3];
	const long vm = CLONE_VM | CLONE_VFORK;

	memset(ca, 0, sizeof(ca));
	for (int i = 0; i < 3; i++) {
		ca[i].flags = i == 0 ? 0 : (uint64_t)vm;
		ca[i].exit_signal = SIGCHLD;
		ca[i].stack = i < 2 ? (uint64_t)(uintptr_t)stack : 0;
		ca[i].stack_size = i < 2 ? sizeof(stack) : 0;
	}
	check_clone("clone fork-like, own stack", SYS_clone, SIGCHLD, top, zmm);
	check_clone("clone CLONE_VM|CLONE_VFORK, own stack", SYS_clone, vm | SIGCHLD, top, zmm);
	check_clone("clone CLONE_VM|CLONE_VFORK, no stack", SYS_clone, vm | SIGCHLD, 0, zmm);
	check_clone("clone3 fork-like, own stack", SYS_clone3, (long)&ca[0], sizeof(ca[0]), zmm);
	check_clone("clone3 CLONE_VM|CLONE_VFORK, own stack", SYS_clone3, (long)&ca[1], sizeof(ca[1]), zmm);
	check_clone("clone3 CLONE_VM|CLONE_VFORK, no stack", SYS_clone3, (long)&ca[2], sizeof(ca[2]), zmm);
	memset(&big, 0, sizeof(big));
	big.ca = ca[0];
	check_clone("clone3 fork-like, own stack, arguments 288 bytes long", SYS_clone3, (long)&big, sizeof(big),
		    zmm);
	check_clone("fork", SYS_fork, 0, 0, zmm);
	check_clone("vfork", SYS_vfork, 0, 0, zmm);
}

/* check_avx512 -- all 512 bits of zmm0-31, and the mask registers */
static void check_avx512(long nr)
{
	struct avx512 before, after;
	int bad = 0;

	for (size_t i = 0; i < sizeof(before); i++)
		((unsigned char *)&before)[i] = (unsigned char)(i * 13 + nr);
	memset(&after, 0, sizeof(after));
	regs_avx512(&before, &after, nr);
	for (int i = 0; i < 32; i++)
		if (memcmp(before.zmm[i], after.zmm[i], 64) != 0) {
			printf("avx512 nr=%ld: zmm%d changed\n", nr, i);
			bad = 1;
		}
	for (int i = 0; i < 7; i++)
		if (before.k[i] != after.k[i]) {
			printf("avx512 nr=%ld: k%d changed\n", nr, i + 1);
			bad = 1;
		}
	printf("avx512 nr=%ld: %s\n", nr, bad ? "FAILED" : "registers kept");
}

static const char *const names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
				       "r9", "r10", "r11", "r12", "r13", "r14", "r15", "-" };

static void fill(struct regs *r, unsigned seed)
{
	unsigned char *p = (unsigned char *)r;

	for (size_t i = 0; i < sizeof(*r); i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* check_args -- as check, with these arguments (NULL: whatever fill left) */
static void check_args(const char *what, void (*fn)(struct regs *, struct regs *, long), long nr,
		       const long *args)
{
	struct regs before, after;
	int bad = 0;

	fill(&before, (unsigned)nr);
	if (args != NULL) {
		/* rdi rsi rdx r10 r8 r9 */
		static const int slot[6] = { 5, 4, 3, 9, 7, 8 };
		for (int i = 0; i < 6; i++)
			before.gpr[slot[i]] = (unsigned long)args[i];
	}
	memset(&after, 0, sizeof(after));
	fn(&before, &after, nr);
	/* a child of fork: its parent reports */
	if ((nr == SYS_fork || nr == SYS_vfork) && after.gpr[0] == 0)
		_exit(0);
	for (int i = 0; i < 15; i++) {
		if (i == 0 || i == 2 || i == 10)
			continue;
		if (before.gpr[i] != after.gpr[i]) {
			printf("%s nr=%ld: %s changed\n", what, nr, names[i]);
			bad = 1;
		}
	}
	for (int i = 0; i < 16; i++) {
		if (memcmp(before.ymm[i], after.ymm[i], 32) != 0) {
			printf("%s nr=%ld: ymm%d changed\n", what, nr, i);
			bad = 1;
		}
	}
	if (fn == regs_redzone && memcmp(before.redzone, after.redzone, 128) != 0) {
		printf("%s nr=%ld: red zone changed\n", what, nr);
		bad = 1;
	}
	long r = (long)after.gpr[0];
	printf("%s nr=%ld: %s, result %s\n", what, nr, bad ? "FAILED" : "registers kept",
	       r == nr ? "=nr" : r < 0 && r > -4096 ? strerror((int)-r) : "a value");
}

static void check(const char *what, void (*fn)(struct regs *, struct regs *, long), long nr)
{
	check_args(what, fn, nr, NULL);
}

/* check_runtime_numbers -- the numbers the runtime handles itself (its
 * descriptors, signal masks, exec environment, libraries mapped late,
 * children) keep the vector registers too, with arguments that leave the
 * process as it was */
static void check_runtime_numbers(void)
{
	static const char missing[] = "/nonexistent/zpoline-regs";
	static char *const argv[] = { (char *)missing, NULL };
	static const struct timespec zero = { 0, 0 };
	static uint64_t empty_set;
	static struct { long sigset, size; } no_mask = { 0, 0 };
	static uint64_t old_set;
	static unsigned char old_action[32];
	struct epoll_event ev;
	int code = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	const struct {
		long nr;
		long args[6];
	} calls[] = {
		{ SYS_execve, { (long)missing, (long)argv, (long)argv } },
		{ SYS_execveat, { AT_FDCWD, (long)missing, (long)argv, (long)argv, 0 } },
		{ SYS_dup2, { 1, 57 } },
		{ SYS_dup3, { 1, 58, O_CLOEXEC } },
		{ SYS_close, { 57 } },
		{ SYS_close_range, { 58, 58, 0 } },
		{ SYS_close, { -1 } },
		{ SYS_rt_sigprocmask, { SIG_BLOCK, (long)&empty_set, (long)&old_set, 8 } },
		{ SYS_rt_sigaction, { SIGUSR1, 0, (long)old_action, 8 } },
		{ SYS_ppoll, { 0, 0, (long)&zero, (long)&empty_set, 8 } },
		{ SYS_pselect6, { 0, 0, 0, 0, (long)&zero, (long)&no_mask } },
		{ SYS_epoll_pwait, { ep, (long)&ev, 1, 0, (long)&empty_set, 8 } },
		{ SYS_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } },
		/* a file mapped executable: the runtime takes it for a library
		 * loaded late and scans it */
		{ SYS_mmap, { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, code, 0 } },
		{ SYS_fork, { 0 } },
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		check_args("runtime-number", regs_call, calls[i].nr, calls[i].args);
	close(ep);
	close(code);
}

int main(void)
{
	static const long nrs[] = { SYS_getpid, SYS_getppid, SYS_sched_yield, 500, 4000,
				    100000, -1, -1000, 0x40000000 | SYS_getpid };

	if (!__builtin_cpu_supports("avx")) {
		puts("no AVX: nothing to check");
		return 0;
	}
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		check("call-site", regs_call, nrs[i]);
		check("red-zone-site", regs_redzone, nrs[i]);
	}
	check_runtime_numbers();
	/* AVX-512BW for 64-bit mask registers */
	bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
	if (avx512) {
		check_avx512(SYS_getpid);
		check_avx512(-1);
	}
	for (int z = 0; z <= avx512; z++)
		check_clones(z);
	return 0;
}
