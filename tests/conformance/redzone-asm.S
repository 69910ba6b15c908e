/* redzone-asm.S -- hand-written functions that keep data in the 8 bytes
 * below %rsp across a system call, where `call *%rax` would push its
 * return address: the scanner must not rewrite their sites with a call.
 * Each makes getpid (39) or rt_sigprocmask (14). */
	.section .note.GNU-stack, "", @progbits
	.text

	.globl	rz_helper
	.type	rz_helper, @function
rz_helper:
	ret
	.size	rz_helper, .-rz_helper

/* long rz_nonleaf(long v) -- not a leaf (it calls rz_helper), yet keeps v
 * at -8(%rsp) across getpid; the code after the site goes on through an
 * indirect jump, which the scanner cannot follow. Returns v. */
	.globl	rz_nonleaf
	.type	rz_nonleaf, @function
rz_nonleaf:
	call	rz_helper
	movq	%rdi, -8(%rsp)
	movl	$39, %eax
	syscall
	leaq	1f(%rip), %rcx
	jmp	*%rcx
1:	movq	-8(%rsp), %rax
	ret
	.size	rz_nonleaf, .-rz_nonleaf

/* long rz_kernel_writes(void) -- the kernel writes the signal mask into
 * the 8 bytes below %rsp (rt_sigprocmask's old set), which nothing reads
 * after: a return address pushed there would be overwritten. Returns
 * what the call returned. */
	.globl	rz_kernel_writes
	.type	rz_kernel_writes, @function
rz_kernel_writes:
	xorl	%edi, %edi              /* SIG_BLOCK */
	xorl	%esi, %esi              /* no new set */
	leaq	-8(%rsp), %rdx          /* the old one, into the slot */
	movl	$8, %r10d
	movl	$14, %eax
	syscall
	ret
	.size	rz_kernel_writes, .-rz_kernel_writes

/* long rz_kernel_reads(long sig) -- the kernel reads a struct sigaction
 * built below %rsp, whose last bytes (an unused part of the mask) are in
 * the slot: with the mask's size, 8, it never reads them, so the site is
 * rewritten with a call. Installs SIG_IGN for sig; returns what the call
 * returned. */
	.globl	rz_kernel_reads
	.type	rz_kernel_reads, @function
rz_kernel_reads:
	movq	$1, -0x78(%rsp)         /* SIG_IGN */
	movq	$0, -0x70(%rsp)         /* flags */
	movq	$0, -0x68(%rsp)         /* restorer */
	pxor	%xmm0, %xmm0
	.irp	off, 0x60, 0x50, 0x40, 0x30, 0x20, 0x10
	movups	%xmm0, -\off(%rsp)
	.endr
	leaq	-0x78(%rsp), %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	movl	$13, %eax
	syscall
	ret
	.size	rz_kernel_reads, .-rz_kernel_reads
