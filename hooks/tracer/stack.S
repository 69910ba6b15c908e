/* stack.S -- run a function on another stack.
 *
 * The tracer formats lines with printf-like code that needs a few KiB of
 * stack, and it runs on the program's stack, which may be an 8 KiB
 * sigaltstack that already holds two signal frames. It switches to a
 * stack of its own for that work. */
#include "../../src/call-on.inc"

	.text
/* void tracer_call_on(void (*fn)(void *), void *arg, void *top)
 * fn(arg) with %rsp = top (16-byte aligned); back on the caller's stack */
	CALL_ON tracer_call_on

	.section .note.GNU-stack,"",@progbits
