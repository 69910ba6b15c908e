/* mapped-hook -- a hook that needs nothing of the loader (built
 * -nostdlib, no constructor): the runtime maps it itself, without
 * dlmopen. It uses what that loader must get right: relocations against
 * itself (a table of function pointers, a global read through the GOT, a
 * pointer to it), .bss past the file's last page, and an undefined weak
 * symbol, which must be 0. getppid() returns 4243 when all of them came
 * out right, 4244 when one did not. Built with -DWITH_CTOR it has a
 * constructor, which only the loader runs: dlmopen's then, and getppid()
 * returns 4245 when the constructor ran. */
#include <stddef.h>
#include <sys/syscall.h>

typedef long (*syscall_fn_t)(long, long, long, long, long, long, long);

extern int mapped_hook_absent __attribute__((weak));
int mapped_hook_value = 7;              /* exported: read through the GOT */
int *mapped_hook_where = &mapped_hook_value;
static syscall_fn_t next_sys_call;
static long zeroes[4096];               /* .bss, several pages */

#ifdef WITH_CTOR
static int ctor_ran;

__attribute__((constructor)) static void ctor(void)
{
	ctor_ran = 1;
}
#define RIGHT (ctor_ran ? 4245 : 4244)
#else
#define RIGHT 4243
#endif

static long seven(void)
{
	return mapped_hook_value;
}

static long (*const table[])(void) = { seven };

static int all_right(void)
{
	if (&mapped_hook_absent != NULL || table[0]() != 7 || *mapped_hook_where != 7)
		return 0;
	for (size_t i = 0; i < sizeof(zeroes) / sizeof(zeroes[0]); i += 512) {
		if (zeroes[i] != 0)
			return 0;
		zeroes[i] = (long)i + 1;
	}
	return zeroes[512] == 513;
}

static long hook_function(long a1, long a2, long a3, long a4, long a5, long a6, long a7)
{
	if (a1 == SYS_getppid)
		return all_right() ? RIGHT : 4244;
	return next_sys_call(a1, a2, a3, a4, a5, a6, a7);
}

int __hook_init(long placeholder, void *sys_call_hook_ptr);

int __hook_init(long placeholder, void *sys_call_hook_ptr)
{
	(void)placeholder;
	next_sys_call = *((syscall_fn_t *)sys_call_hook_ptr);
	*((syscall_fn_t *)sys_call_hook_ptr) = hook_function;
	return 0;
}
