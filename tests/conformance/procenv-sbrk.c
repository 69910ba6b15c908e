/* procenv-sbrk -- linked into procenv as procenv-sbrk: an IFUNC resolver,
 * which the loader runs as it relocates the program, before any
 * initialiser (the runtime's constructor included), grows the heap by a
 * page. The runtime must then not take brk(0) for start_brk, but read
 * the real one: the break as the resolver found it. */
#include <sys/syscall.h>
#include <unistd.h>

void procenv_sbrk(void);
/* the break as exec left it */
long procenv_brk0;

static void grown(void)
{
}

/* the system call: libc's sbrk refuses to grow the heap before libc is
 * initialised */
static void (*resolve(void))(void)
{
	procenv_brk0 = syscall(SYS_brk, 0);
	syscall(SYS_brk, procenv_brk0 + 4096);
	return grown;
}

void procenv_sbrk(void) __attribute__((ifunc("resolve")));
