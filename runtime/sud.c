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
 * and an execve'd image does at start-up.
 *
 * A thread has one dispatch setting, and the runtime's takes it: the
 * program's own prctl(PR_SET_SYSCALL_USER_DISPATCH) (Wine arms one) is
 * kept here per thread, never made, and each call the runtime sees from
 * that thread (by this net, a trap, or a rewritten site: the stub sends
 * those to the signal path while the program's is on) is first put to
 * the program's setting as the kernel would: taken, it raises the
 * program's SIGSYS (signal.c) instead of being made. As the kernel's, the
 * setting is not inherited by threads or children and an execve ends it. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "contract.h"
#include "page0.h"
#include "runtime.h"


_Static_assert(offsetof(struct zp_thread, psud.on) == ZP_T_PSUD, "layout.h");

uint8_t zp_sud_on;
static uintptr_t text_start, text_len;
/* does the kernel know PR_SYS_DISPATCH_INCLUSIVE_ON (Linux 6.17)? 1 yes,
 * 0 no, -1 not asked yet */
static int inclusive_known = -1;

#ifndef PR_SYS_DISPATCH_INCLUSIVE_ON
#define PR_SYS_DISPATCH_INCLUSIVE_ON 2
#endif
/* the kernel's TASK_SIZE_MAX on x86-64 (4-level paging): access_ok's bound */
#define TASK_SIZE_MAX 0x7ffffffff000UL

/* find_text -- the runtime's own executable segment, from its ELF header
 * (no loader lock: the program's prctl may arrive with it held) */
static int find_text(void)
{
	extern const ElfW(Ehdr) __ehdr_start ZP_HIDDEN;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	uintptr_t bias = 0;
	bool found = false;

	for (int i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = (uintptr_t)&__ehdr_start - ph[i].p_vaddr;
			found = true;
			break;
		}
	for (int i = 0; found && i < __ehdr_start.e_phnum; i++) {
		uintptr_t start = bias + ph[i].p_vaddr;
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
		    (uintptr_t)zp_raw_syscall >= start && (uintptr_t)zp_raw_syscall < start + ph[i].p_memsz) {
			text_start = start;
			text_len = ph[i].p_memsz;
			return 0;
		}
	}
	return -ENOENT;
}

void zp_sud_arm_thread(void)
{
	if (!zp_sud_on)
		return;
	zp_tls.sud_selector = ZP_SUD_BLOCK;
	zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)text_start,
		       (long)text_len, (long)&zp_tls.sud_selector, 0);
}

/* probe_inclusive -- the program may ask for what this kernel has, and
 * gets the same answer. The probe replaces this thread's setting: the
 * net, if it was armed, is armed again. */
static void probe_inclusive(void)
{
	long r = zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_INCLUSIVE_ON,
				(long)text_start, (long)text_len, (long)&zp_tls.sud_selector, 0);

	if (r == 0)
		zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
	if (r == 0 && __atomic_load_n(&zp_sud_on, __ATOMIC_ACQUIRE))
		zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)text_start,
			       (long)text_len, (long)&zp_tls.sud_selector, 0);
	__atomic_store_n(&inclusive_known, r == 0, __ATOMIC_RELAXED);
}

int zp_sud_prepare(void)
{
	if (find_text() < 0)
		return -ENOENT;
	/* can this kernel do it? (armed for real at the end of start-up) */
	zp_tls.sud_selector = ZP_SUD_ALLOW;
	long r = zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
				(long)text_start, (long)text_len, (long)&zp_tls.sud_selector, 0);
	if (r < 0)
		return (int)r;
	zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
	probe_inclusive();
	zp_sud_on = 1;
	return 0;
}

int zp_sud_find_text(void)
{
	return text_len != 0 ? 0 : find_text();
}

long zp_sud_program_check(long mode, long off, long len, long sel)
{
	uintptr_t o = (uintptr_t)off, l = (uintptr_t)len, s = (uintptr_t)sel;

	/* the kernel's checks, in its order */
	switch (mode) {
	case PR_SYS_DISPATCH_OFF:
		if (o != 0 || l != 0 || s != 0)
			return -EINVAL;
		zp_tls.psud.on = 0;
		return 0;
	case PR_SYS_DISPATCH_INCLUSIVE_ON:
		/* not asked yet: the net was armed on demand */
		if (__atomic_load_n(&inclusive_known, __ATOMIC_RELAXED) < 0)
			probe_inclusive();
		if (inclusive_known == 0)
			return -EINVAL;
		/* fall through */
	case PR_SYS_DISPATCH_ON:
		if (o != 0 && o + l <= o)
			return -EINVAL;
		if (s >= TASK_SIZE_MAX)
			return -EFAULT;
		return 1;
	default:
		return -EINVAL;
	}
}

long zp_sud_program_arm(long mode, long off, long len, long sel)
{
	struct zp_psud *p = &zp_tls.psud;

	/* armed again in every case: a thread running before the net was
	 * armed on demand is not. The selector stays ALLOW until this call's
	 * dispatch returns to the program, which it leaves blocking
	 * (zp_leave_dispatch's record). */
	long r = zp_raw_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)text_start,
				(long)text_len, (long)&zp_tls.sud_selector, 0);
	if (r < 0)
		return r;
	if (zp_tls.entry != NULL)
		zp_tls.entry->sel = ZP_SUD_BLOCK;
	p->off = (uintptr_t)off;
	p->len = (uintptr_t)len;
	p->sel = (const volatile uint8_t *)sel;
	p->tid = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	__atomic_store_n(&p->on, mode == PR_SYS_DISPATCH_ON ? 1 : 2, __ATOMIC_RELEASE);
	return 0;
}

/* die_by -- the kernel's force_exit_sig: the process ends by sig, whatever
 * the program's handler or mask */
__attribute__((noreturn)) static void die_by(int sig)
{
	struct zp_ksigaction dfl = { .handler = SIG_DFL };
	uint64_t bit = 1ull << (sig - 1);
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);

	zp_raw_syscall(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, 0, 8, 0, 0);
	zp_raw_syscall(SYS_tgkill, pid, zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
	zp_raw_syscall(SYS_exit_group, 128 + sig, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

int zp_sud_program_takes(uintptr_t ip)
{
	struct zp_psud *p = &zp_tls.psud;
	uint8_t state;

	/* hook code's calls are not the program's */
	if (__atomic_load_n(&p->on, __ATOMIC_ACQUIRE) == 0 || zp_tls.guard != 0)
		return 0;
	/* a child that shares or copied this thread's TLS: natively it
	 * starts without */
	if (p->tid != zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0))
		return -1;
	bool inside = ip - p->off < p->len;
	if (p->on == 1 ? inside : !inside)
		return 0;
	if (p->sel == NULL)
		return SIGSYS;
	/* (the trampoline's pages read as unmapped, as in every copy) */
	if ((zp_page0_mapped && (uintptr_t)p->sel < ZP_LOW_END) ||
	    zp_read_user(&state, (uintptr_t)p->sel, 1) != 1)
		die_by(SIGSEGV);
	if (state == SYSCALL_DISPATCH_FILTER_ALLOW)
		return 0;
	if (state != SYSCALL_DISPATCH_FILTER_BLOCK)
		die_by(SIGSYS);
	return SIGSYS;
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
