/* stub.S -- where a rewritten system call arrives, and the paths that must
 * not run on a C stack. See trampoline.c for the whole route.
 *
 * On entry (from the jump at the end of the page-0 sled):
 *   %rax      the system call number, %rdi %rsi %rdx %r10 %r8 %r9 its arguments
 *   (%rsp)    the return address pushed by `call *%rax`: the site + 2
 *   %rcx %r11 free: the kernel clobbers them in a real syscall too
 * Every other register, the flags excepted, must hold its value on return.
 */

#include "layout.h"

	.section .note.GNU-stack, "", @progbits
	.text

/* CHECK_SITE -- is the return address a site we rewrote? A call through a
 * NULL (or small) function pointer also lands in the sled, and must crash
 * rather than run a system call. One hash probe, usually one load. */
.macro CHECK_SITE
	movq	(%rsp), %r11
	movq	%r11, %rcx
	shrq	$5, %rcx
	xorq	%r11, %rcx
	andq	zp_site_mask(%rip), %rcx
	shlq	$3, %rcx
	addq	zp_site_table(%rip), %rcx
1:	cmpq	%r11, (%rcx)
	je	2f
	cmpq	$0, (%rcx)
	je	zp_bad_call
	addq	$8, %rcx
	jmp	1b
2:
.endm

.macro SPUSH reg
	pushq	\reg
	.cfi_adjust_cfa_offset 8
.endm

/* SAVE_GPR builds struct zp_frame below the return address: it first
 * steps over the program's red zone, of which the call could only have
 * overwritten the 8 bytes holding the return address */
.macro SAVE_GPR
	leaq	-128(%rsp), %rsp
	.cfi_adjust_cfa_offset 128
	SPUSH	%rax
	SPUSH	%rdi
	SPUSH	%rsi
	SPUSH	%rdx
	SPUSH	%r10
	SPUSH	%r8
	SPUSH	%r9
	SPUSH	%rbx
	SPUSH	%rbp
	SPUSH	%r12
	SPUSH	%r13
	SPUSH	%r14
	SPUSH	%r15
.endm

/* POP_SAVED pops what SAVE_GPR pushed, %rax excepted */
.macro POP_SAVED
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r9
	popq	%r8
	popq	%r10
	popq	%rdx
	popq	%rsi
	popq	%rdi
.endm

/* RESTORE_GPR pops the frame except %rax, which holds the result, and
 * leaves %rsp at the return address; RESTORE_GPR_RAX pops %rax too */
.macro RESTORE_GPR
	POP_SAVED
	leaq	8+128(%rsp), %rsp
.endm

.macro RESTORE_GPR_RAX
	POP_SAVED
	popq	%rax
	leaq	128(%rsp), %rsp
.endm

/* XSAVE_AREA -- reserve a 64-byte aligned area below %rsp and save the
 * extended state into it. XRSTOR faults on nonzero reserved header bytes
 * (8..63) and on XSTATE_BV bits outside XCR0, and XSAVE rewrites only
 * the XSTATE_BV bits it was asked for: the whole 64-byte header starts
 * zeroed. */
.macro XSAVE_AREA insn
	subq	zp_xsave_size(%rip), %rsp
	andq	$-64, %rsp
	movq	$0, 512(%rsp)
	movq	$0, 520(%rsp)
	movq	$0, 528(%rsp)
	movq	$0, 536(%rsp)
	movq	$0, 544(%rsp)
	movq	$0, 552(%rsp)
	movq	$0, 560(%rsp)
	movq	$0, 568(%rsp)
	movl	$-1, %eax
	movl	$-1, %edx
	\insn	(%rsp)
.endm

.macro XRSTOR_AREA
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor	(%rsp)
.endm

/* ZMM_AREA: zmm0-31, k0-7 and MXCSR by plain moves, for hooks that use no
 * x87 (ZPOLINE_HOOK_NO_X87); much cheaper than XSAVE on some machines */
#define ZMM_AREA_SIZE 2176
.macro ZMM_MOVES op, base
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.ifc \op, save
	vmovdqu64	%zmm\n, \n*64(\base)
	.else
	vmovdqu64	\n*64(\base), %zmm\n
	.endif
	.endr
	.irp n, 0,1,2,3,4,5,6,7
	.ifc \op, save
	kmovq	%k\n, 2048+\n*8(\base)
	.else
	kmovq	2048+\n*8(\base), %k\n
	.endif
	.endr
	.ifc \op, save
	stmxcsr	2112(\base)
	.else
	ldmxcsr	2112(\base)
	.endif
