/* stepcount -- a whole process's user-space path, counted instruction by
 * instruction: what start-up adds, as a figure that does not depend on
 * the machine's noise.
 *
 *   stepcount [VAR=VALUE...] -- PROG [ARG...]
 *
 * Runs PROG (with the variables set in its environment alone) under
 * ptrace and single-steps it from its first instruction to its end, then
 * prints
 *
 *   instructions=N syscalls=K
 *   N_OBJ OBJECT          (one line per mapped object, most first)
 *
 * syscalls counts the `syscall` instructions executed, which the kernel
 * entries of the runtime's start-up and the loader's are. The objects are
 * the file mappings /proc/PID/maps names as the process ends (its
 * exit_group), the rest [anon]. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* instructions per page of code, in an open-addressed table */
#define SLOTS 65536
static struct {
	uint64_t page, count;
} pages[SLOTS];

static void count_page(uint64_t rip)
{
	uint64_t page = rip >> 12;
	size_t i = (size_t)((page * 0x9e3779b97f4a7c15ull) >> 48) % SLOTS;

	while (pages[i].count != 0 && pages[i].page != page)
		i = (i + 1) % SLOTS;
	pages[i].page = page;
	pages[i].count++;
}

struct object {
	char name[256];
	uint64_t count;
};

static int by_count(const void *a, const void *b)
{
	const struct object *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* the process's maps as it ends */
static char maps[1 << 20];
static size_t maps_len;

static void read_maps(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	maps_len = fread(maps, 1, sizeof(maps) - 1, f);
	fclose(f);
}

/* report -- the per-object lines, from the maps read at the end */
static void report(void)
{
	static struct object obj[256];
	size_t nobj = 0;
	FILE *f = fmemopen(maps, maps_len + 1, "r");
	char line[512];

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char path[256] = "[anon]";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, path) < 2)
			continue;
		uint64_t n = 0;
		for (size_t i = 0; i < SLOTS; i++)
			if (pages[i].count != 0 && pages[i].page >= lo >> 12 && pages[i].page < hi >> 12) {
				n += pages[i].count;
				pages[i].count = 0;
			}
		if (n == 0)
			continue;
		size_t k = 0;
		while (k < nobj && strcmp(obj[k].name, path) != 0)
			k++;
		if (k == nobj && nobj < 256)
			snprintf(obj[nobj++].name, sizeof(obj[0].name), "%s", path);
		if (k < nobj)
			obj[k].count += n;
	}
	if (f != NULL)
		fclose(f);
	qsort(obj, nobj, sizeof(obj[0]), by_count);
	for (size_t k = 0; k < nobj; k++)
		printf("%10llu %s\n", (unsigned long long)obj[k].count, obj[k].name);
}

int main(int argc, char **argv)
{
	int first = 1;

	while (first < argc && strcmp(argv[first], "--") != 0)
		first++;
	if (first + 1 >= argc) {
		fprintf(stderr, "usage: stepcount [VAR=VALUE...] -- PROG [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (int i = 1; i < first; i++)
			putenv(argv[i]);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[first + 1], argv + first + 1);
		_exit(127);
	}
	int st;
	unsigned long n = 0, sys = 0;
	int sig = 0;
	waitpid(pid, &st, 0);
	for (;;) {
		struct user_regs_struct r;
		if (ptrace(PTRACE_GETREGS, pid, NULL, &r) == 0) {
			count_page(r.rip);
			errno = 0;
			long w = ptrace(PTRACE_PEEKTEXT, pid, (void *)r.rip, NULL);
			if (errno == 0 && (w & 0xffff) == 0x050f) {
				sys++;
				if (r.rax == 231)
					read_maps(pid);     /* exit_group */
			}
		}
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, (void *)(long)sig) < 0)
			break;
		sig = 0;
		if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP)
			sig = WSTOPSIG(st);
		n++;
	}
	printf("instructions=%lu syscalls=%lu\n", n, sys);
	report();
	return 0;
}
