/* marker -- preloaded natively under strace: linked -z initfirst, so its
 * constructor runs before every other initialiser of the process, and the
 * one call it makes marks where the loader's own work ends in the trace */
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void mark(void)
{
	static const char tag[] = "zpoline-marker";

	syscall(SYS_write, -1, tag, sizeof(tag) - 1);
}
