/* stack.S -- run a function on another stack.
 *
 * The tracer formats lines with printf-like code that needs a few KiB of
 * stack, and it runs on the program's stack, which may be an 8 KiB
 * sigaltstack that already holds two signal frames. It switches to a
 * stack of its own for that work. */
	.text
	.globl	tracer_call_on
	.hidden	tracer_call_on
	.type	tracer_call_on, @function
/* void tracer_call_on(void (*fn)(void *), void *arg, void *top)
 * fn(arg) with %rsp = top (16-byte aligned); back on the caller's stack */
tracer_call_on:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%rdx, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	movq	%rbp, %rsp
	.cfi_def_cfa_register %rsp
	popq	%rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	tracer_call_on, .-tracer_call_on

	.section .note.GNU-stack,"",@progbits
