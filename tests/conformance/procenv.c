/* procenv -- what the kernel shows of a process's memory map and
 * environment: /proc/self/environ, byte for byte, and the fields of
 * /proc/self/stat that describe the map (26-28, 45-51) as relations that
 * hold natively (the addresses themselves change with every run). Then
 * the same for children: executed with the program's environment, with
 * none (execve, and `env -i`), and (--ldso) by the dynamic loader run as
 * a program; --exec-with VAR=VALUE... runs one child with that
 * environment only.
 * Under zpoline the runtime's variables must show in none of them, and
 * every relation must stay as it was. */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* procenv-sbrk.c, in the procenv-sbrk build */
void procenv_sbrk(void) __attribute__((weak));
extern long procenv_brk0 __attribute__((weak));

static size_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* stat_field -- field n (1-based) of /proc/self/stat */
static uint64_t stat_field(const char *stat, int n)
{
	const char *s = strrchr(stat, ')') + 1;

	for (int i = 3; i < n; i++)
		s = strchr(s + 1, ' ');
	return strtoull(s + 1, NULL, 10);
}

struct map {
	uint64_t start, end;
	char perms[5];
	char path[256];
};

/* find_map -- the mapping of /proc/self/maps that holds addr */
static bool find_map(const char *maps, uint64_t addr, struct map *m)
{
	for (const char *l = maps; *l != '\0'; l = strchr(l, '\n') + 1) {
		m->path[0] = '\0';
		if (sscanf(l, "%lx-%lx %4s %*s %*s %*s %255s", &m->start, &m->end, m->perms, m->path) < 3)
			return false;
		if (addr >= m->start && addr < m->end)
			return true;
		if (strchr(l, '\n') == NULL)
			break;
	}
	return false;
}

