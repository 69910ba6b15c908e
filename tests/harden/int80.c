/* int80 -- opens, reads and prints FILE through int $0x80, the 32-bit
 * system call gate a 64-bit program may use (open is 5, read 3 there);
 * 0 when printed, 1 when the open failed */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	/* the 32-bit gate takes 32-bit pointers */
	char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long fd, n;

	if (argc != 2 || low == MAP_FAILED || strlen(argv[1]) >= 4096)
		return 2;
	strcpy(low, argv[1]);
	__asm__ volatile("int $0x80" : "=a"(fd) : "a"(5L), "b"(low), "c"(0L), "d"(0L) : "memory");
	if (fd < 0) {
		fprintf(stderr, "int80: open denied\n");
		return 1;
	}
	__asm__ volatile("int $0x80" : "=a"(n) : "a"(3L), "b"(fd), "c"(low), "d"(4096L) : "memory");
	fwrite(low, 1, n > 0 ? (size_t)n : 0, stdout);
	return 0;
}
