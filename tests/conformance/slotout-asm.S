/* slotout-asm.S -- hand-written system calls whose struct the kernel
 * writes over the 8 bytes below %rsp, where `call *%rax` pushes its
 * return address, as ld.so's fcntl(F_GETOWN_EX) and libc's __longjmp_chk
 * (sigaltstack) do on Debian 12: the scanner finds the slot only the
 * kernel's output there, and the runtime rewrites them with a call that
 * goes back through its fixup, with no SIGILL. */
	.section .note.GNU-stack, "", @progbits
	.text

/* long so_getown_ex(int fd, int *type) -- fcntl(fd, F_GETOWN_EX) with the
 * struct f_owner_ex at -8(%rsp): the owner's pid, its type into *type; or
 * -errno */
	.globl	so_getown_ex
	.type	so_getown_ex, @function
so_getown_ex:
	movq	%rsi, %r8
	leaq	-8(%rsp), %rdx
	movl	$16, %esi               /* F_GETOWN_EX */
	movl	$72, %eax
	syscall
	cmpq	$-4096, %rax
	ja	1f
	movl	-8(%rsp), %ecx
	movl	%ecx, (%r8)
	movslq	-4(%rsp), %rax
1:	ret
	.size	so_getown_ex, .-so_getown_ex

/* long so_altstack_old(stack_t *old) -- sigaltstack(NULL, old) with the
 * stack_t at -24(%rsp), copied to *old: what the call returned */
	.globl	so_altstack_old
	.type	so_altstack_old, @function
so_altstack_old:
	movq	%rdi, %r8
	xorl	%edi, %edi
	leaq	-24(%rsp), %rsi
	movl	$131, %eax
	syscall
	testq	%rax, %rax
	jne	1f
	movq	-24(%rsp), %rcx
	movq	%rcx, (%r8)
	movq	-16(%rsp), %rcx
	movq	%rcx, 8(%r8)
	movq	-8(%rsp), %rcx
	movq	%rcx, 16(%r8)
1:	ret
	.size	so_altstack_old, .-so_altstack_old
