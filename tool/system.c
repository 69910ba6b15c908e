/* system.c -- what the tool asks of the system before it starts anything:
 * where a program is, as execvp would find it, and whether this user can
 * map page 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "zp.h"

/* zp_path_lookup -- name on PATH, as execvp looks (see tool.h) */
int zp_path_lookup(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char first[PATH_MAX] = "";
	struct stat st;

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t dl = strcspn(p, ":");
		/* an empty entry is the current directory */
		snprintf(out, len, "%.*s%s%s", (int)dl, p, dl ? "/" : "", name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			if (first[0] == '\0')
				snprintf(first, sizeof(first), "%s", out);
		}
		if (p[dl] == '\0')
			break;
		p += dl + 1;
	}
	if (first[0] == '\0')
		return -ENOENT;
	snprintf(out, len, "%s", first);
	return -EACCES;
}

/* zp_find_prog -- PROG as execvp would find it; exits 127 / 126 like a shell */
void zp_find_prog(const char *prog, char *out, size_t len)
{
	struct stat st;

	if (strchr(prog, '/') != NULL) {
		if (stat(prog, &st) != 0)
			die(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "%s: %s", prog, strerror(errno));
		snprintf(out, len, "%s", prog);
	} else {
		int r = zp_path_lookup(prog, out, len);
		if (r == -EACCES)
			die(EXIT_NOEXEC, "%s: Permission denied", prog);
		if (r < 0)
			die(EXIT_NOTFOUND, "%s: command not found", prog);
		if (stat(out, &st) != 0)
			die(EXIT_NOEXEC, "%s: %s", prog, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		die(EXIT_NOEXEC, "%s: Is a directory", prog);
	if (access(out, X_OK) != 0)
		die(EXIT_NOEXEC, "%s: %s", prog, strerror(errno));
}

/* map_page0 -- in a child, so this process's address space is left alone */
static bool map_page0(void)
{
	pid_t pid = fork();
	int status = 1;

	if (pid == 0) {
		void *p = mmap(NULL, ZP_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		_exit(p == NULL ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* zp_page0_mappable -- can this user map address 0? val: vm.mmap_min_addr */
bool zp_page0_mappable(char *val, size_t len)
{
	const char *sim = getenv("ZPOLINE_TEST_MMAP_MIN_ADDR");
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");

	snprintf(val, len, "?");
	if (f != NULL) {
		if (fgets(val, (int)len, f) == NULL)
			snprintf(val, len, "?");
		val[strcspn(val, "\n")] = '\0';
		fclose(f);
	}
	if (sim != NULL) {
		/* test hook only: pretend the sysctl says this */
		snprintf(val, len, "%s", sim);
		return strcmp(sim, "0") == 0;
	}
	/* nothing else refuses address 0: no need to try it */
	if (strcmp(val, "0") == 0 && access("/sys/fs/selinux", F_OK) != 0)
		return true;
	return map_page0();
}
