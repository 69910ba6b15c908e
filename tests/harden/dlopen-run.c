/* dlopen-run -- load code after start-up and have it open FILE, then print
 * FILE; exit 0 when it was printed, 1 when the open failed (the hooks
 * denied it), 3 when the code would not load:
 *   dlopen-run LIB FILE               dlopen(LIB), then its leak(FILE)
 *   dlopen-run memfd LIB FILE         LIB copied into a memfd, dlopen'd
 *                                     by its /proc/self/fd name
 *   dlopen-run memfd-nodump LIB FILE  the same, in a process made
 *                                     non-dumpable (prctl) first
 *   dlopen-run raw CODE FILE          CODE (bytes, not an ELF file)
 *                                     mapped executable and called as
 *                                     long open(const char *) */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static int print_fd(long fd)
{
	char buf[4096];
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "dlopen-run: open denied\n");
		return 1;
	}
	while ((n = read((int)fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char name[64];
	const char *lib = argv[1];

	if (argc == 4 && strcmp(argv[1], "raw") == 0) {
		int fd = open(argv[2], O_RDONLY);
		void *p = fd >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) : MAP_FAILED;
		if (p == MAP_FAILED)
			return 3;
		return print_fd(((long (*)(const char *))p)(argv[3]));
	}
	if (argc == 4 && strncmp(argv[1], "memfd", 5) == 0) {
		char buf[65536];
		int in = open(argv[2], O_RDONLY), m = memfd_create("leak", 0);
		ssize_t n;
		while (in >= 0 && m >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(m, buf, (size_t)n) != n)
				return 3;
		if (strcmp(argv[1], "memfd-nodump") == 0)
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		snprintf(name, sizeof(name), "/proc/self/fd/%d", m);
		lib = name;
		argv++;
	} else if (argc != 3) {
		fprintf(stderr, "usage: dlopen-run [memfd|memfd-nodump|raw] LIB FILE\n");
		return 2;
	}
	void *h = dlopen(lib, RTLD_NOW);
	int (*leak)(const char *) = h != NULL ? (int (*)(const char *))dlsym(h, "leak") : NULL;
	if (leak == NULL) {
		fprintf(stderr, "dlopen-run: %s\n", dlerror());
		return 3;
	}
	return leak(argv[2]);
}
