/* umem.c -- reading the program's memory without faulting */
#include <sys/syscall.h>
#include <sys/uio.h>

#include "runtime.h"

size_t zp_read_user(void *dst, uintptr_t src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long r = zp_raw_syscall(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	size_t in_page = ZP_PAGE_SIZE - (src & (ZP_PAGE_SIZE - 1));
	if (r < 0 && len > in_page) {
		/* the rest of the page, when the next one is not readable */
		local.iov_len = remote.iov_len = in_page;
		r = zp_raw_syscall(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	}
	return r > 0 ? (size_t)r : 0;
}

