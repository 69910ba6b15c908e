/* stub.S -- where a rewritten system call arrives: the site check, the
 * number's class, the real call for the enter/exit path and for numbers no
 * hook wants, the checks of pointers into the trampoline's pages, and the
 * chain's paths. See trampoline.c for the whole route; nostack.S holds the
 * paths that must not run on a C stack.
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

#include "stub.inc"

/* zp_stub_start, zp_stub_end -- this file's code: where a signal that
 * interrupts a call made on a direct path finds its `syscall; BACK`
 * (signal.c, at_call_site) */
	.globl	zp_stub_start
	.hidden	zp_stub_start
zp_stub_start:

/* FDCHECK i, reg, policy -- argument i+1 (reg), when bit i of %ecx says
 * it is a descriptor, at or above the floor in %r11d: to policy */
.macro FDCHECK i, reg, policy
	btl	$\i, %ecx
	jnc	1f
	cmpl	%r11d, \reg
	jge	\policy
1:
.endm

/* AT_SITE_OR_BACK -- back to the site, the program's registers restored
 * and the return address on top; or, where hooks left signals held back
 * to let through there (zp_signal_at_site), to zp_release_at_site */
.macro AT_SITE_OR_BACK
	movq	zp_tls@gottpoff(%rip), %rcx
	cmpq	$0, %fs:ZP_T_AT_SITE(%rcx)
	jne	zp_release_at_site
	BACK
.endm

/* HOOKED_BACK how, exits -- the enter/exit path's return: the vector
 * state, the result, the program's registers, back to the site; after
 * exits, to zp_release_at_site instead where they left signals held back
 * to let through there (zp_signal_at_site) */
.macro HOOKED_BACK how, exits
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
	.if \exits
	AT_SITE_OR_BACK
	.else
	BACK
	.endif
.endm

/* ENTRY name how -- where page 0 jumps. After the site check, the number
 * decides (zp_nr_class):
 *   direct: no hook wants it and the runtime has nothing to do: the real
 *           call is made here, and back to the site; for a number with
 *           pointer arguments (ZP_CLASS_PTRS and above), after a compare
 *           of each against the trampoline's pages (zp_direct_checked);
 *   hooks:  the enter/exit path below: zp_enter() runs the hooks' enters,
 *           the real call is made here, zp_exit() runs their exits (a call
 *           made after the kernel entry, so its `ret` is predicted), and
 *           back to the site by a jump: no `ret` into a frame older than
 *           the kernel entry on either path;
 *   chain:  hooks of the syscall/next style (zp_chain_entry);
 *   policy: numbers the runtime handles itself (zp_policy_entry);
 *   own fd: a number with descriptor arguments: the policy path for one
 *           of the runtime's own (a compare each), else as above.
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
	movq	zp_tls@gottpoff(%rip), %rcx
	cmpb	$0, %fs:ZP_T_PSUD(%rcx)
	jne	zp_psud_insn
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
	cmpl	$ZP_CLASS_OWNFD, %ecx
	je	.Lownfd_\@
.Lclass_\@:
	cmpl	$ZP_CLASS_PTRS, %ecx
	jae	zp_direct_checked
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
\name\()_kcall:
	syscall
	movq	%rax, ZP_CF_RET(%rbx)
.Ldone_\@:
	cmpl	$0, ZP_CF_EXITS(%rbx)
	je	.Lnoexit_\@
	movq	%rbx, %rdi
	call	zp_exit
	.cfi_remember_state
	HOOKED_BACK \how, 1
	.cfi_restore_state
.Lnoexit_\@:
	HOOKED_BACK \how, 0
.Lother_\@:
	.cfi_def_cfa %rsp, 8
	/* the chain's path as short as before; the policy's one more */
	cmpl	$ZP_CLASS_POLICY, %ecx
	jb	.Lchain_\@
	jne	.Lownfds_\@
	jmp	*zp_policy_entry(%rip)
