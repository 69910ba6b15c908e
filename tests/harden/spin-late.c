/* spin-late -- a library spin dlopens while its thread runs */
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) long late_getppid(void);
long late_getppid(void)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
	return r;
}