/* is_exe -- the mapping is of this program's file */
static bool is_exe(const struct map *m)
{
	static char exe[4096];

	if (exe[0] == '\0' && readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		return false;
	return strcmp(m->path, exe) == 0;
}

static void yes(const char *what, bool v)
{
	printf("%s: %s\n", what, v ? "yes" : "no");
}

static void report(const char *who, int argc, char **argv)
{
	static char env[1 << 16], stat[4096], maps[1 << 16];
	size_t len = slurp("/proc/self/environ", env, sizeof(env));
	struct map m;

	/* the heap, whose mapping starts at start_brk, made now */
	static void *keep;
	if (keep == NULL)
		keep = malloc(64);
	slurp("/proc/self/stat", stat, sizeof(stat));
	slurp("/proc/self/maps", maps, sizeof(maps));
	printf("%s\n", who);
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		printf("/proc/self/environ: %s\n", env + i);
	printf("/proc/self/environ: %zu bytes\n", len);

	uint64_t start_code = stat_field(stat, 26), end_code = stat_field(stat, 27);
	uint64_t start_stack = stat_field(stat, 28), start_data = stat_field(stat, 45);
	uint64_t end_data = stat_field(stat, 46), start_brk = stat_field(stat, 47);
	uint64_t arg_start = stat_field(stat, 48), arg_end = stat_field(stat, 49);
	uint64_t env_start = stat_field(stat, 50), env_end = stat_field(stat, 51);

	/* the text segment of the program (of the loader, when it was run
	 * as a program) */
	bool text = find_map(maps, start_code, &m) && strchr(m.perms, 'x') != NULL;
	yes("start_code in an executable mapping", text);
	yes("  of the program's file", text && is_exe(&m));
	yes("end_code in that mapping", text && end_code > start_code && end_code <= m.end);
	bool data = find_map(maps, start_data, &m);
	yes("start_data in a mapping", data);
	yes("  of the program's file", data && is_exe(&m));
	yes("end_data within its file's mappings", data && end_data >= start_data &&
	    find_map(maps, end_data - 1, &m) && (is_exe(&m) || m.path[0] == '\0'));
	uint64_t brk = (uintptr_t)sbrk(0);
	yes("start_brk <= sbrk(0)", start_brk != 0 && start_brk <= brk);
	yes("start_brk page aligned", (start_brk & 4095) == 0);
	/* the heap's mapping (malloc has grown it) starts at start_brk */
	yes("[heap] starts at start_brk", find_map(maps, start_brk, &m) && m.start == start_brk &&
	    strcmp(m.path, "[heap]") == 0);
	/* (the kernel names [heap] after start_brk, right or wrong) */
	if (&procenv_brk0 != NULL)
		yes("start_brk is the break before the IFUNC resolver grew it",
		    start_brk == (uint64_t)procenv_brk0);
	yes("start_stack in [stack]", find_map(maps, start_stack, &m) && strcmp(m.path, "[stack]") == 0);
	yes("start_stack == &argc", start_stack == (uintptr_t)(argv - 1));
	yes("arg_start == argv[0]", arg_start == (uintptr_t)argv[0]);
	yes("arg_end == end of argv[argc - 1]", arg_end == (uintptr_t)argv[argc - 1] + strlen(argv[argc - 1]) + 1);
	yes("env_start == arg_end", env_start == arg_end);
	yes("env_end == env_start + /proc/self/environ's size", env_end == env_start + len);
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	yes("env_end == end of environ's last variable",
	    n == 0 ? env_end == env_start : env_end == (uintptr_t)environ[n - 1] + strlen(environ[n - 1]) + 1);
	yes("environ's strings are /proc/self/environ's",
	    n == 0 || ((uintptr_t)environ[0] == env_start && memcmp(environ[0], env, len) == 0));
	yes("AT_EXECFN just past env_end", getauxval(AT_EXECFN) >= env_end);
	/* the break still moves */
	void *p = sbrk(1 << 20);
	yes("sbrk(1 MiB)", p != (void *)-1 && sbrk(-(1 << 20)) != (void *)-1);
	fflush(stdout);
}

static void run(char *path, char **args, char **envp)
{
	pid_t pid = fork();

	if (pid == 0) {
		execve(path, args, envp);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("%s: status %#x\n", path, st);
}

int main(int argc, char **argv)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return 1;
	exe[n] = '\0';
	if (procenv_sbrk != NULL)
		procenv_sbrk();
	bool ldso = argc > 1 && strcmp(argv[1], "--ldso") == 0;
	if (argc > 1 && strcmp(argv[1], "--exec-with") == 0) {
		/* a child with exactly the environment given */
		char *child[] = { exe, "child with the environment given", NULL };
		run(exe, child, argv + 2);
		return 0;
	}
	if (argc > 1 && !ldso) {
		report(argv[1], argc, argv);
		return 0;
	}
	/* a variable of the program's own, last, as a shell's export puts it */
	setenv("PROCENV_LAST", "1", 1);
	report("program", argc, argv);
	char *none[] = { NULL };
	char *same[] = { exe, "child with the program's environment", NULL };
	run(exe, same, environ);
	char *empty[] = { exe, "child with an empty environment", NULL };
	run(exe, empty, none);
	char *env_i[] = { "env", "-i", exe, "child of env -i", NULL };
	run("/usr/bin/env", env_i, environ);
	char *ldso_args[] = { "ld.so", exe, "child of the loader run as a program", NULL };
	const char *interp = NULL;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	uintptr_t bias = 0;
	for (size_t i = 0; i < getauxval(AT_PHNUM); i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	for (size_t i = 0; i < getauxval(AT_PHNUM); i++)
		if (ph[i].p_type == PT_INTERP)
			interp = (const char *)(bias + ph[i].p_vaddr);
	/* hooked, the loader's file cannot be identified: run with
	 * --best-effort, where its runtime still starts (procenv.c reads
	 * /proc/self/stat for it), unhooked */
	if (ldso && interp != NULL)
		run((char *)interp, ldso_args, environ);
	return 0;
}
