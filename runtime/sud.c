/* sud.c -- the safety net for code the runtime never scanned.
 *
 * With --catch-late (ZPOLINE_CATCH_LATE=1), every thread arms Syscall User
 * Dispatch: a system call made outside the runtime's own text raises
 * SIGSYS unless the thread's selector says allow. Rewritten sites reach the
 * kernel from zp_raw_syscall, inside the runtime's text, so they are never
 * trapped; the selector allows while hook code runs (its libc is a copy the
 * runtime did not rewrite); anything else the program runs (JIT pages, code
 * mapped by hand, sites the runtime had to leave alone) traps, and
 * signal.c hands the call to the hooks. Arming is per thread and is not
 * inherited: new threads and forked children arm themselves (stub.S, dispatch.c, policy.c),
 * and an execve'd image does at start-up. */
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "contract.h"
#include "runtime.h"


uint8_t zp_sud_on;
static uintptr_t text_start, text_len;

static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    (uintptr_t)zp_raw_syscall >= start && (uintptr_t)zp_raw_syscall < start + ph->p_memsz) {
			text_start = start;
			text_len = ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

void zp_sud_arm_thread(void)
{
	if (!zp_sud_on)
		return;
	zp_tls.sud_selector = ZP_SUD_BLOCK;
	zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)text_start,
		       (long)text_len, (long)&zp_tls.sud_selector, 0);
}

int zp_sud_prepare(void)
{
	if (dl_iterate_phdr(find_text, NULL) == 0)
		return -ENOENT;
	/* can this kernel do it? (armed for real at the end of start-up) */
	zp_tls.sud_selector = ZP_SUD_ALLOW;
	long r = zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
				(long)text_start, (long)text_len, (long)&zp_tls.sud_selector, 0);
	if (r < 0)
		return (int)r;
	zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
	zp_sud_on = 1;
	return 0;
}
