/* nostack.S -- the paths that must not run on a C stack: rt_sigreturn
 * from the program's exact stack, vfork and clone (with and without a new
 * stack) from the program's exact registers, the thunks the signal paths
 * send calls to, and the runtime's own heavier work with the vector state
 * saved. */

#include "layout.h"

	.section .note.GNU-stack, "", @progbits
	.text

#include "stub.inc"
#include "../src/call-on.inc"

/* zp_sigreturn_restorer -- sa_restorer for the runtime's own handlers, so
 * their return does not pass through the hooks */
	.globl	zp_sigreturn_restorer
	.hidden	zp_sigreturn_restorer
	.type	zp_sigreturn_restorer, @function
	nop
zp_sigreturn_restorer:
	movl	$15, %eax
	syscall
	hlt
	.size	zp_sigreturn_restorer, .-zp_sigreturn_restorer

/* zp_sigreturn_at(uc) -- rt_sigreturn from the frame whose context is at
 * uc: %rsp just above its return address, where a restorer has it */
	.globl	zp_sigreturn_at
	.hidden	zp_sigreturn_at
	.type	zp_sigreturn_at, @function
zp_sigreturn_at:
	movq	%rdi, %rsp
	movl	$15, %eax
	syscall
	hlt
	.size	zp_sigreturn_at, .-zp_sigreturn_at

/* zp_handler_jump(handler, sig, si, uc, restorer) -- the program's
 * handler entered as the kernel enters one, on the frame the kernel made
 * for the runtime's: %rsp at its return address (just below uc), now the
 * program's restorer, the arguments in %rdi, %rsi, %rdx, %rax 0. Its
 * return is then the program's own rt_sigreturn (hooked), and unwinders
 * see the signal frame they know. */
	.globl	zp_handler_jump
	.hidden	zp_handler_jump
	.type	zp_handler_jump, @function
zp_handler_jump:
	movq	%r8, -8(%rcx)
	leaq	-8(%rcx), %rsp
	movq	%rdi, %r11
	movl	%esi, %edi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	xorl	%eax, %eax
	cld
	jmp	*%r11
	.size	zp_handler_jump, .-zp_handler_jump

/* zp_call_on(fn, arg, top) -- fn(arg) with %rsp at top, then back on the
 * caller's stack (src/call-on.inc) */
	CALL_ON zp_call_on

/* zp_do_sigreturn(frame) -- rt_sigreturn with exactly the program's %rsp */
	.globl	zp_do_sigreturn
	.hidden	zp_do_sigreturn
	.type	zp_do_sigreturn, @function
zp_do_sigreturn:
	leaq	ZP_FRAME_SIZE(%rdi), %rsp
	movl	$15, %eax
	syscall
	hlt
	.size	zp_do_sigreturn, .-zp_do_sigreturn

/* NOTIFY_VFORK -- right after a vfork-like call, in the child and in the
 * parent: tell the hooks, from below the red zone (the frame they get has
 * the result in rax), every register kept */
.macro NOTIFY_VFORK
	leaq	-128(%rsp), %rsp
	pushq	$0
	SAVE_GPR
	movq	%rsp, %rbx
	andq	$-16, %rsp
	cmpq	$0, zp_save_mode(%rip)
	je	2f
	XSAVE_AREA xsave
2:	movq	%rbx, %rdi
	call	zp_vfork_notify
	cmpq	$0, zp_save_mode(%rip)
	je	3f
	XRSTOR_AREA
3:	movq	%rbx, %rsp
	RESTORE_GPR_RAX
	leaq	8+128(%rsp), %rsp
.endm

/* zp_do_vfork(frame, xarea) -- vfork, or clone(CLONE_VM) without a new
 * stack: the child runs first on the program's own stack and overwrites
 * whatever lies below the program's %rsp, hook frames included. So the
 * call is made from the program's exact register and stack state, the
 * return address is kept in thread-local memory (the child shares it, but
 * only reads it), and nothing below %rsp is trusted afterwards. A child
 * that vforks again pushes a second slot; only parents pop. */
	.globl	zp_do_vfork
	.hidden	zp_do_vfork
	.type	zp_do_vfork, @function
zp_do_vfork:
	.cfi_startproc
	.cfi_undefined rip
	movq	ZP_F_RET(%rdi), %rax
	movq	zp_tls@gottpoff(%rip), %rcx
	movq	%fs:ZP_T_VDEPTH(%rcx), %r11
	cmpq	$ZP_VFORK_DEPTH, %r11
	jae	zp_vfork_too_deep
	movq	%rax, %fs:ZP_T_VRET(%rcx,%r11,8)
	incq	%r11
	movq	%r11, %fs:ZP_T_VDEPTH(%rcx)
	testq	%rsi, %rsi
	jz	1f
	movq	%rdi, %rbx
	RESTORE_XAREA %rsi
	movq	%rbx, %rdi