.Lchain_\@:
	jmp	*zp_chain_entry(%rip)
.Lownfds_\@:
	/* descriptors in other positions than the first too (in the first
	 * four: zp_fd_class sends the others to the policy path) */
	leaq	zp_nr_fdmask(%rip), %rcx
	movzbl	(%rcx,%rax), %ecx
	movl	zp_own_fd_floor(%rip), %r11d
	FDCHECK	0, %edi, .Lpolicy_\@
	FDCHECK	1, %esi, .Lpolicy_\@
	FDCHECK	2, %edx, .Lpolicy_\@
	FDCHECK	3, %r10d, .Lpolicy_\@
	jmp	.Lfdelse_\@
.Lownfd_\@:
	/* a descriptor argument: the runtime's own are not the program's */
	cmpl	zp_own_fd_floor(%rip), %edi
	jge	.Lpolicy_\@
.Lfdelse_\@:
	leaq	zp_nr_fdelse(%rip), %rcx
	movzbl	(%rcx,%rax), %ecx
	testl	%ecx, %ecx
	jnz	.Lclass_\@
	syscall
	.cfi_remember_state
	BACK
	.cfi_restore_state
.Lpolicy_\@:
	jmp	*zp_policy_entry(%rip)
	.cfi_endproc
	.size	\name, .-\name
.endm

/* zp_psud_insn -- the program's own Syscall User Dispatch is on in this
 * thread (sud.c): the signal path decides, from a full context, whether
 * it takes the call; the return address stays on the stack for it */
	.globl	zp_psud_insn
	.hidden	zp_psud_insn
	.type	zp_psud_insn, @function
zp_psud_insn:
	.cfi_startproc
	ud2
	.cfi_endproc
	.size	zp_psud_insn, .-zp_psud_insn

	ENTRY zp_entry_gpr gpr
	ENTRY zp_entry_xsavec xsavec
	ENTRY zp_entry_xsave xsave
	ENTRY zp_entry_zmm zmm

/* zp_hooked_calls -- the enter/exit path's `syscall` in each entry: a
 * signal that interrupts it waits for the exits (signal.c,
 * at_hooked_call), %rbx the frame */
	.section .data.rel.ro, "aw", @progbits
	.p2align 3
	.globl	zp_hooked_calls
	.hidden	zp_hooked_calls
zp_hooked_calls:
	.quad	zp_entry_gpr_kcall, zp_entry_xsavec_kcall, zp_entry_xsave_kcall, zp_entry_zmm_kcall
	.text

/* ---- pointer arguments into the trampoline's pages ----
 * zp_direct_checked -- the direct path of a number with pointer arguments
 * (%ecx: its class, layout.h), shared by the entries: a block per set of
 * arguments compares each one with ZP_LOW_END, then makes the call; a hit
 * goes to zp_check_entry, which decides in C (nested pointers too). */
.macro PCHECK m, i, reg
	.if (\m >> \i) & 1
	cmpq	$ZP_LOW_END, \reg
	jb	zp_check_entry
	.endif
.endm

.macro NCHECK m, i, reg
	.if (\m >> \i) & 1
	leaq	-1(\reg), %r11
	cmpq	$ZP_LOW_END - 1, %r11
	jb	zp_check_entry
	.endif
.endm

.macro EACH_ARG what, m
	\what \m, 0, %rdi
	\what \m, 1, %rsi
	\what \m, 2, %rdx
	\what \m, 3, %r10
	\what \m, 4, %r8
	\what \m, 5, %r9
.endm

.macro PBLOCK m
zp_pblock_\m:
	EACH_ARG PCHECK, \m
	syscall
	.cfi_remember_state
	BACK
	.cfi_restore_state
.endm

/* NBLOCK m -- the arguments in m unless NULL, then those of zp_nr_pmask */
.macro NBLOCK m
zp_nblock_\m:
	EACH_ARG NCHECK, \m
	leaq	zp_nr_pmask(%rip), %rcx
	movzbl	(%rcx,%rax), %ecx
	leaq	zp_pblocks(%rip), %r11
	jmp	*(%r11,%rcx,8)
