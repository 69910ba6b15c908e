/* late-lib -- a library with its own inline syscall (getppid), loaded
 * with dlopen after start-up: its site must be rewritten too */
__attribute__((visibility("default"))) long lib_getppid(void);

long lib_getppid(void)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(110L) : "rcx", "r11", "memory");
	return r;
}