1:	movq	%rdi, %rsp
	RESTORE_GPR_RAX
	leaq	8(%rsp), %rsp
	syscall
	NOTIFY_VFORK
	movq	zp_tls@gottpoff(%rip), %rcx
	testq	%rax, %rax
	jz	4f
	decq	%fs:ZP_T_VDEPTH(%rcx)
	movq	%fs:ZP_T_VDEPTH(%rcx), %r11
	movq	%fs:ZP_T_VRET(%rcx,%r11,8), %r11
	jmp	*%r11
4:	movq	%fs:ZP_T_VDEPTH(%rcx), %r11
	movq	%fs:ZP_T_VRET-8(%rcx,%r11,8), %r11
	jmp	*%r11
zp_vfork_too_deep:
	hlt
	.cfi_endproc
	.size	zp_do_vfork, .-zp_do_vfork

/* CLONE_CHILD -- the child of a clone with a new stack, on that stack:
 * zp_clone_child(flags) (flags in %rcx, which the kernel clobbers anyway),
 * keeping every other register for the program */
.macro CLONE_CHILD
	pushq	%rax
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%r10
	pushq	%r8
	pushq	%r9
	pushq	%r11
	pushq	%rbp
	movq	%rsp, %rbp
	andq	$-16, %rsp
	movq	%rcx, %rdi
	call	zp_clone_child
	movq	%rbp, %rsp
	popq	%rbp
	popq	%r11
	popq	%r9
	popq	%r8
	popq	%r10
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rax
.endm

/* DO_CLONE -- clone/clone3 with a new stack. The C caller has written the
 * return address, the original value of `reg` and the clone flags on the
 * child's stack; `reg` carries the adjusted stack (clone) or the adjusted
 * copy of clone_args (clone3). The call is made with the program's
 * registers, so the child starts with them; it pops the flags, tells
 * zp_clone_child(), pops `reg` and returns to the site. The parent comes
 * back here and returns to C. */
.macro DO_CLONE name reg other other_off
	.globl	\name
	.hidden	\name
	.type	\name, @function
\name:
	.cfi_startproc
	SPUSH	%rbx
	SPUSH	%rbp
	SPUSH	%r12
	SPUSH	%r13
	SPUSH	%r14
	SPUSH	%r15
	movq	%rdi, %r12
	movq	%rdx, %r13
	testq	%rsi, %rsi
	jz	1f
	RESTORE_XAREA %rsi
1:	movq	%r13, \reg
	movq	\other_off(%r12), \other
	movq	0(%r12), %r15
	movq	8(%r12), %r14
	movq	16(%r12), %r13
	movq	32(%r12), %rbp
	movq	40(%r12), %rbx
	movq	48(%r12), %r9
	movq	56(%r12), %r8
	movq	64(%r12), %r10
	movq	72(%r12), %rdx
	movq	ZP_F_RAX(%r12), %rax
	movq	ZP_F_R12(%r12), %r12
	syscall
	testq	%rax, %rax
	jz	2f
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	.cfi_adjust_cfa_offset -48
	ret
2:	.cfi_undefined rip
	popq	%rcx
	CLONE_CHILD
	popq	\reg
	ret
	.cfi_endproc
	.size	\name, .-\name
.endm

	DO_CLONE zp_do_clone %rsi %rdi ZP_F_RDI
	DO_CLONE zp_do_clone3 %rdi %rsi ZP_F_RSI

/* zp_thunk_plain -- for the signal paths (trap sites, numbers past the
 * sled): the handler points the interrupted context here, with the
 * program's own registers and stack, so the kernel sees the call exactly
 * as the program made it; the return address is thread-local, and a vfork
 * child shares it with its parent, which only reads it afterwards. */
	.globl	zp_thunk_plain
	.hidden	zp_thunk_plain
	.type	zp_thunk_plain, @function
zp_thunk_plain:
	syscall
	movq	zp_tls@gottpoff(%rip), %rcx
	jmp	*%fs:ZP_T_THUNK_RET(%rcx)
	.size	zp_thunk_plain, .-zp_thunk_plain

/* zp_thunk_vfork -- zp_thunk_plain for vfork-like calls: the hooks hear
 * what the call returned, in the child and in the parent. (The return
 * address is the one thread-local slot: a vfork child that makes another
 * such call before it execs would move its parent's.) */
	.globl	zp_thunk_vfork
	.hidden	zp_thunk_vfork
	.type	zp_thunk_vfork, @function
