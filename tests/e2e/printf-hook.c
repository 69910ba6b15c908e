/* printf-hook -- a hook written for the original zpoline that prints with
 * printf and registers an atexit handler, as such hooks do. Its namespace's
 * stdout is a buffered copy of fd 1: when that is a file or a pipe,
 * nothing shows unless the runtime runs the namespace's exit handlers.
 * With the option ZPOLINE_TEST_CRASH set in the environment, __hook_init
 * crashes instead (a NULL store). */
#include <stdio.h>
#include <stdlib.h>

typedef long (*syscall_fn_t)(long, long, long, long, long, long, long);

static syscall_fn_t next_sys_call;
static unsigned long calls;

static long hook_function(long a1, long a2, long a3, long a4, long a5, long a6, long a7)
{
	calls++;
	return next_sys_call(a1, a2, a3, a4, a5, a6, a7);
}

static void at_end(void)
{
	printf("printf-hook: atexit ran after %s calls\n", calls > 0 ? "some" : "no");
}

int __hook_init(long placeholder, void *sys_call_hook_ptr);

int __hook_init(long placeholder, void *sys_call_hook_ptr)
{
	(void)placeholder;
	if (getenv("ZPOLINE_TEST_CRASH") != NULL)
		*(volatile int *)0 = 1;
	printf("printf-hook: loaded\n");
	atexit(at_end);
	next_sys_call = *((syscall_fn_t *)sys_call_hook_ptr);
	*((syscall_fn_t *)sys_call_hook_ptr) = hook_function;
	return 0;
}
