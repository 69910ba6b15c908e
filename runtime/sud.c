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
#include <ucontext.h>

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

/* i386 numbers of the calls that need the caller's own stack and
 * registers: not to be made from a signal handler */
#define I386_SIGRETURN 119
#define I386_CLONE 120
#define I386_RT_SIGRETURN 173
#define I386_VFORK 190
#define I386_CLONE3 435

/* zp_sud_int80 -- a call made with int $0x80 that the net caught (the
 * kernel says AUDIT_ARCH_I386): its number and arguments are i386's, which
 * no hook takes (their numbers are x86-64's), so it is made here as asked,
 * with the program's %eax %ebx %ecx %edx %esi %edi %ebp, its result in
 * %rax as the gate leaves it and every other register as it was (unlike
 * `syscall`, the gate keeps %rcx and %r11); not handed to the hooks, and
 * counted apart. Under a hook that enforces a policy it would pass the
 * policy by: fail closed unless best effort. The calls that need the
 * program's own stack (vfork, clone, clone3, sigreturn, rt_sigreturn)
 * cannot be made from a handler: -ENOSYS, said once. */
void zp_sud_int80(ucontext_t *uc)
{
	static int said;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = (long)(uint32_t)g[REG_RAX];

	if (zp_hooks_enforce() && !zp_best_effort())
		zp_unhooked("code making int $0x80 calls", "the 32-bit gate's numbers are not the hooks'");
	__atomic_add_fetch(&zp_late.int80, 1, __ATOMIC_RELAXED);
	if (nr == I386_SIGRETURN || nr == I386_CLONE || nr == I386_RT_SIGRETURN || nr == I386_VFORK ||
	    nr == I386_CLONE3) {
		if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
			zp_msg("int $0x80 number %ld needs the program's own stack, which the safety net "
			       "cannot give it: ENOSYS", nr);
		g[REG_RAX] = -ENOSYS;
		return;
	}
	g[REG_RAX] = zp_raw_int80(nr, g[REG_RBX], g[REG_RCX], g[REG_RDX], g[REG_RSI], g[REG_RDI], g[REG_RBP]);
}
