/* int80-asm.S -- code that makes system calls with int $0x80, kept as
 * data (the scanner reads executable sections only): int80.c copies it to
 * an executable page at run time, as a JIT would, so only the safety net
 * (--catch-late, sud mode) sees its calls. */
	.section .note.GNU-stack, "", @progbits
	.section .rodata

/* long int80(long nr, long a1, long a2, long a3) at offset 0: the i386
 * call nr(a1, a2, a3) */
	.globl	int80_code
int80_code:
	pushq	%rbx
	movq	%rdi, %rax
	movq	%rsi, %rbx
	movq	%rcx, %r8
	movq	%rdx, %rcx
	movq	%r8, %rdx
	int	$0x80
	popq	%rbx
	ret
/* long int80_keeps(void), copied with the rest: getpid with %rcx and
 * %r11 set before, what they hold after, xor'ed (the gate keeps both) */
	.globl	int80_keeps
int80_keeps:
	movabsq	$0x1234567887654321, %rcx
	movabsq	$0x1122334455667788, %r11
	movl	$20, %eax
	int	$0x80
	movq	%rcx, %rax
	xorq	%r11, %rax
	ret
	.globl	int80_code_end
int80_code_end:
