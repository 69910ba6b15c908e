/* ctorprog -- needs ctorlib, whose constructor makes 7 getppid calls;
 * main makes 3 more */
#include <sys/syscall.h>
#include <unistd.h>

int ctorlib_linked(void);

int main(void)
{
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	return ctorlib_linked() ? 0 : 1;
}