.endm

#define MASKS 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,\
	32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63

	.globl	zp_direct_checked
	.hidden	zp_direct_checked
	.type	zp_direct_checked, @function
	.p2align 5
zp_direct_checked:
	.cfi_startproc
	cmpl	$ZP_CLASS_NULLABLE, %ecx
	jae	1f
	leaq	zp_pblocks-ZP_CLASS_PTRS*8(%rip), %r11
	jmp	*(%r11,%rcx,8)
1:	cmpl	$ZP_CLASS_IOVEC, %ecx
	jae	zp_nested_checked
	leaq	zp_nblocks-ZP_CLASS_NULLABLE*8(%rip), %r11
	jmp	*(%r11,%rcx,8)
	.irp m, MASKS
	PBLOCK \m
	.endr
	.irp m, MASKS
	NBLOCK \m
	.endr
	.cfi_endproc
	.size	zp_direct_checked, .-zp_direct_checked

	.section .data.rel.ro, "aw", @progbits
	.p2align 3
zp_pblocks:
	.irp m, MASKS
	.quad	zp_pblock_\m
	.endr
zp_nblocks:
	.irp m, MASKS
	.quad	zp_nblock_\m
	.endr
	.text

/* IOV_LOOP -- the iovecs at %r11, %rcx of them: an entry with a length
 * and a low base is a hit. Loads of the program's memory: signal.c sends
 * a fault between zp_uprobe_start and zp_uprobe_end to zp_uprobe_fault. */
.macro IOV_LOOP
	cmpq	$1024, %rcx             /* UIO_MAXIOV: EINVAL, nothing read */
	ja	4f
	testq	%rcx, %rcx
	jz	4f
3:	cmpq	$0, 8(%r11)
	je	5f
	cmpq	$ZP_LOW_END, (%r11)
	jb	zp_check_entry
5:	addq	$16, %r11
	decq	%rcx
	jnz	3b
4:
.endm

/* zp_nested_checked -- iovec (%rsi, %rdx of them) or msghdr (%rsi)
 * arguments: the pointers inside them, then the other pointer arguments
 * (zp_nr_pmask); others in C */
	.globl	zp_nested_checked
	.hidden	zp_nested_checked
	.type	zp_nested_checked, @function
	.p2align 5
zp_nested_checked:
	.cfi_startproc
	cmpq	$ZP_LOW_END, %rsi
	jb	zp_check_entry
	cmpl	$ZP_CLASS_MSGHDR, %ecx
	ja	zp_check_entry
	je	.Lmsghdr
	movq	%rsi, %r11
	movq	%rdx, %rcx
	.globl	zp_uprobe_start
	.hidden	zp_uprobe_start
zp_uprobe_start:
	IOV_LOOP
	jmp	.Lnested_rest
.Lmsghdr:
	/* msg_name with msg_namelen, msg_control with msg_controllen */
	cmpq	$0, (%rsi)
	je	1f
	cmpl	$0, 8(%rsi)
	je	1f
	cmpq	$ZP_LOW_END, (%rsi)
	jb	zp_check_entry
1:	cmpq	$0, 40(%rsi)
	je	2f
	cmpq	$ZP_LOW_END, 32(%rsi)
	jb	zp_check_entry
	/* msg_iov with msg_iovlen */
2:	movq	24(%rsi), %rcx
	testq	%rcx, %rcx
	jz	.Lnested_rest
	movq	16(%rsi), %r11
	cmpq	$ZP_LOW_END, %r11
	jb	zp_check_entry
	IOV_LOOP
	.globl	zp_uprobe_end
	.hidden	zp_uprobe_end
zp_uprobe_end:
.Lnested_rest:
	leaq	zp_nr_pmask(%rip), %rcx
	movzbl	(%rcx,%rax), %ecx
	leaq	zp_pblocks(%rip), %r11
	jmp	*(%r11,%rcx,8)
	.globl	zp_uprobe_fault
	.hidden	zp_uprobe_fault
