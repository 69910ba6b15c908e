/* memexec -- copy PROG into a memfd and execute it from there (fexecve:
 * execveat with AT_EMPTY_PATH), with ARG...: a program with no file */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: memexec PROG [ARG...]\n");
		return 2;
	}
	int in = open(argv[1], O_RDONLY), m = memfd_create("memexec", MFD_CLOEXEC);
	if (in < 0 || m < 0)
		return 126;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(m, buf, (size_t)n) != n)
			return 126;
	fexecve(m, argv + 1, environ);
	perror("memexec: fexecve");
	return 126;
}
