/* int80 -- system calls made with int $0x80 (the 32-bit gate) from code
 * written at run time: getpid (i386 20), write (4) from a buffer below
 * 4 GiB, close of a bad descriptor (6), a number no kernel has; and that
 * the gate keeps %rcx and %r11. The runtime never sees this code, so only
 * its safety net (--catch-late, sud mode) catches the calls, which must do
 * what they ask, as natively. Prints one line per case. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern const char int80_code[], int80_code_end[];
extern const char int80_keeps[];

int main(void)
{
	size_t len = (size_t)(int80_code_end - int80_code);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (page == MAP_FAILED || low == MAP_FAILED)
		return 1;
	memcpy(page, int80_code, len);
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
		return 1;
	long (*int80)(long, long, long, long) = (long (*)(long, long, long, long))page;
	long (*keeps)(void) = (long (*)(void))(page + (int80_keeps - int80_code));

	printf("getpid through int $0x80 is getpid(): %s\n", int80(20, 0, 0, 0) == getpid() ? "yes" : "no");
	fflush(stdout);
	strcpy(low, "written through int $0x80\n");
	long n = int80(4, 1, (long)(unsigned long)low, (long)strlen(low));
	printf("write returned %ld\n", n);
	printf("close(-1) returned %ld\n", int80(6, -1, 0, 0));
	printf("number 0x7fff returned %ld\n", int80(0x7fff, 0, 0, 0));
	printf("rcx and r11 kept: %#lx\n", (unsigned long)keeps());
	fflush(stdout);
	return 0;
}