.endm

/* RESTORE_XAREA base -- the program's extended state, from an area the
 * entry stub filled in the current save mode (clobbers eax, edx) */
.macro RESTORE_XAREA base
	cmpq	$ZP_SAVE_MODE_ZMM, zp_save_mode(%rip)
	je	7f
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor	(\base)
	jmp	8f
7:	ZMM_MOVES load, \base
8:
.endm

/* BACK -- return to the site without a `ret`: right after a kernel entry
 * the return-stack buffer holds no entry for the site (kernels with
 * return-stack mitigations refill it), so a `ret` would mispredict; an
 * indirect jump is predicted from the site's own history. %rcx ends up
 * holding the site + 2, which is where a native `syscall` leaves it. */
.macro BACK
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	jmp	*%rcx
.endm

/* SAVE_VECTORS how -- the extended state into an area below %rsp, for the
 * hooks of the enter/exit path: gpr (nothing), xsavec, xsave or zmm */
.macro SAVE_VECTORS how
	.ifc \how, xsavec
	XSAVE_AREA xsavec
	.endif
	.ifc \how, xsave
	XSAVE_AREA xsave
	.endif
	.ifc \how, zmm
	subq	$ZMM_AREA_SIZE, %rsp
	andq	$-64, %rsp
	ZMM_MOVES save, %rsp
	.endif
.endm

.macro RESTORE_VECTORS how
	.ifc \how, xsavec
	XRSTOR_AREA
	.endif
	.ifc \how, xsave
	XRSTOR_AREA
	.endif
	.ifc \how, zmm
	ZMM_MOVES load, %rsp
	.endif
.endm

/* ENTRY name how -- where page 0 jumps. After the site check, the number
 * decides (zp_nr_class):
 *   direct: no hook wants it and the runtime has nothing to do: the real
 *           call is made here, and back to the site;
 *   hooks:  the enter/exit path below: zp_enter() runs the hooks' enters,
 *           the real call is made here, zp_exit() runs their exits (a call
 *           made after the kernel entry, so its `ret` is predicted), and
 *           back to the site by a jump: no `ret` into a frame older than
 *           the kernel entry on either path;
 *   chain:  hooks of the syscall/next style (zp_chain_entry);
 *   policy: numbers the runtime handles itself (zp_policy_entry).
 * The enter/exit frame, from the program's %rsp down: the return address,
 * the red zone (stepped over), the program's rbx r9 r8 r10 rdx rsi rdi,
 * then struct zp_cframe, whose call the hooks may change. */
.macro ENTRY name how
	.globl	\name
	.hidden	\name
	.type	\name, @function
	.p2align 5
\name:
	.cfi_startproc
	CHECK_SITE
	cmpq	$ZP_NR_CLASSES, %rax
	jae	.Lpolicy_\@
	leaq	zp_nr_class(%rip), %rcx
	movzbl	(%rcx,%rax), %ecx
	testl	%ecx, %ecx
	jnz	.Lhooked_\@
	syscall
	.cfi_remember_state
	BACK
	.cfi_restore_state
.Lhooked_\@:
	cmpl	$ZP_CLASS_HOOKS, %ecx
	jne	.Lother_\@
	leaq	-128(%rsp), %rsp
	.cfi_adjust_cfa_offset 128
	SPUSH	%rbx
	.cfi_rel_offset rbx, 0
	SPUSH	%r9
	SPUSH	%r8
	SPUSH	%r10
	SPUSH	%rdx
	SPUSH	%rsi
	SPUSH	%rdi
	subq	$ZP_CF_SIZE, %rsp
	.cfi_adjust_cfa_offset ZP_CF_SIZE
	movq	%rax, ZP_CF_NR(%rsp)
	movq	%rdi, ZP_CF_ARGS(%rsp)
	movq	%rsi, ZP_CF_ARGS+8(%rsp)
	movq	%rdx, ZP_CF_ARGS+16(%rsp)
	movq	%r10, ZP_CF_ARGS+24(%rsp)
	movq	%r8, ZP_CF_ARGS+32(%rsp)
	movq	%r9, ZP_CF_ARGS+40(%rsp)
	movq	$0, ZP_CF_RET(%rsp)
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	andq	$-16, %rsp
	SAVE_VECTORS \how
	movq	%rbx, %rdi
	call	zp_enter
	testl	%eax, %eax
	jnz	.Ldone_\@
	movq	ZP_CF_NR(%rbx), %rax
	movq	ZP_CF_ARGS(%rbx), %rdi
	movq	ZP_CF_ARGS+8(%rbx), %rsi
	movq	ZP_CF_ARGS+16(%rbx), %rdx
	movq	ZP_CF_ARGS+24(%rbx), %r10
	movq	ZP_CF_ARGS+32(%rbx), %r8
	movq	ZP_CF_ARGS+40(%rbx), %r9
	syscall
	movq	%rax, ZP_CF_RET(%rbx)
