/* regs-asm.S -- load every register from `before`, make a system call,
 * store every register into `after`; the C side compares them.
 *
 *   void regs_call(struct regs *before, struct regs *after, long nr)
 *   void regs_redzone(struct regs *before, struct regs *after, long nr)
 *
 * struct regs: 16 slots (rax rbx rcx rdx rsi rdi rbp r8..r15; the last,
 * where rsp would be, is scratch),
 * then 16 ymm registers of 32 bytes, then 128 bytes of red zone.
 * regs_call is not a leaf (it calls a function), so its site is
 * rewritten with a call; regs_redzone keeps data below %rsp and must be
 * handled by a path that pushes nothing: all 128 bytes are checked. */
	.section .note.GNU-stack, "", @progbits
	.text

#define R(n) (8 * (n))
#define Y(n) (128 + 32 * (n))
#define RZ 640

/* ZMM_K load|store, base, off -- zmm0-31 (all 512 bits), then k1-k7, at
 * base + off */
.macro ZMM_K op, base, off=0
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.ifc \op, load
	vmovdqu64	\off+\n*64(\base), %zmm\n
	.else
	vmovdqu64	%zmm\n, \off+\n*64(\base)
	.endif
	.endr
	.irp n, 1,2,3,4,5,6,7
	.ifc \op, load
	kmovq	\off+2048+(\n-1)*8(\base), %k\n
	.else
	kmovq	%k\n, \off+2048+(\n-1)*8(\base)
	.endif
	.endr
.endm

/* YMM load|store, base, off -- ymm0-15 at base + off */
.macro YMM op, base, off=0
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.ifc \op, load
	vmovdqu	\off+\n*32(\base), %ymm\n
	.else
	vmovdqu	%ymm\n, \off+\n*32(\base)
	.endif
	.endr
.endm

.macro LOAD_ALL
	vmovdqu	Y(0)(%rdi), %ymm0
	vmovdqu	Y(1)(%rdi), %ymm1
	vmovdqu	Y(2)(%rdi), %ymm2
	vmovdqu	Y(3)(%rdi), %ymm3
	vmovdqu	Y(4)(%rdi), %ymm4
	vmovdqu	Y(5)(%rdi), %ymm5
	vmovdqu	Y(6)(%rdi), %ymm6
	vmovdqu	Y(7)(%rdi), %ymm7
	vmovdqu	Y(8)(%rdi), %ymm8
	vmovdqu	Y(9)(%rdi), %ymm9
	vmovdqu	Y(10)(%rdi), %ymm10
	vmovdqu	Y(11)(%rdi), %ymm11
	vmovdqu	Y(12)(%rdi), %ymm12
	vmovdqu	Y(13)(%rdi), %ymm13
	vmovdqu	Y(14)(%rdi), %ymm14
	vmovdqu	Y(15)(%rdi), %ymm15
	movq	R(1)(%rdi), %rbx
	movq	R(3)(%rdi), %rdx
	movq	R(6)(%rdi), %rbp
	movq	R(7)(%rdi), %r8
	movq	R(8)(%rdi), %r9
	movq	R(9)(%rdi), %r10
	movq	R(11)(%rdi), %r12
	movq	R(12)(%rdi), %r13
	movq	R(13)(%rdi), %r14
	movq	R(14)(%rdi), %r15
	movq	R(4)(%rdi), %rsi
	movq	R(5)(%rdi), %rdi
.endm

/* STORE_ALL: %rsp points at the saved `after` pointer */
.macro STORE_ALL
	movq	%rdi, -8(%rsp)          /* scratch below the saved pointer */
	movq	(%rsp), %rdi
	movq	%rax, R(0)(%rdi)
	movq	%rbx, R(1)(%rdi)
	movq	%rcx, R(2)(%rdi)
	movq	%rdx, R(3)(%rdi)
	movq	%rsi, R(4)(%rdi)
	movq	%rbp, R(6)(%rdi)
	movq	%r8, R(7)(%rdi)
	movq	%r9, R(8)(%rdi)
	movq	%r10, R(9)(%rdi)
	movq	%r11, R(10)(%rdi)
	movq	%r12, R(11)(%rdi)
	movq	%r13, R(12)(%rdi)
	movq	%r14, R(13)(%rdi)
	movq	%r15, R(14)(%rdi)
	movq	-8(%rsp), %rax
	movq	%rax, R(5)(%rdi)
	vmovdqu	%ymm0, Y(0)(%rdi)
	vmovdqu	%ymm1, Y(1)(%rdi)
	vmovdqu	%ymm2, Y(2)(%rdi)
	vmovdqu	%ymm3, Y(3)(%rdi)
	vmovdqu	%ymm4, Y(4)(%rdi)
	vmovdqu	%ymm5, Y(5)(%rdi)
	vmovdqu	%ymm6, Y(6)(%rdi)
	vmovdqu	%ymm7, Y(7)(%rdi)
	vmovdqu	%ymm8, Y(8)(%rdi)
	vmovdqu	%ymm9, Y(9)(%rdi)
	vmovdqu	%ymm10, Y(10)(%rdi)
	vmovdqu	%ymm11, Y(11)(%rdi)
	vmovdqu	%ymm12, Y(12)(%rdi)
	vmovdqu	%ymm13, Y(13)(%rdi)
	vmovdqu	%ymm14, Y(14)(%rdi)
	vmovdqu	%ymm15, Y(15)(%rdi)
	vzeroupper
