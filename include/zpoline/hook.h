/* zpoline/hook.h -- the interface between the zpoline runtime and a hook.
 *
 * A hook is a shared object that defines one symbol, `zpoline_hook`, with
 * ZPOLINE_HOOK_DEFINE(). The runtime loads it with dlmopen() into a link
 * namespace of its own, so the hook's libc is a separate copy whose system
 * calls go straight to the kernel: a hook may call printf, malloc, write...
 *
 * A hook has one of two styles (see zpoline-hook(7)):
 *
 * enter/exit (the fast one): enter(call, slot) sees the number and the six
 * arguments and may change them; it returns ZPOLINE_CALL to have the call
 * made, or ZPOLINE_DONE with call->ret set to skip the kernel. exit(call,
 * slot), if given, sees the result and may change it. The runtime makes
 * the real call itself, in its stub, after every enter and before every
 * exit: no frame of the hook's is below it. `interest` names the numbers
 * the hook wants; a call no hook wants never leaves the stub.
 *
 * syscall/next (the wrapper one): hook->syscall(nr, a1, ..., a6) returns
 * what the program should see, in the kernel's convention: a value, or
 * -errno (-4095..-1). To make the real call it calls the `next` function it
 * received in init(); with several hooks, `next` is the following hook.
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags zpoline) myhook.c -o myhook.so
 */
#ifndef ZPOLINE_HOOK_H
#define ZPOLINE_HOOK_H