zp_uprobe_fault:
	/* the program's memory there cannot be read: the kernel says so */
	syscall
	BACK
	.cfi_endproc
	.size	zp_nested_checked, .-zp_nested_checked

/* zp_check_entry -- a pointer argument may point into the trampoline's
 * pages: zp_check_call() looks closer. 0: make the call here as on the
 * direct path; otherwise it made the call itself (with the pages
 * inaccessible) and the result is in the frame's rax. */
	.globl	zp_check_entry
	.hidden	zp_check_entry
	.type	zp_check_entry, @function
	.p2align 5
zp_check_entry:
	.cfi_startproc
	SAVE_GPR
	movq	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	andq	$-16, %rsp
	movq	%rbx, %rdi
	call	zp_check_call
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	testq	%rax, %rax
	jnz	1f
	.cfi_remember_state
	RESTORE_GPR_RAX
	.cfi_def_cfa %rsp, 8
	syscall
	BACK
	.cfi_restore_state
1:	movq	ZP_F_RAX(%rsp), %rax
	RESTORE_GPR
	.cfi_def_cfa %rsp, 8
	BACK
	.cfi_endproc
	.size	zp_check_entry, .-zp_check_entry

/* zp_probe_copy(dst, src, words) -- copy words 8-byte words of the
 * program's memory: 0, or -1 if a load faulted (signal.c sends a fault at
 * zp_probe_insn to zp_probe_fixup) */
	.globl	zp_probe_copy
	.hidden	zp_probe_copy
	.type	zp_probe_copy, @function
zp_probe_copy:
	.cfi_startproc
	xorl	%eax, %eax
	testq	%rdx, %rdx
	jz	2f
	.globl	zp_probe_insn
	.hidden	zp_probe_insn
1:
zp_probe_insn:
	movq	(%rsi,%rax,8), %rcx
	movq	%rcx, (%rdi,%rax,8)
	incq	%rax
	cmpq	%rdx, %rax
	jb	1b
	xorl	%eax, %eax
2:	ret
	.globl	zp_probe_fixup
	.hidden	zp_probe_fixup
zp_probe_fixup:
	movl	$-1, %eax
	ret
	.cfi_endproc
	.size	zp_probe_copy, .-zp_probe_copy

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
	call	zp_dispatch_stub
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	AT_SITE_OR_BACK
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
	call	zp_dispatch_stub
	movq	%rax, %r12
	XRSTOR_AREA
	movq	%r12, %rax
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	AT_SITE_OR_BACK
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
	call	zp_dispatch_stub
	ZMM_MOVES load, %rsp
	movq	%rbx, %rsp
	.cfi_def_cfa_register %rsp
	RESTORE_GPR
	AT_SITE_OR_BACK
	.cfi_endproc
	.size	zp_chain_zmm, .-zp_chain_zmm

/* zp_bad_call -- the sled was reached by something that is not in the
 * call-site set. A slot-output site (sites.c) is one: there the kernel
 * writes a struct over the 8 bytes the call pushed the return address to,
 * so the stub's way back must not read it there. With the program's rsp
 * after the call R:
 *   R-8    the return address (the kernel may overwrite it: the stub
 *          never reads it there again)
 *   R-128  the end of the program's red zone
 *   R-136  a copy of the return address
 *   R-144  zp_slotout_fixup, which is in the call-site set: the stub's
 *          return address, and %rsp
 * then into the sled again at %rax, as the call went: the hooks and the
 * kernel see the call as at any site, and the stub goes back to the
 * fixup. Anything else: report it and fault the way a jump to page 0
 * would have. Only %rcx and %r11 are free here. */
	.type	zp_bad_call, @function
zp_bad_call:
	.cfi_startproc
	movq	(%rsp), %r11
	leaq	zp_slotout_sites(%rip), %rcx