.endm

.macro PUSH_CALLEE
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro POP_CALLEE
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
.endm

	.type	nothing, @function
nothing:
	ret
	.size	nothing, .-nothing

	.globl	regs_call
	.type	regs_call, @function
regs_call:
	.cfi_startproc
	PUSH_CALLEE
	pushq	%rsi                    /* after */
	testq	%rdx, %rdx
	jns	1f
	call	nothing                 /* never taken; makes this no leaf */
1:	movq	%rdx, %rax
	LOAD_ALL
	syscall
	STORE_ALL
	popq	%rsi
	POP_CALLEE
	ret
	.cfi_endproc
	.size	regs_call, .-regs_call

/* regs_redzone: a leaf. The 128 bytes below the saved `after` pointer
 * are filled from before->redzone, and read back into after->redzone. */
	.globl	regs_redzone
	.type	regs_redzone, @function
regs_redzone:
	.cfi_startproc
	PUSH_CALLEE
	pushq	%rsi
	xorl	%ecx, %ecx
2:	movq	RZ(%rdi,%rcx), %rax
	movq	%rax, -128(%rsp,%rcx)
	addq	$8, %rcx
	cmpq	$128, %rcx
	jne	2b
	movq	%rdx, %rax
	LOAD_ALL
	syscall
	/* read the red zone back touching nothing but rcx and r11 (the
	 * kernel's anyway) and rax (saved first) */
	movq	(%rsp), %r11
	movq	%rax, R(15)(%r11)
	xorl	%ecx, %ecx
3:	movq	-128(%rsp,%rcx), %rax
	movq	%rax, RZ(%r11,%rcx)
	addq	$8, %rcx
	cmpq	$128, %rcx
	jne	3b
	movq	R(15)(%r11), %rax
	STORE_ALL
	popq	%rsi
	POP_CALLEE
	ret
	.cfi_endproc
	.size	regs_redzone, .-regs_redzone

/* regs_avx512(before, after, nr): zmm0-31 (all 512 bits) and k1-k7 across a
 * syscall at a call site. Layout: 32 x 64-byte zmm, then 7 x 8-byte k. */
	.globl	regs_avx512
	.type	regs_avx512, @function
regs_avx512:
	.cfi_startproc
	pushq	%rsi
	testq	%rdx, %rdx
	jns	1f
	call	nothing
1:	ZMM_K load, %rdi
	movq	%rdx, %rax
	syscall
	popq	%rsi
	ZMM_K store, %rsi
	vzeroupper
	ret
	.cfi_endproc
	.size	regs_avx512, .-regs_avx512

/* regs_clone_ymm / regs_clone_zmm(pattern, out, a1, a2, fd, nr): the
 * vector registers loaded from pattern (ymm0-15; or zmm0-31, then k1-k7
 * as regs_avx512 lays them out), then system call nr (clone, clone3,
 * fork, vfork) with a1 and a2. The parent stores its vector registers at
 * out + 4096 and returns the call's result; the child stores its own at
 * out (its own copy, or its parent's memory under CLONE_VM), writes them
 * to fd and exits, from its own stack or, with none, from the parent's
 * below %rsp, as a vfork child does. Natively both keep the registers. */
.macro CLONE_VEC name, zmm, size
	.globl	\name
	.type	\name, @function
\name:
	.cfi_startproc
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	movq	%rsi, %rbx              /* out, kept by the child too */
	movq	%r8, %r12               /* fd */
	.if \zmm
	ZMM_K load, %rdi
	.else
	YMM load, %rdi
	.endif
	movq	%rdx, %rdi              /* clone: flags; clone3: args */
	movq	%rcx, %rsi              /* clone: stack; clone3: size */
	xorl	%edx, %edx
	xorl	%r10d, %r10d
	xorl	%r8d, %r8d
	call	nothing                 /* not a leaf: a call site */
	movq	%r9, %rax
	syscall
	testq	%rax, %rax
	jz	1f
	.if \zmm
	ZMM_K store, %rbx, 4096
	.else
	YMM store, %rbx, 4096
	.endif
	vzeroupper
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	ret
1:	.if \zmm
	ZMM_K store, %rbx
	.else
	YMM store, %rbx
	.endif
	movq	%r12, %rdi
	movq	%rbx, %rsi
	movl	$\size, %edx
	movl	$1, %eax                /* write */
	syscall
	xorl	%edi, %edi
	movl	$60, %eax               /* exit */
	syscall
	hlt
	.cfi_endproc
	.size	\name, .-\name
.endm

	CLONE_VEC regs_clone_ymm, 0, 512
	CLONE_VEC regs_clone_zmm, 1, 2104