zp_thunk_vfork:
	.cfi_startproc
	.cfi_undefined rip
	syscall
	NOTIFY_VFORK
	movq	zp_tls@gottpoff(%rip), %rcx
	jmp	*%fs:ZP_T_THUNK_RET(%rcx)
	.cfi_endproc
	.size	zp_thunk_vfork, .-zp_thunk_vfork

/* zp_call_saving_xstate(fn, arg) -- fn(arg) with the extended state saved
 * around it: for the runtime's own heavier work (rewriting a library
 * loaded late) on the path of a hook that saves general registers only */
	.globl	zp_call_saving_xstate
	.hidden	zp_call_saving_xstate
	.type	zp_call_saving_xstate, @function
zp_call_saving_xstate:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset rbp, 0
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rbx
	pushq	%r12
	movq	%rdi, %rbx
	movq	%rsi, %r12
	XSAVE_AREA xsave
	movq	%r12, %rdi
	call	*%rbx
	XRSTOR_AREA
	leaq	-16(%rbp), %rsp
	popq	%r12
	popq	%rbx
	popq	%rbp
	.cfi_def_cfa rsp, 8
	ret
	.cfi_endproc
	.size	zp_call_saving_xstate, .-zp_call_saving_xstate

/* zp_run_moved(m, uc) -- for a signal path that left the alternate stack
 * (signal.c): zp_moved_call(m) on the program's stack just below m, then
 * rt_sigreturn from the copy of the context at uc; the handler's frame on
 * the alternate stack is not returned to. */
	.globl	zp_run_moved
	.hidden	zp_run_moved
	.type	zp_run_moved, @function
zp_run_moved:
	.cfi_startproc
	.cfi_undefined rip
	movq	%rsi, %rbx
	movq	%rdi, %rsp
	andq	$-16, %rsp
	call	zp_moved_call
	movq	%rbx, %rsp
	movl	$15, %eax
	syscall
	hlt
	.cfi_endproc
	.size	zp_run_moved, .-zp_run_moved

/* zp_release_at_site -- from the stub's enter/exit path, the call's exits
 * done and held signals left to it (zp_signal_at_site): every register
 * the program's (%rax the call's result, %rcx and %r11 free), the return
 * address to the site on top. A context of the program's state at the
 * site, as the kernel would save it there, is built below the red zone
 * (the vector state by XSAVE), and rt_sigreturn loads it with the signals
 * unblocked: the kernel delivers them on the way, and their handlers find
 * the program after its call, as natively. */
	.globl	zp_release_at_site
	.hidden	zp_release_at_site
	.type	zp_release_at_site, @function
zp_release_at_site:
	.cfi_startproc
	.cfi_undefined rip
	movq	%rsp, %rcx              /* the return address */
	leaq	-128(%rsp), %r11
	subq	zp_xsave_size(%rip), %r11
	andq	$-64, %r11              /* the XSAVE area */
	subq	$ZP_UC_ROOM, %r11       /* the context, 64-byte aligned */
	movq	%r11, %rsp
	movq	%r8, ZP_UC_R8(%rsp)
	movq	%r9, ZP_UC_R9(%rsp)
	movq	%r10, ZP_UC_R10(%rsp)
	movq	%r12, ZP_UC_R12(%rsp)
	movq	%r13, ZP_UC_R13(%rsp)
	movq	%r14, ZP_UC_R14(%rsp)
	movq	%r15, ZP_UC_R15(%rsp)
	movq	%rdi, ZP_UC_RDI(%rsp)
	movq	%rsi, ZP_UC_RSI(%rsp)
	movq	%rbp, ZP_UC_RBP(%rsp)
	movq	%rbx, ZP_UC_RBX(%rsp)
	movq	%rdx, ZP_UC_RDX(%rsp)
	movq	%rax, ZP_UC_RAX(%rsp)
	movq	(%rcx), %r11
	movq	%r11, ZP_UC_RIP(%rsp)
	leaq	8(%rcx), %r11
	movq	%r11, ZP_UC_RSP(%rsp)
	pushfq
	popq	%r11
	movq	%r11, ZP_UC_EFL(%rsp)
	XSAVE_AT xsave, ZP_UC_ROOM
	movq	%rsp, %rdi
	leaq	ZP_UC_ROOM(%rsp), %rsi
	call	zp_release_frame
	movl	$15, %eax               /* rt_sigreturn: the context at %rsp */
	syscall
	hlt
	.cfi_endproc
	.size	zp_release_at_site, .-zp_release_at_site
