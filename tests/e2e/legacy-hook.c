/* legacy-hook -- a hook written for the original zpoline, unchanged: it
 * exports __hook_init and swaps the function pointer it is given. This
 * one makes getppid() return 4242 so a test can see it ran. */
#include <sys/syscall.h>

typedef long (*syscall_fn_t)(long, long, long, long, long, long, long);

static syscall_fn_t next_sys_call;

static long hook_function(long a1, long a2, long a3, long a4, long a5, long a6, long a7)
{
	if (a1 == SYS_getppid)
		return 4242;
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