#ifdef __cplusplus
extern "C" {
#endif

#define ZPOLINE_ABI_VERSION 4

#include <stdint.h>

/* flags */
/* The hook (and everything it calls) touches only general-purpose
 * registers: the runtime may skip saving the vector (xmm/ymm/zmm, x87)
 * state. Code compiled with -mgeneral-regs-only qualifies; libc calls do not. */
#define ZPOLINE_HOOK_GPR_ONLY 0x1u

/* The hook uses vector registers (libc does) but no x87 instructions (no
 * long double) and leaves MXCSR's control bits alone: the runtime may save
 * the vector registers with plain moves instead of XSAVE, which is much
 * cheaper on some machines. */
#define ZPOLINE_HOOK_NO_X87 0x2u

/* The hook never uses `shared` (struct zpoline_init): a process whose
 * hooks all say so, and that did not inherit the memory, makes none, and
 * their init sees NULL there. */
#define ZPOLINE_HOOK_NO_SHARED 0x4u

/* The hook enforces a policy (a sandbox): a call it never sees is a hole.
 * The runtime then arms Syscall User Dispatch as with --catch-late, so a
 * call from code it did not rewrite (written at run time, or a site that a
 * stale or altered cache entry left out) still reaches the hooks; where
 * that cannot be armed the program is refused (status 125) unless the user
 * asked for best effort. Each call costs some tens of nanoseconds more. */
#define ZPOLINE_HOOK_ENFORCES 0x8u

/* The hook writes (trace_write) from its init at most, never while the
 * program runs. When every hook says so, the run names no descriptor for
 * reports (zpoline run always does; the runtime preloaded by hand does
 * not) and asks for no statistics (ZPOLINE_STATS, ZPOLINE_VERBOSE), the
 * process holds none of the runtime's: what is written goes to
 * the program's standard error, and only while that is still the file it
 * was at start-up (else it is dropped, not written into the program's
 * file). */
#define ZPOLINE_HOOK_QUIET 0x10u

typedef long zpoline_syscall_fn(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* One system call, as enter and exit hooks see it. */
struct zpoline_call {
	long nr;                        /* enter may change it */
	long args[6];                   /* rdi rsi rdx r10 r8 r9; enter may change them */
	long ret;                       /* 0 at the first enter; the result (value
	                                 * or -errno), set by the kernel or by an
	                                 * enter that answers ZPOLINE_DONE; exit
	                                 * may change it */
};

/* the kernel's code for a call it makes again once a signal's handler
 * has run (its <linux/errno.h>, not exported to programs): what exit sees
 * for such a call, see zpoline_init.interrupted */
#define ZPOLINE_ERESTARTSYS 512

/* what enter returns */
#define ZPOLINE_CALL 0                  /* make the call (with call->nr, call->args) */
#define ZPOLINE_DONE 1                  /* skip the kernel: the result is call->ret */

/* slot: 8 bytes of this hook's own for this call, from its enter to its
 * exit (a timestamp, say); nothing else reads or writes it */
typedef int zpoline_enter_fn(struct zpoline_call *call, uint64_t *slot);
typedef void zpoline_exit_fn(struct zpoline_call *call, uint64_t *slot);

/* The interest set: a bitmap of ZPOLINE_INTEREST_BITS numbers, bit n of
 * word n / 64 for number n. A number outside 0..ZPOLINE_INTEREST_BITS - 2
 * (invalid, negative or x32) counts as ZPOLINE_INTEREST_OTHER. Set it from
 * init at the latest; the runtime reads it once init has returned. */
#define ZPOLINE_INTEREST_BITS 1024
#define ZPOLINE_INTEREST_OTHER (ZPOLINE_INTEREST_BITS - 1)
#define ZPOLINE_INTEREST_WORDS (ZPOLINE_INTEREST_BITS / 64)
#define ZPOLINE_WANT(set, nr) ((set)[(nr) / 64] |= 1ull << ((nr) % 64))

struct zpoline_init {
	unsigned abi_version;           /* the runtime's ZPOLINE_ABI_VERSION */
	unsigned reserved;
	zpoline_syscall_fn *next;       /* performs the call: the next hook or the kernel */
	const char *options;            /* the hook's --hook-opt string, "" if none */
	/* writes to where a hook's report goes: the user's stderr or
	 * `zpoline run -o FILE`, whatever the program does to its own file
	 * descriptors. Complete lines, one call each, keep output of
	 * concurrent threads and processes whole. Returns write(2)'s result. */
	long (*trace_write)(const void *buf, unsigned long len);
	/* the name of a system call number as the kernel headers zpoline was
	 * built with know it, or NULL */
	const char *(*syscall_name)(long nr);
	/* memory shared by every process of the run, forked or executed, for
	 * this hook alone: zero at first, MAP_SHARED, `shared_size` bytes
	 * (64 KiB). Use atomic operations: processes and threads run at once. */
	void *shared;
	unsigned long shared_size;
	/* a descriptor the hook keeps open (one handed down across execve,
	 * say) that the program must not see: calls naming it fail with
	 * EBADF as on a closed one, listings of /proc/self/fd leave it out,
	 * close_range() spares it, and a dup2() onto its number moves it,
	 * writing the new number to *fd (which may be in `shared`). */
	void (*own_fd)(int *fd);
	/* ---- ABI 3 (read it only when abi_version >= 3) ---- */
	/* In sud mode and with the safety net (--catch-late, a hook that
	 * enforces a policy) a system call from code the runtime did not
	 * rewrite arrives by SIGSYS, unless the thread's setting allows it;
	 * hook code runs allowed, except in a signal handler of the hook's
	 * own, which the kernel enters with the program's setting: each call
	 * it makes is then a signal (a frame of some 3 KiB on the stack it
	 * runs on) and comes to the hooks as a call of the program's.
	 * own_calls(1) makes this thread's calls plain system calls,
	 * own_calls(0) gives the program's setting back (do so before
	 * calling the program's own handler); each returns the setting it
	 * replaced (1: allowed), to be given back before the handler returns.
	 * Elsewhere it changes nothing and returns 1. */
	int (*own_calls)(int on);
	/* ---- ABI 4 (read it only when abi_version >= 4) ---- */
	/* From an exit: the number of a signal that interrupted this call
	 * (or arrived as it returned) and whose handler the runtime runs once
	 * the exits are done, the program back at its call site, as the kernel
	 * would deliver it there; else 0. The call's result is then what the
	 * program gets (-EINTR for one the handler ends), or -ZPOLINE_ERESTARTSYS
	 * for one the kernel makes again after the handler: left so, the
	 * program makes the call again (the hooks see it as a new call);
	 * changed, the program gets the new value. A tracer shows such a call
	 * as strace does: "= ? ERESTARTSYS", then the signal. */
	int (*interrupted)(void);
};

struct zpoline_hook {
	unsigned abi_version;           /* ZPOLINE_ABI_VERSION the hook was built for */
	unsigned flags;                 /* ZPOLINE_HOOK_* */
	const char *name;
	/* optional: called once, before the program's code runs; a nonzero
	 * return (a negative errno) stops the program with an error. The
	 * struct it gets stays valid for the life of the process. */
	int (*init)(const struct zpoline_init *init);
	/* the wrapper style: set this, or enter/exit below, not both */
	zpoline_syscall_fn *syscall;
	/* optional: called once when the process calls exit_group */
	void (*fini)(void);
	/* optional: next() does not return for vfork(), for clone() with
	 * CLONE_VM and no new stack, or for rt_sigreturn(), because the
	 * program's stack cannot hold the hook's frame across them. For the
	 * first two, this is called afterwards in the child (ret == 0) and
	 * in the parent with the result. */
	void (*vfork_return)(long nr, long ret);
	/* ---- ABI 2: the enter/exit style ---- */
	/* The enters of chained hooks run in the order given, their exits in
	 * reverse, as wrappers nest. An enter that answers ZPOLINE_DONE skips
	 * the kernel and the enters after it; the exits of the hooks before it
	 * run and see its result; its own exit does not run. enter NULL with
	 * exit set: every wanted call is made. exit is not called for calls
	 * that do not return
	 * (rt_sigreturn, exit, exit_group, a successful execve); for vfork,
	 * and clone with CLONE_VM and no new stack, it is called in the child
	 * (ret 0) and in the parent. */
	zpoline_enter_fn *enter;
	zpoline_exit_fn *exit;
	/* the numbers this hook wants (see ZPOLINE_INTEREST_BITS); NULL: all */
	const uint64_t *interest;
};

#define ZPOLINE_HOOK_DEFINE(...)                                                   \
	__attribute__((visibility("default"))) const struct zpoline_hook zpoline_hook = \
		{ .abi_version = ZPOLINE_ABI_VERSION, __VA_ARGS__ }

/* A hook built for ABI 1 (syscall/next only), 2 or 3 keeps working unchanged. */

/* Hooks written for the original zpoline are accepted unchanged: they
 * export  int __hook_init(long placeholder, void *sys_call_hook_ptr)
 * and replace the function pointer at *sys_call_hook_ptr, a
 * zpoline_syscall_fn, with their own after saving it as their `next`. */

#ifdef __cplusplus
}
#endif

#endif
