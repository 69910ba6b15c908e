/* layout.h -- the numbers stub.S and the C files must agree on: frame and
 * thread-state offsets, the number classes. Only #defines, so that the
 * assembler can include it; dispatch.c asserts the structs against it. */
#ifndef ZP_LAYOUT_H
#define ZP_LAYOUT_H

/* struct zp_frame (the chain's frame) */
#define ZP_FRAME_SIZE 240
#define ZP_F_R12 24
#define ZP_F_RSI 80
#define ZP_F_RDI 88
#define ZP_F_RAX 96
#define ZP_F_RET 232

/* struct zp_cframe (the enter/exit frame) */
#define ZP_CF_NR 0
#define ZP_CF_ARGS 8
#define ZP_CF_RET 56
#define ZP_CF_SLOTS 64
#define ZP_CF_EXITS 192
#define ZP_CF_SIZE 208

/* struct zp_thread */
#define ZP_VFORK_DEPTH 8
#define ZP_T_GUARD 0
#define ZP_T_FRAME 8
#define ZP_T_XAREA 16
#define ZP_T_VDEPTH 24
#define ZP_T_VRET 32
#define ZP_T_THUNK_RET (32 + 8 * ZP_VFORK_DEPTH)
#define ZP_T_AT_SITE (ZP_T_THUNK_RET + 8)
#define ZP_T_PSUD (ZP_T_AT_SITE + 8)

/* the kernel's struct ucontext, as rt_sigreturn reads it (glibc's
 * ucontext_t goes on past it): the registers zp_release_at_site stores,
 * and the room it keeps for it, 64-byte aligned */
#define ZP_UC_R8 40
#define ZP_UC_R9 48
#define ZP_UC_R10 56
#define ZP_UC_R12 72
#define ZP_UC_R13 80
#define ZP_UC_R14 88
#define ZP_UC_R15 96
#define ZP_UC_RDI 104
#define ZP_UC_RSI 112
#define ZP_UC_RBP 120
#define ZP_UC_RBX 128
#define ZP_UC_RDX 136
#define ZP_UC_RAX 144
#define ZP_UC_RSP 160
#define ZP_UC_RIP 168
#define ZP_UC_EFL 176
#define ZP_UC_ROOM 320

/* zp_nr_class: what the stub does with a number */
#define ZP_NR_CLASSES 1024
#define ZP_CLASS_DIRECT 0       /* no hook wants it: straight to the kernel */
#define ZP_CLASS_HOOKS 1        /* the enter/exit hooks around the real call */
#define ZP_CLASS_CHAIN 2        /* the chain of syscall/next hooks */
#define ZP_CLASS_POLICY 3       /* the runtime's own handling, vector state saved */
/* The first argument is a descriptor: one of the runtime's own (at or
 * above zp_own_fd_floor) takes the policy path, any other number goes on
 * as zp_nr_fdelse[nr] says */
#define ZP_CLASS_OWNFD 4
/* Descriptors in other positions too: each argument in zp_nr_fdmask[nr]
 * is compared with zp_own_fd_floor, then as ZP_CLASS_OWNFD */
#define ZP_CLASS_OWNFDS 5
/* Direct, but a pointer argument below ZP_LOW_END (page 0 and the literal
 * page, which the kernel could read natively unmapped) takes the slow path
 * (policy.c, zp_check_call). The low 6 bits say which arguments:
 *   ZP_CLASS_PTRS | m      argument i+1 (bit i of m) is checked: arg < ZP_LOW_END
 *   ZP_CLASS_NULLABLE | m  checked unless NULL: arg - 1 < ZP_LOW_END - 1,
 *                          then the arguments in zp_nr_pmask[nr] as above
 *   ZP_CLASS_IOVEC         the second argument is an iovec array counted by
 *                          the third, ZP_CLASS_MSGHDR a struct msghdr: the
 *                          pointers inside too, then zp_nr_pmask as above
 *   ZP_CLASS_NESTED        other pointers inside structs: checked in C */
#define ZP_CLASS_PTRS 0x40
#define ZP_CLASS_NULLABLE 0x80
#define ZP_CLASS_IOVEC 0xc0
#define ZP_CLASS_MSGHDR 0xc1
#define ZP_CLASS_NESTED 0xc2
#define ZP_LOW_END 0x5000

/* page 0's protection once filled: execute only. With protection keys
 * (PKU, and the kernel's execute-only key) the program's loads from page 0
 * then fault as natively, and so do the kernel's reads of pointers there;
 * without them x86 makes an executable page readable anyway. Nothing of
 * the runtime reads page 0 after it is filled. */
#define ZP_PAGE0_PROT 0x4	/* PROT_EXEC */

/* enum zp_save_mode */
#define ZP_SAVE_MODE_ZMM 3

#endif