.Ldone_\@:
	cmpl	$0, ZP_CF_EXITS(%rbx)
	je	.Lnoexit_\@
	movq	%rbx, %rdi
	call	zp_exit
.Lnoexit_\@:
	RESTORE_VECTORS \how
	movq	ZP_CF_RET(%rbx), %rax
	leaq	ZP_CF_SIZE(%rbx), %rsp
	.cfi_def_cfa %rsp, 8 + 128 + 56 + ZP_CF_SIZE
	.cfi_adjust_cfa_offset -ZP_CF_SIZE
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdx
	.cfi_adjust_cfa_offset -8
	popq	%r10
	.cfi_adjust_cfa_offset -8
	popq	%r8
	.cfi_adjust_cfa_offset -8
	popq	%r9
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore rbx
	leaq	128(%rsp), %rsp
	.cfi_adjust_cfa_offset -128
	BACK
.Lother_\@:
	.cfi_def_cfa %rsp, 8
	cmpl	$ZP_CLASS_CHAIN, %ecx
	jne	.Lpolicy_\@
	jmp	*zp_chain_entry(%rip)
.Lpolicy_\@:
	jmp	*zp_policy_entry(%rip)
	.cfi_endproc
	.size	\name, .-\name
.endm

	ENTRY zp_entry_gpr gpr
	ENTRY zp_entry_xsavec xsavec
	ENTRY zp_entry_xsave xsave
	ENTRY zp_entry_zmm zmm

/* The chain's paths: struct zp_frame, the extended state saved as the
 * hooks declared, zp_dispatch(). Reached from ENTRY after the site check. */
	.globl	zp_chain_gpr
	.hidden	zp_chain_gpr
	.type	zp_chain_gpr, @function
	.p2align 5
zp_chain_gpr:
	.cfi_startproc
	SAVE_GPR
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	andq	$-16, %rsp
	movq	%rbx, %rdi
	xorl	%esi, %esi
	call	zp_dispatch
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	BACK
	.cfi_endproc
	.size	zp_chain_gpr, .-zp_chain_gpr

.macro CHAIN_XSAVE name insn
	.globl	\name
	.hidden	\name
	.type	\name, @function
	.p2align 5
\name:
	.cfi_startproc
	SAVE_GPR
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	XSAVE_AREA \insn
	movq	%rbx, %rdi
	movq	%rsp, %rsi
	call	zp_dispatch
	movq	%rax, %r12
	XRSTOR_AREA
	movq	%r12, %rax
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	BACK
	.cfi_endproc
	.size	\name, .-\name
.endm

	CHAIN_XSAVE zp_chain_xsavec xsavec
	CHAIN_XSAVE zp_chain_xsave xsave

	.globl	zp_chain_zmm
	.hidden	zp_chain_zmm
	.type	zp_chain_zmm, @function
	.p2align 5
zp_chain_zmm:
	.cfi_startproc
	SAVE_GPR
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	subq	$ZMM_AREA_SIZE, %rsp
	andq	$-64, %rsp
	ZMM_MOVES save, %rsp
	movq	%rbx, %rdi
	movq	%rsp, %rsi
	call	zp_dispatch
	ZMM_MOVES load, %rsp
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	BACK
	.cfi_endproc
	.size	zp_chain_zmm, .-zp_chain_zmm

/* zp_bad_call -- the sled was reached by something that is not a rewritten
 * site: report it and fault the way a jump to page 0 would have. */
	.type	zp_bad_call, @function
zp_bad_call:
	.cfi_startproc
	movq	(%rsp), %rdi
	movq	%rax, %rsi
	andq	$-16, %rsp
	call	zp_report_bad_call
	hlt
	.cfi_endproc
	.size	zp_bad_call, .-zp_bad_call

/* zp_raw_syscall(nr, a1..a6) -- the real system call; this library is
 * never rewritten, so this instruction reaches the kernel */
	.globl	zp_raw_syscall
	.hidden	zp_raw_syscall
	.type	zp_raw_syscall, @function
zp_raw_syscall:
	.cfi_startproc
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9
	syscall
	ret
	.cfi_endproc
	.size	zp_raw_syscall, .-zp_raw_syscall

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