1:	cmpq	%r11, (%rcx)
	je	2f
	cmpq	$0, (%rcx)
	je	3f
	addq	$8, %rcx
	jmp	1b
2:	.cfi_remember_state
	leaq	-136(%rsp), %rsp
	.cfi_adjust_cfa_offset 136
	movq	%r11, 8(%rsp)
	leaq	zp_slotout_fixup(%rip), %r11
	movq	%r11, (%rsp)
	jmp	*%rax
	.cfi_restore_state
3:	movq	(%rsp), %rdi
	movq	%rax, %rsi
	andq	$-16, %rsp
	call	zp_report_bad_call
	hlt
	.cfi_endproc
	.size	zp_bad_call, .-zp_bad_call

/* zp_slotout_fixup -- where the stub goes back to after a slot-output
 * site's call (zp_bad_call): the copy of the return address off the
 * stack, %rsp back to what the program has after a native `syscall`
 * (R), and to the site + 2 with %rcx and %r11 as `syscall` leaves them:
 * the return address and the flags. The unwind rows say where the
 * program's frame is from the byte before the fixup on (an unwinder
 * looks a return address up at address - 1, so the function,
 * zp_slotout_return, starts there), for a debugger's backtrace from the
 * hooks or the stub. */
	.type	zp_slotout_return, @function
zp_slotout_return:
	.cfi_startproc
	.cfi_def_cfa %rsp, 136
	.cfi_offset 16, -136
	nop
	.globl	zp_slotout_fixup
	.hidden	zp_slotout_fixup
zp_slotout_fixup:
	popq	%rcx
	.cfi_def_cfa_offset 128
	.cfi_register 16, %rcx
	pushfq
	.cfi_adjust_cfa_offset 8
	popq	%r11
	.cfi_adjust_cfa_offset -8
	leaq	128(%rsp), %rsp
	.cfi_def_cfa_offset 0
	jmp	*%rcx
	.cfi_endproc
	.size	zp_slotout_return, .-zp_slotout_return

/* zp_raw_int80(nr, a1..a6) -- the 32-bit gate, int $0x80, with the number
 * in %eax and the arguments in %ebx %ecx %edx %esi %edi %ebp, as a 64-bit
 * program makes it (the kernel reads the low 32 bits of each); what it
 * returns in %rax. For a call the safety net caught (sud.c). */
	.globl	zp_raw_int80
	.hidden	zp_raw_int80
	.type	zp_raw_int80, @function
zp_raw_int80:
	.cfi_startproc
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset rbx, 0
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset rbp, 0
	movq	%rdi, %rax
	movq	%rsi, %rbx
	movq	24(%rsp), %rbp
	movq	%rcx, %r10
	movq	%rdx, %rcx
	movq	%r10, %rdx
	movq	%r8, %rsi
	movq	%r9, %rdi
	int	$0x80
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore rbp
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore rbx
	ret
	.cfi_endproc
	.size	zp_raw_int80, .-zp_raw_int80

/* RAW_SYSCALL name -- name(nr, a1..a6): the real system call; this
 * library is never rewritten, so its `syscall`, at name_insn, reaches the
 * kernel */
.macro RAW_SYSCALL name
	.globl	\name
	.hidden	\name
	.type	\name, @function
\name:
	.cfi_startproc
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9
	.globl	\name\()_insn
	.hidden	\name\()_insn
\name\()_insn:
	syscall
	ret
	.cfi_endproc
	.size	\name, .-\name
.endm

/* zp_raw_syscall -- the runtime's own calls and the program's;
 * zp_turn_syscall -- the program's call on the chain path (page0.c,
 * raw_plain): a signal that interrupts it there may wait for the chain's
 * end (signal.c, at_turn) */
	RAW_SYSCALL zp_raw_syscall
	RAW_SYSCALL zp_turn_syscall

	.globl	zp_stub_end
	.hidden	zp_stub_end
zp_stub_end:
