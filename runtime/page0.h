/* page0.h -- pointers into the trampoline's pages.
 *
 * Natively nothing is mapped at 0-0x4fff, so a system call given a pointer
 * there fails (EFAULT, or whatever the kernel checks first). With page 0
 * and the literal page mapped, the kernel could read them: a call with
 * such a pointer is made with both pages PROT_NONE for its duration
 * (zp_page0_call), so that the kernel sees what it sees natively. Which
 * arguments are pointers: zp_syscall_args[], generated from
 * src/syscall-args.txt. */
#ifndef ZP_PAGE0_H
#define ZP_PAGE0_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

#define ZP_HIDDEN_P0 __attribute__((visibility("hidden")))

/* sysnames.c (generated): per number, bit i: argument i+1 is a pointer
 * the kernel reads; bit 8+i: one where NULL means none; bit 16+i: an
 * iovec array counted by the next argument; bit 24+i: a struct msghdr;
 * both: an array of struct mmsghdr counted by the next argument; bit 6:
 * the call takes descriptors, bit i of zp_syscall_fds[nr] for argument
 * i+1 (bit 7 there: one of the runtime's fails the call; bit 6 there:
 * some lie inside a structure, a pollfd array, an fd_set, SCM_RIGHTS);
 * bit 7: an argument is a pointer for some values of another only (kind
 * i) */
extern const uint32_t zp_syscall_args[];
extern const uint8_t zp_syscall_fds[];
/* per number, bit i: argument i+1 is a path the kernel looks up, from
 * the descriptor argument before it if that is one (s, t) */
extern const uint8_t zp_syscall_paths[];
#define ZP_ARG_FDS (1u << 6)
#define ZP_ARG_SOMETIMES (1u << 7)
#define ZP_ARG_READ(k, i) (((k) >> (i)) & 1)
#define ZP_ARG_NULLABLE(k, i) (((k) >> (8 + (i))) & 1)
#define ZP_ARG_IOVEC(k, i) (((k) >> (16 + (i))) & 1)
#define ZP_ARG_MSGHDR(k, i) (((k) >> (24 + (i))) & 1)

/* trampoline.c: the pages are mapped (fast mode); otherwise nothing to do */
extern bool zp_page0_mapped ZP_HIDDEN_P0;
/* trampoline.c: page 0 is mapped and unreadable (execute only, with
 * protection keys): loads from it fault as natively, so a JVM's null
 * checks work with it mapped */
extern bool zp_page0_xonly ZP_HIDDEN_P0;
/* zp_trampoline_unmap -- before any site is rewritten: page 0 goes */
void zp_trampoline_unmap(void) ZP_HIDDEN_P0;

/* per number, for ZP_CLASS_NULLABLE: the other pointer arguments (loader.c
 * fills it with the classes; stub.S reads it) */
extern uint8_t zp_nr_pmask[ZP_NR_CLASSES] ZP_HIDDEN_P0;

/* page0.c */
/* zp_page0_low -- a pointer into the trampoline's pages */
bool zp_page0_low(uint64_t p) ZP_HIDDEN_P0;
/* zp_page0_forked -- in a forked child: the pages as they should be */
void zp_page0_forked(void) ZP_HIDDEN_P0;
/* zp_kernel_call -- the kernel's turn for the chain and the signal paths:
 * the call as the program made it (its signal handlers hooked while it
 * blocks), with pointers into the trampoline's pages treated as natively,
 * and the runtime's descriptors in any descriptor argument as descriptors
 * the program never opened */
long zp_kernel_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN_P0;
/* zp_path_names_own_fd -- a path argument of nr names one of the
 * runtime's descriptors (/proc/self/fd/N...): natively ENOENT. For a
 * number with paths (zp_syscall_paths), while the runtime holds any. */
bool zp_path_names_own_fd(long nr, const long args[6]) ZP_HIDDEN_P0;
/* zp_page0_nested -- the pointers inside the structs of a call whose
 * word in zp_syscall_args is k (iovecs, msghdr) */
bool zp_page0_nested(uint32_t k, const long args[6]) ZP_HIDDEN_P0;

/* zp_page0_integer -- argument i of nr, a pointer for some values of
 * another argument only (kind i), is an integer the kernel does not read
 * as memory for these arguments */
bool zp_page0_integer(long nr, int i, const long a[6]) ZP_HIDDEN_P0;

/* zp_page0_kind -- the word of nr in zp_syscall_args, or 0 when the
 * pages are not mapped: pointer arguments to check when k & ~ZP_ARG_FDS */
static inline uint32_t zp_page0_kind(long nr)
{
	extern const unsigned zp_syscall_count;

	if (!zp_page0_mapped || (unsigned long)nr >= zp_syscall_count)
		return 0;
	return zp_syscall_args[nr];
}

/* zp_page0_hit_kind -- zp_page0_hit for nr, whose kind is k */
static inline bool zp_page0_hit_kind(long nr, uint32_t k, const long a[6])
{
	/* the pointer arguments only: usually one or two */
	for (unsigned m = (k | k >> 8) & 0x3f; m != 0; m &= m - 1) {
		int i = __builtin_ctz(m);
		unsigned long v = (unsigned long)a[i];
		if (v < ZP_LOW_END && (v != 0 || ZP_ARG_READ(k, i)) &&
		    !((k & ZP_ARG_SOMETIMES) && zp_page0_integer(nr, i, a)))
			return true;
	}
	return (k >> 16) != 0 && zp_page0_nested(k, a);
}

/* zp_page0_hit -- would the kernel follow a pointer of this call into
 * 0..ZP_LOW_END? (false when the pages are not mapped) */
static inline bool zp_page0_hit(long nr, const long a[6])
{
	uint32_t k = zp_page0_kind(nr);

	return (k & ~ZP_ARG_FDS) != 0 && zp_page0_hit_kind(nr, k, a);
}
/* zp_page0_call -- make the call with the pages PROT_NONE */
long zp_page0_call(long nr, const long args[6]) ZP_HIDDEN_P0;
/* zp_check_call -- stub.S's slow path for the direct classes: 0, make the
 * call; 1, made it (the result in f->rax) */
struct zp_frame;
long zp_check_call(struct zp_frame *f) ZP_HIDDEN_P0;

/* stub.S: the slow path's entry, and a copy of the program's memory that
 * may fault (signal.c resumes at zp_probe_fixup, which returns -1) */
extern void zp_check_entry(void) ZP_HIDDEN_P0;
int zp_probe_copy(uint64_t *dst, const void *src, unsigned long words) ZP_HIDDEN_P0;
extern const char zp_probe_insn[] ZP_HIDDEN_P0;
extern const char zp_probe_fixup[] ZP_HIDDEN_P0;
/* the stub's own loads of iovecs and msghdrs (zp_nested_checked): a fault
 * there resumes at zp_uprobe_fault, which makes the call as it is */
extern const char zp_uprobe_start[] ZP_HIDDEN_P0;
extern const char zp_uprobe_end[] ZP_HIDDEN_P0;
extern const char zp_uprobe_fault[] ZP_HIDDEN_P0;

#endif
