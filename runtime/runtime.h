/* runtime.h -- shared between the files of libzpoline.so (all hidden) */
#ifndef ZP_RUNTIME_H
#define ZP_RUNTIME_H

#include <elf.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "contract.h"
#include "layout.h"
#include "zp.h"
#include "zpoline/hook.h"

#define ZP_HIDDEN __attribute__((visibility("hidden")))

/* ---- dispatch.c and stub.S: the frames and the thread's state ---- */

/* The registers the stub pushed, lowest address first, then the program's
 * red zone, which the stub steps over before it saves anything; `ret` was
 * pushed by the rewritten `call *%rax`, and the program's %rsp is just
 * above it. Offsets: layout.h, asserted in dispatch.c. */
struct zp_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi, rax;
	uint64_t redzone[16];
	uint64_t ret;
};


/* The frame of the enter/exit path: stub.S builds it below the program's
 * saved registers and hands it to zp_enter() and zp_exit(). */
struct zp_cframe {
	struct zpoline_call call;
	uint64_t slot[16];              /* one per hook */
	/* the hooks whose exit runs, bit i for hook i, and the runtime's
	 * marks (ZP_EXITS_*) */
	uint32_t exits;
	int32_t intr;                   /* the signal held back that interrupted the call */
	long nr0;                       /* the program's number, when an enter changed it */
};

/* zp_cframe.exits: a signal interrupted the kernel's turn and waits for
 * the exits (signal.c, at_hooked_call): zp_exit runs even with no hook's
 * exit to run, and lets it through at the site (SITE); the kernel would
 * have made the call again once its handler returned (RESTART: the exits
 * see -ERESTARTSYS, and unless they change it the stub goes back to the
 * site to make it again); an enter changed the number (nr0 holds the
 * program's) */
#define ZP_EXITS_HOOKS 0xffffu
#define ZP_EXITS_SITE (1u << 31)
#define ZP_EXITS_RESTART (1u << 30)
#define ZP_EXITS_RENUMBERED (1u << 29)
/* the call's enters ran, and the stub lets the signals held back during
 * them through at the site before the kernel's turn (dispatch.c,
 * before_call): no exit runs now */
#define ZP_EXITS_PRECALL (1u << 28)

/* what the stub does with a number (zp_nr_class): go straight to the
 * kernel, run the enter/exit hooks around it, run the chain of hooks of
 * the syscall/next style, or go to the runtime's own handling (policy.c),
 * which always saves the vector state */
extern uint8_t zp_nr_class[ZP_NR_CLASSES] ZP_HIDDEN;
/* ZP_CLASS_OWNFD and ZP_CLASS_OWNFDS: the class otherwise, the
 * descriptor arguments (OWNFDS), and the lowest of the runtime's own
 * descriptors (INT_MAX when it holds none) */
extern uint8_t zp_nr_fdelse[ZP_NR_CLASSES] ZP_HIDDEN;
extern uint8_t zp_nr_fdmask[ZP_NR_CLASSES] ZP_HIDDEN;
extern int zp_own_fd_floor ZP_HIDDEN;
/* zp_fd_class -- class c of nr, or ZP_CLASS_OWNFD(S) in front of it for
 * a number with descriptor arguments, the policy path for an open while
 * the runtime holds descriptors (policy.c checks what it opened) */
uint8_t zp_fd_class(long nr, uint8_t c) ZP_HIDDEN;
/* zp_is_own_fd -- fd is one of the runtime's descriptors (page0.c) */
bool zp_is_own_fd(long fd) ZP_HIDDEN;
/* the runtime's descriptors and the hooks' (zpoline_init.own_fd), and
 * the variables that hand the runtime's down to children (NULL: none) */
#define ZP_OWN_FDS_MAX 8
extern int *zp_own_fds[ZP_OWN_FDS_MAX] ZP_HIDDEN;
extern const char *zp_own_fd_vars[ZP_OWN_FDS_MAX] ZP_HIDDEN;
extern size_t zp_nown ZP_HIDDEN;
/* zp_own_fds_changed -- after the runtime's descriptors were made or moved */
void zp_own_fds_changed(void) ZP_HIDDEN;

/* where the program's call returns once the runtime is done with it: no
 * stage of ours; the stub's return to the site; the context the signal
 * path returns to (zp_guard_back_at, dispatch) */
enum { ZP_STAGE_NONE, ZP_STAGE_SITE, ZP_STAGE_FRAME };

/* Per-thread state, initial-exec TLS. Offsets: layout.h. */
/* what zp_dispatch restores on its way out (zp_leave_dispatch) */
struct zp_entry {
	uint64_t guard;
	struct zp_frame *frame;
	void *xarea;
	uint8_t sel;
	struct zp_entry *prev;
	/* this dispatch's frame, where the signals that interrupt the
	 * program's call wait for the chain's end (the stub lets them through
	 * at the site, the signal path in its frame's context: dispatch's
	 * stage), else NULL; the first such signal, and whether the kernel
	 * would have made the call again (signal.c, at_turn) */
	struct zp_frame *stage;
	int intr;
	bool restart;
};

#define ZP_FORWARDED 16
/* standard signals a thread keeps back at once (signal.c): one of each
 * number, and the next instance of each taken out while they are sent
 * again; more are sent to it again at once, as pending signals.
 * ZP_SIGINFO_WORDS -- the part of a siginfo the kernel fills (its
 * kernel_siginfo: the rest of the 128 bytes is always 0) */
#define ZP_STD_SLOTS 32
#define ZP_SIGINFO_WORDS 6

struct zp_thread {
	union {
		struct {
			uint32_t guard;         /* 0: inside no hook; else ZP_GUARD_* bits */
			/* a call kept for its site (precall, below): zp_enter's
			 * one test of guard_word sees both */
			uint32_t precall_kept;
		};
		uint64_t guard_word;
	};
	struct zp_frame *frame;         /* the current stub frame, NULL in a signal path */
	void *xarea;                    /* its saved vector state, or NULL */
	uint64_t vfork_depth;
	uint64_t vfork_ret[ZP_VFORK_DEPTH];
	uint64_t thunk_ret;             /* where a trap-path thunk returns */
	/* signals held back that the stub lets through at the call site, the
	 * call's exits done (zp_release_at_site), or the signal path in the
	 * context it returns to (emulate): their handlers find the program
	 * there, as natively after the call (zp_guard_back_at) */
	uint64_t at_site;
	/* the program's own Syscall User Dispatch, while the runtime's is
	 * armed (sud.c); on: the stub sends every rewritten call to the
	 * signal path, which decides as the kernel would */
	struct zp_psud {
		uint8_t on;             /* 0: off; 1: allow [off, off+len); 2: dispatch only there */
		uintptr_t off, len;
		const volatile uint8_t *sel;    /* may be NULL: always dispatched */
		long tid;               /* the thread that set it (a vfork child shares it) */
	} psud;
	/* Syscall User Dispatch selector: the kernel reads it at every system
	 * call made outside the runtime's text: 0 lets it through, 1 raises
	 * SIGSYS. 1 while the program runs, 0 while hooks and the runtime do. */
	volatile uint8_t sud_selector;
	/* the state before the current dispatch, for calls that never return
	 * to it (rt_sigreturn, vfork): one record per dispatch in progress,
	 * innermost first, as a dispatch nests in another's chain (a hook's
	 * own call through a rewritten site, a signal's handler) */
	struct zp_entry *entry;
	long vfork_nr;
	/* a signal path letting the hooks see a call it then makes itself
	 * (zp_dispatch_observe): where zp_next goes back to instead */
	void **observe;
	/* the context an rt_sigreturn being dispatched returns to (its
	 * %rax is what the call gives back: zp_sigreturn_result) */
	uintptr_t sigreturn_uc;
	/* a vfork-like call in the chain: the call and the slots of the
	 * enter/exit hooks whose exits run after it, in child and parent */
	struct zpoline_call vfork_call;
	uint64_t vfork_slot[ZP_MAX_HOOKS];
	uint32_t vfork_exits;
	/* the environment an execve in progress passes (policy.c) */
	void *exec_map;
	size_t exec_map_len;
	/* the signal frames handed to the program's handlers (signal.c),
	 * innermost last, until their rt_sigreturn */
	uint32_t nforwarded;
	struct {
		uintptr_t uc, si;       /* in the kernel's frame */
		int sig;
	} forwarded[ZP_FORWARDED];
	/* a thread --no-follow does not follow (ZP_GUARD_UNFOLLOWED is its
	 * guard for good): its side of a vfork stays unfollowed */
	bool unfollowed;
	/* at_site's context is the call at the site, to be made again (a
	 * restart: zp_exit) */
	bool site_restart;
	/* the signal that interrupted the call whose exits run (zp_exit),
	 * for zpoline_init.interrupted */
	int exit_intr;
	/* the dispatch whose program's call is in the kernel, by
	 * zp_turn_syscall, signals that interrupt it waiting (zp_next) */
	struct zp_entry *turn;
	/* a call on the enter/exit path whose enters ran, the signals held
	 * back meanwhile let through at its site before the kernel's turn
	 * (dispatch.c, before_call): made, as the enters left it, when the
	 * program comes back to the site with the same call (precall_kept) */
	struct {
		uint64_t *ret_slot;     /* where its return address lies */
		uint64_t ret;           /* the site's return */
		long nr, args[6];       /* the program's call */
		struct zpoline_call call;
		uint32_t exits;
		uint64_t slot[ZP_MAX_HOOKS];
	} precall;
	long at_site_tid;               /* the thread that left at_site */
	/* the mask before every signal was blocked, at_site set, until the
	 * stub or the signal path lets them through (zp_signal_at_site) */
	uint64_t at_site_mask;
	/* the program's signals that arrived while hook code ran (the guard
	 * up): sent again and blocked until the guard comes down (signal.c) */
	uint64_t deferred;
	/* handlers of the program's entered (signal.c), counted */
	uint32_t handled;
	/* a real-time signal held back (signal.c): its number (0: none), the
	 * thread holding it (a vfork child shares this state, a forked one
	 * has a copy) and its siginfo, delivered on the frame of the next
	 * instance the kernel delivers, each instance in turn moving here */
	int held_sig;
	bool held_marked;               /* the mark that frees it is queued */
	long held_tid;
	uint64_t held_info[16];
	/* standard signals held back (signal.c): kept here, not pending in
	 * the kernel, so that another instance sent meanwhile is pending on
	 * its own; std_held the signals kept (bit sig - 1), each in a slot
	 * (its number, 0: free, and siginfo); the thread holding them as
	 * above */
	uint64_t std_held;
	long std_tid;
	uint8_t std_sig[ZP_STD_SLOTS];
	uint64_t std_info[ZP_STD_SLOTS][ZP_SIGINFO_WORDS];
};

/* zp_thread.guard: any bit set, the hooks are passed by. HOOK: in hook
 * code (or the runtime's); UNFOLLOWED: a vfork-like child the run does
 * not follow (--no-follow), running on its parent's thread state, or a
 * thread started under --no-follow: its calls get the runtime's handling
 * alone, as a forked child's do */
#define ZP_GUARD_HOOK 1u
#define ZP_GUARD_UNFOLLOWED 2u

extern __thread struct zp_thread zp_tls ZP_HIDDEN __attribute__((tls_model("initial-exec")));

/* ---- stub.S and nostack.S ---- */
/* stub.S compares zp_save_mode with these numbers */
enum zp_save_mode { ZP_SAVE_GPR, ZP_SAVE_XSAVEC, ZP_SAVE_XSAVE, ZP_SAVE_ZMM };
/* where page 0 jumps, one per save mode: each checks the site, then goes
 * by zp_nr_class */
extern void zp_entry_gpr(void) ZP_HIDDEN;
extern void zp_entry_zmm(void) ZP_HIDDEN;
extern void zp_entry_xsavec(void) ZP_HIDDEN;
extern void zp_entry_xsave(void) ZP_HIDDEN;
/* the chain's paths (after the site check), per save mode; the entries
 * jump to zp_chain_entry for ZP_CLASS_CHAIN and zp_policy_entry for
 * ZP_CLASS_POLICY */
extern void zp_chain_gpr(void) ZP_HIDDEN;
extern void zp_chain_zmm(void) ZP_HIDDEN;
extern void zp_chain_xsavec(void) ZP_HIDDEN;
extern void zp_chain_xsave(void) ZP_HIDDEN;
extern void (*zp_chain_entry)(void) ZP_HIDDEN;
extern void (*zp_policy_entry)(void) ZP_HIDDEN;
extern long zp_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN;
/* zp_turn_syscall -- the same, for the program's call in the kernel's turn
 * (page0.c, raw_plain); zp_turn_syscall_insn its `syscall` */
extern long zp_turn_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN;
extern const char zp_turn_syscall_insn[] ZP_HIDDEN;
/* zp_raw_int80 -- int $0x80 (stub.S): i386 number and arguments */
extern long zp_raw_int80(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN;
extern void zp_sigreturn_restorer(void) ZP_HIDDEN;
/* zp_sigreturn_at -- rt_sigreturn from the kernel's frame whose context is
 * at uc, as the handler's return to its restorer would (nostack.S) */
__attribute__((noreturn)) void zp_sigreturn_at(void *uc) ZP_HIDDEN;
/* zp_handler_jump -- into the program's handler on the kernel's frame at
 * uc, as the kernel enters it, returning to restorer (nostack.S) */
__attribute__((noreturn)) void zp_handler_jump(void *handler, int sig, void *si, void *uc, void *restorer) ZP_HIDDEN;
/* zp_write_out -- write all of buf to fd, one of the runtime's outputs
 * (zp_trace_write's, a report's): never the program's death by SIGXFSZ
 * past a file size limit it set; the bytes written, or -errno */
long zp_write_out(int fd, const void *buf, unsigned long len) ZP_HIDDEN;
/* zp_fsize_changed -- the program set a resource limit: zp_write_out
 * reads the file size limit again */
void zp_fsize_changed(void) ZP_HIDDEN;
/* zp_call_on -- fn(arg) on the stack that ends at top (16-byte aligned) */
void zp_call_on(void (*fn)(void *), void *arg, void *top) ZP_HIDDEN;
__attribute__((noreturn)) void zp_do_sigreturn(struct zp_frame *f) ZP_HIDDEN;
__attribute__((noreturn)) void zp_do_vfork(struct zp_frame *f, void *xarea) ZP_HIDDEN;
long zp_do_clone(struct zp_frame *f, void *xarea, uint64_t child_stack) ZP_HIDDEN;
long zp_do_clone3(struct zp_frame *f, void *xarea, void *args, uint64_t child_stack) ZP_HIDDEN;
static inline long zp_raw_mprotect(uintptr_t addr, size_t len, int prot)
{
	return zp_raw_syscall(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}
extern void zp_thunk_plain(void) ZP_HIDDEN;
/* as zp_thunk_plain, then tells the hooks what vfork returned (both sides) */
extern void zp_thunk_vfork(void) ZP_HIDDEN;
void zp_call_saving_xstate(void (*fn)(void *), void *arg) ZP_HIDDEN;
/* zp_run_moved(m, uc) -- a trap's call moved off the alternate stack
 * (signal.c): zp_moved_call(m) on the stack below m, then rt_sigreturn
 * from the context at uc */
struct zp_moved;
__attribute__((noreturn)) void zp_run_moved(struct zp_moved *m, void *uc) ZP_HIDDEN;
void zp_moved_call(struct zp_moved *m) ZP_HIDDEN;

/* ---- trampoline.c ---- */
#define ZP_SLED_END 0x208           /* numbers below go straight to the stub */
/* the page that holds the stub's address, read-only, and the address
 * itself: where the jump at ZP_SLED_END reads it (see trampoline.c) */
#define ZP_LITERAL_PAGE 0x4000
#define ZP_LITERAL (ZP_SLED_END + 6 + 0x3fff)
int zp_trampoline_fill(uint8_t *page, uint8_t *literal_page, void (*entry)(void)) ZP_HIDDEN;
int zp_trampoline_map(void (*entry)(void)) ZP_HIDDEN;

/* ---- xstate.c: how the stub saves the vector state ---- */
extern uint64_t zp_xsave_size ZP_HIDDEN;
extern uint64_t zp_save_mode ZP_HIDDEN;
/* flags: what every hook declares (ZPOLINE_HOOK_*) */
enum zp_save_mode zp_pick_save_mode(unsigned flags) ZP_HIDDEN;

/* ---- msg.c: reporting that does not trust libc ---- */
/* zp_trace_fd (defined in loader.c, which hands it to the hooks):
 * zp_trace_setup takes the run's (true) or notes the program's stderr;
 * zp_trace_own_stderr then makes a copy of it for hooks that write while
 * the program runs (true: the caller hands it down); zp_trace_out is what
 * to write to now (-1: nowhere, the program's stderr is another file) */
bool zp_trace_setup(const char *env) ZP_HIDDEN;
bool zp_trace_own_stderr(void) ZP_HIDDEN;
int zp_trace_out(void) ZP_HIDDEN;
void zp_msg(const char *fmt, ...) ZP_HIDDEN __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void zp_fatal(int status, const char *fmt, ...) ZP_HIDDEN
	__attribute__((format(printf, 2, 3)));

/* ---- stats.c: what was rewritten, for zpoline stats ---- */
/* how calls reach the hooks: rewritten to calls into page 0 (fast),
 * rewritten to ud2 (trap), or nothing rewritten and every call caught by
 * Syscall User Dispatch (sud) */
enum zp_mode { ZP_MODE_FAST, ZP_MODE_TRAP, ZP_MODE_SUD };
extern struct zp_objstat *zp_stats ZP_HIDDEN;
extern size_t zp_nstats ZP_HIDDEN;
/* what happened after start-up */
struct zp_late_stats {
	unsigned long objects, called, trapped, sud_calls;
	unsigned long lazy;     /* sites the safety net caught, then rewritten */
	unsigned long int80;    /* int $0x80 calls the safety net caught: made
				 * as asked, not handed to the hooks (sud.c) */
};
extern struct zp_late_stats zp_late ZP_HIDDEN;
bool zp_is_root_process(void) ZP_HIDDEN;
void zp_stats_report(const char *how, const char *fds, enum zp_mode how_called, enum zp_save_mode mode) ZP_HIDDEN;
void zp_stats_at_exit(void) ZP_HIDDEN;

/* ---- sites.c: the call-site table, trap sites, excluded code ---- */
/* the call-site set CHECK_SITE (stub.inc) reads: the mask at offset 0,
 * the slots from offset 8 */
struct zp_site_set {
	uintptr_t mask;
	uintptr_t slot[];
};
extern struct zp_site_set *zp_site_set ZP_HIDDEN;
int zp_sites_init(size_t expect, size_t ntraps) ZP_HIDDEN;
int zp_sites_add_call(uintptr_t ret) ZP_HIDDEN;
int zp_sites_add_trap(uintptr_t site) ZP_HIDDEN;
bool zp_sites_add_late_trap(uintptr_t site) ZP_HIDDEN;
bool zp_sites_is_call(uintptr_t ret) ZP_HIDDEN;
bool zp_sites_is_trap(uintptr_t site) ZP_HIDDEN;
/* slot-output sites: zero-terminated, read by zp_bad_call (stub.S) */
extern uintptr_t zp_slotout_sites[] ZP_HIDDEN;
int zp_sites_add_slotout(uintptr_t ret) ZP_HIDDEN;
bool zp_sites_is_slotout(uintptr_t ret) ZP_HIDDEN;
/* where the stub returns to after a slot-output site's call (stub.S) */
void zp_slotout_fixup(void) ZP_HIDDEN;
void zp_excluded_add(uintptr_t start, uintptr_t end) ZP_HIDDEN;
/* zp_in_excluded -- is addr the code of an object the user excluded? */
bool zp_in_excluded(uintptr_t addr) ZP_HIDDEN;

/* ---- objects.c: the loaded objects and their cache keys ---- */
#define ZP_MAX_EXEC_SEGS 4
struct zp_object {
	char path[256];
	uintptr_t bias;
	const void *image;      /* the vDSO: no file */
	size_t image_size;
	bool excluded;
	bool program;           /* the executable itself */
	char scan_path[64];     /* what the helper opens, when not path */
	struct zp_cache_key key;
	/* its executable PT_LOADs, as the loader mapped them (page-rounded) */
	struct { uintptr_t start, end; uint64_t off; int prot; } segs[ZP_MAX_EXEC_SEGS];
	unsigned nsegs;
	bool many_segs;         /* more than ZP_MAX_EXEC_SEGS: read the maps */
};
struct zp_objects {
	struct zp_object *v;
	size_t n, cap;
	uintptr_t self;         /* our own load address */
	const char *self_path;  /* our file, as the loader named it (NULL: unknown) */
	uintptr_t vdso;
	const char *exclude;
	bool count_excluded;    /* scan excluded objects too, for the report */
	struct zp_cache_key self_key;   /* the runtime's own build-id */
};
extern struct zp_objects zp_objs ZP_HIDDEN;
int zp_objects_confirm_program(struct zp_objects *o) ZP_HIDDEN;
/* zp_program_phdrs -- the program's program headers (AT_PHDR, *n of
 * them, NULL if none) and its load bias from PT_PHDR (*bias; false when it
 * has no PT_PHDR, and *bias is 0) */
bool zp_program_phdrs(const Elf64_Phdr **ph, size_t *n, uintptr_t *bias) ZP_HIDDEN;
/* zp_program_has_preinit -- does the program have DT_PREINIT_ARRAY
 * functions, which the loader runs before every initialiser, this
 * runtime's included? */
bool zp_program_has_preinit(void) ZP_HIDDEN;
/* zp_objects_collect -- the objects to rewrite: every one loaded now, so
 * call it before the hooks are loaded into their own namespace */
int zp_objects_collect(const char *exclude, bool count_excluded) ZP_HIDDEN;
int zp_objects_maps(const struct zp_objects *o, struct zp_map **out, size_t *nout) ZP_HIDDEN;
bool zp_object_key(struct zp_object *ob) ZP_HIDDEN;
struct stat;
void zp_key_file(struct zp_cache_key *k, const struct stat *st) ZP_HIDDEN;
void zp_key_scanner(struct zp_cache_key *k, const struct zp_cache_key *self) ZP_HIDDEN;
bool zp_loaded_object_matches(const char *globs) ZP_HIDDEN;

/* ---- scanner.c: the scanner module, or the helper process ---- */
struct zp_scan_job {
	const struct zp_cache_key *key;
	const char *path;
	bool miss;              /* the cache lacks it: the helper scans it */
	bool got;               /* scan holds its sites */
	struct zp_scan scan;
};
const char *zp_runtime_dir(void) ZP_HIDDEN;
int zp_scan_missing(const char *cachedir, struct zp_scan_job *jobs, size_t njobs, char *why,
		    size_t len) ZP_HIDDEN;
/* zp_scanner_mapping -- is this thread loading the scanner module? What
 * it maps then is the module's, in its own namespace */
bool zp_scanner_mapping(void) ZP_HIDDEN;
bool zp_best_effort(void) ZP_HIDDEN;
void zp_unhooked(const char *path, const char *why) ZP_HIDDEN;
/* zp_unrewritten -- the same for code of this process that was not
 * rewritten: nothing to refuse while the safety net is armed */
void zp_unrewritten(const char *path, const char *why) ZP_HIDDEN;
#define ZP_INT80_WHY "it makes system calls with int $0x80 (the 32-bit gate), which cannot be rewritten"
void zp_check_rewritten(void) ZP_HIDDEN;
void zp_cache_grew(void) ZP_HIDDEN;
void zp_cache_keep_bound(int cachefd) ZP_HIDDEN;

/* ---- patch.c: the rewrite at start-up, and images ---- */
/* zp_patch_all -- rewrite them; all_traps: trap mode, every site becomes
 * ud2 and page 0 stays unmapped */
int zp_patch_all(bool all_traps) ZP_HIDDEN;
struct zp_patch zp_site_patch(uint64_t off, bool trap) ZP_HIDDEN;
bool zp_image_map(int cachefd, int imgfd, int pagemap, const struct zp_cache_key *key, const char *path,
		  struct zp_patch *p, size_t n, uintptr_t start, size_t len, uint64_t off, int prot) ZP_HIDDEN;

/* ---- late.c: code that appears after start-up ---- */
/* zp_late_mapped -- a file was just mapped executable (dlopen): rewrite it */
void zp_late_mapped(uintptr_t addr, size_t len, int fd, uint64_t off, int prot) ZP_HIDDEN;
void zp_late_enable(const char *exclude, enum zp_mode mode) ZP_HIDDEN;
/* zp_patch_cache_dir -- the cache directory start-up used (patch.c), or
 * NULL; for libraries loaded later */
const char *zp_patch_cache_dir(void) ZP_HIDDEN;
/* the lazypoline step: a site the safety net caught, rewritten to the fast
 * path when the code after it leaves the red zone alone */
void zp_lazy_enable(void) ZP_HIDDEN;
void zp_lazy_rewrite(uintptr_t site) ZP_HIDDEN;
/* ---- live.c: rewriting code other threads may run: byte by byte,
 * through /proc/self/mem, with every core serialised in between ---- */
bool zp_sync_cores_register(void) ZP_HIDDEN;
void zp_sync_cores(void) ZP_HIDDEN;
struct zp_live {
	uintptr_t addr;
	uint8_t bytes[2];       /* the new ones: ud2 or call *%rax */
	bool done;
	uint32_t tag;           /* the caller's */
};
bool zp_other_threads(void) ZP_HIDDEN;
long zp_threads_settle(void) ZP_HIDDEN;
size_t zp_live_patch(struct zp_live *v, size_t n) ZP_HIDDEN;

/* ---- dispatch.c: the stub's C side ---- */
/* zp_enter -- the enters (0: make the call; 1: answered) */
long zp_enter(struct zp_cframe *f) ZP_HIDDEN;
/* zp_exit -- the exits, in reverse, after the kernel's turn */
void zp_exit(struct zp_cframe *f) ZP_HIDDEN;
long zp_dispatch(struct zp_frame *f, void *xarea) ZP_HIDDEN;
long zp_dispatch_stub(struct zp_frame *f, void *xarea) ZP_HIDDEN;
/* zp_dispatch_signal -- for the signal path's call whose context returns
 * to the program after it (signal.c, emulate): signals held back once the
 * program's call is in the kernel are left in at_site for that context;
 * a call to be made again has f->ret back on its instruction */
long zp_dispatch_signal(struct zp_frame *f, void *xarea) ZP_HIDDEN;
/* zp_dispatch_observe -- the hooks see a call the signal path must make
 * from the program's own stack (vfork, rt_sigreturn): false when the chain
 * reached the kernel's turn (make the call now), true with *ret when a
 * hook answered it itself */
bool zp_dispatch_observe(struct zp_frame *f, long *ret) ZP_HIDDEN;
/* zp_leave_dispatch -- for calls that do not return to the dispatcher */
void zp_leave_dispatch(struct zp_thread *t) ZP_HIDDEN;
/* zp_observed -- the call is the signal path's to make: back to it */
void zp_observed(struct zp_thread *t) ZP_HIDDEN;
__attribute__((noreturn)) void zp_vfork_path(struct zp_thread *t, long nr) ZP_HIDDEN;
void zp_vfork_notify(struct zp_frame *f) ZP_HIDDEN;

/* ---- policy.c: the runtime's own handling of some numbers ---- */
long zp_next(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN;
/* zp_policy_call -- zp_next for a call an enter hook turned into one of
 * those numbers, on the enter/exit path (vector state saved here) */
long zp_policy_call(const struct zpoline_call *c) ZP_HIDDEN;
/* ---- children.c: the processes the program starts ---- */
/* zp_children_init -- remember what execve must pass on */
void zp_children_init(const char *self_path) ZP_HIDDEN;
/* zp_children_note_file -- a loaded object's path and stat, as its key
 * was made: the loader's spares zp_children_init a stat */
void zp_children_note_file(const char *path, const struct stat *st) ZP_HIDDEN;
/* objects.c: called with each loaded object's path and stat as keying it
 * finds them (main.c sets it to zp_children_note_file: objects.c calls
 * into no file of the signal path) */
extern void (*zp_object_keyed)(const char *path, const struct stat *st) ZP_HIDDEN;
/* zp_children_own_fd -- before zp_children_init: a descriptor the
 * runtime made (trace, shared memory), passed on as NAME=fd in place of
 * what the environment says (which is never changed: execve passes it) */
void zp_children_own_fd(const char *name, int fd) ZP_HIDDEN;
/* zp_env_hide -- take the runtime's variables out of the program's
 * environ (after start-up has read them) */
void zp_env_hide(void) ZP_HIDDEN;
/* zp_env_ours -- what zp_env_hide does with the variable e, for the
 * runtime at self: 1 takes it out, -1 rewrites it (LD_PRELOAD naming the
 * runtime and more), 0 leaves it; usable before zp_children_init */
int zp_env_ours(const char *e, const char *self) ZP_HIDDEN;
/* zp_preload_without -- into dst, the LD_PRELOAD=... entry e without the
 * runtime at self: its other entries in order, with their separators;
 * its length. Never longer than e: dst may be e, or overlap it from below. */
size_t zp_preload_without(char *dst, const char *e, const char *self) ZP_HIDDEN;
/* ---- procenv.c ---- */
/* zp_procenv_hide -- end what /proc/PID/environ shows before the
 * runtime's variables (first thing in the constructor: see procenv.c) */
void zp_procenv_hide(int argc, char **argv) ZP_HIDDEN;
/* zp_exec_map_release -- unmap the environment a vfork child's execve
 * left in our memory */
void zp_exec_map_release(struct zp_thread *t) ZP_HIDDEN;
/* zp_exec_with_env -- execve/execveat with the runtime's variables back */
long zp_exec_with_env(long nr, long a1, long a2, long a3, long a4, long a5, long a6) ZP_HIDDEN;
/* zp_child_started -- in a child made by fork or clone (not a thread) */
void zp_child_started(void) ZP_HIDDEN;
/* zp_children_set_fd -- NAME=fd in what execve passes on */
void zp_children_set_fd(const char *name, int fd) ZP_HIDDEN;
/* zp_in_vfork_child -- a vfork child, which shares our memory */
bool zp_in_vfork_child(void) ZP_HIDDEN;
extern bool zp_follow ZP_HIDDEN;
/* zp_time -- the clock, when a report will show it (zp_timing); else 0 */
extern bool zp_timing ZP_HIDDEN;
static inline uint64_t zp_time(void)
{
	return zp_timing ? zp_now_ns() : 0;
}
/* start-up's phases, in their order: when each ended (zp_time; 0 for one
 * that did not run), for the report (stats.c) */
enum zp_phase {
	ZP_PHASE_ENVIRON,       /* /proc/PID/environ (procenv.c) */
	ZP_PHASE_OBJECTS,       /* the loaded objects listed and keyed */
	ZP_PHASE_HOOKS,         /* the hooks loaded */
	ZP_PHASE_SETUP,         /* page 0, the signal handlers */
	ZP_PHASE_SITES,         /* the sites: the cache entry read (or a scan), the table */
	ZP_PHASE_IMAGES,        /* the patched pages mapped */
	ZP_PHASE_REWRITE,       /* the rest rewritten in place (the vDSO) */
	ZP_PHASE_INIT,          /* the hooks' init, the rest */
	ZP_NPHASES
};
extern uint64_t zp_phase_start ZP_HIDDEN, zp_phase_end[ZP_NPHASES] ZP_HIDDEN;
static inline void zp_phase_done(enum zp_phase p)
{
	zp_phase_end[p] = zp_time();
}
/* zp_clone_child -- in the child of a clone with a stack, before it runs */
void zp_clone_child(uint64_t flags) ZP_HIDDEN;

/* ---- umem.c ---- */
/* zp_read_user -- copy up to len bytes of the program's memory without
 * faulting: how many could be read (up to an unreadable page) */
size_t zp_read_user(void *dst, uintptr_t src, size_t len) ZP_HIDDEN;
/* zp_sigreturn_result -- what the rt_sigreturn being dispatched gives
 * back: the %rax of the context it returns to, as strace shows it (0
 * where that cannot be read) */
static inline long zp_sigreturn_result(void)
{
	uintptr_t uc = zp_tls.sigreturn_uc;
	long rax = 0;

	if (uc == 0 || zp_read_user(&rax, uc + offsetof(ucontext_t, uc_mcontext.gregs[REG_RAX]), sizeof(rax)) !=
			       sizeof(rax))
		return 0;
	return rax;
}

/* ---- loader.c: the hooks ---- */
struct zp_hook {
	const struct zpoline_hook *def;     /* NULL for an original-zpoline hook */
	int (*legacy_init)(long, void *);   /* its __hook_init */
	zpoline_syscall_fn *fn;             /* its link of the chain */
	zpoline_syscall_fn *next;           /* the link after it */
	zpoline_enter_fn *enter;
	zpoline_exit_fn *exit;
	const uint64_t *interest;           /* NULL: every number */
	void (*vfork_return)(long nr, long ret);
	void (*fini)(void);
};
extern struct zp_hook zp_hooks[ZP_MAX_HOOKS] ZP_HIDDEN;
extern int zp_nhooks ZP_HIDDEN;
/* the first link of the chain */
extern zpoline_syscall_fn *zp_chain ZP_HIDDEN;

static inline bool zp_hook_wants(const struct zp_hook *h, long nr)
{
	unsigned long n = (unsigned long)nr < ZPOLINE_INTEREST_OTHER ? (unsigned long)nr
								    : ZPOLINE_INTEREST_OTHER;
	return h->interest == NULL || (h->interest[n / 64] >> (n % 64)) & 1;
}

/* zp_hooks_load -- dlmopen each hook; zp_hooks_init -- then start them */
void zp_hooks_load(const char *spec) ZP_HIDDEN;
void zp_hooks_init(const char *opts) ZP_HIDDEN;
void zp_hooks_fini(void) ZP_HIDDEN;
void zp_hooks_thread(void) ZP_HIDDEN;
void zp_hooks_detach(void) ZP_HIDDEN;
/* zp_hooks_flags -- what every loaded hook declares (ZPOLINE_HOOK_*) */
unsigned zp_hooks_flags(void) ZP_HIDDEN;
/* zp_hooks_enforce -- does any loaded hook declare ZPOLINE_HOOK_ENFORCES? */
bool zp_hooks_enforce(void) ZP_HIDDEN;
/* zp_changes_access -- does nr change who may open a file (its mode, owner
 * or ACL, by path)? The owner of one of the runtime's mode-0 memfds could
 * make it readable through /proc/self/fd/N: policy.c refuses that */
bool zp_changes_access(long nr) ZP_HIDDEN;
/* zp_hooks_want_shared -- may a loaded hook use the shared memory? */
bool zp_hooks_want_shared(void) ZP_HIDDEN;
long zp_trace_write(const void *buf, unsigned long len) ZP_HIDDEN;
extern int zp_trace_fd ZP_HIDDEN;
/* the run's shared memory (size: contract.h) */
extern int zp_shared_fd ZP_HIDDEN;
extern void *zp_shared ZP_HIDDEN;
void zp_report_bad_call(uintptr_t ret, uintptr_t target) ZP_HIDDEN;

/* ---- sud.c: the --catch-late safety net ---- */
extern uint8_t zp_sud_on ZP_HIDDEN;
/* the signals the runtime uses itself: SIGSEGV, SIGILL, and SIGSYS with
 * the safety net; the program may neither block nor take them over */
static inline uint64_t zp_signal_own_mask(void)
{
	return (1ull << (SIGSEGV - 1)) | (1ull << (SIGILL - 1)) | (zp_sud_on ? 1ull << (SIGSYS - 1) : 0);
}
int zp_sud_prepare(void) ZP_HIDDEN;             /* can it work? then the handlers know */
/* in a new thread (nostack.S, on its fresh stack) or a forked child */
void zp_sud_arm_thread(void) ZP_HIDDEN;
/* zp_sud_int80 -- an int $0x80 call the net caught, made as asked */
struct ucontext_t;
void zp_sud_int80(struct ucontext_t *uc) ZP_HIDDEN;
#define ZP_SUD_ALLOW 0
#define ZP_SUD_BLOCK 1
/* The program's prctl(PR_SET_SYSCALL_USER_DISPATCH, mode, off, len, sel),
 * kept for its thread (zp_signal_program_sud). zp_sud_program_check: the
 * kernel's checks; an error, 0 (turned off), or 1 to arm it.
 * zp_sud_program_arm: the runtime's own armed in this thread, and the
 * program's kept. zp_sud_find_text: the range the runtime's leaves out. */
long zp_sud_program_check(long mode, long off, long len, long sel) ZP_HIDDEN;
long zp_sud_program_arm(long mode, long off, long len, long sel) ZP_HIDDEN;
int zp_sud_find_text(void) ZP_HIDDEN;
/* zp_sud_program_takes -- would the program's own dispatch take the call
 * whose instruction ends at ip? 0: no, SIGSYS: yes, -1: the setting is
 * another thread's (this one shares or copied its TLS); it kills the
 * process itself where the kernel would (a selector it cannot read or
 * holding neither ALLOW nor BLOCK) */
int zp_sud_program_takes(uintptr_t ip) ZP_HIDDEN;
/* the stub's way to the signal path for a rewritten call while the
 * program's dispatch is on: ud2 here, with the site's return address at
 * the top of the program's stack (stub.S) */
extern void zp_psud_insn(void) ZP_HIDDEN;
static inline uint8_t zp_sud_set(uint8_t v)
{
	uint8_t old = zp_tls.sud_selector;
	zp_tls.sud_selector = v;
	return old;
}

/* zp_signal_queue_self -- sig with the siginfo at info, to this thread
 * (the kernel lets a thread send itself any si_code) */
static inline long zp_signal_queue_self(int sig, const void *info)
{
	long pid = zp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long tid = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);

	return zp_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info, 0, 0);
}

/* A mark: an instance of a signal the runtime queues to its own thread, to
 * come back to signal.c's `wrapped` and be dropped there: an si_code no
 * one sends (the kernel's own are above -8) and, for its value, an
 * address of the thread's own. zp_signal_send_mark -- one of sig. */
#define ZP_MARK_CODE (-0x5a70)

static inline long zp_signal_send_mark(int sig, const void *value)
{
	/* siginfo: si_signo, si_code at 8, si_value at 24 */
	uint64_t mark[16] = { (uint32_t)sig, (uint32_t)ZP_MARK_CODE, 0, (uint64_t)value };

	return zp_signal_queue_self(sig, mark);
}

/* zp_release_frame -- zp_release_at_site's context filled in: what the
 * kernel's rt_sigreturn needs besides the registers (nostack.S stored
 * them, and the vector state at fp), and the mask without the signals
 * let through */
void zp_release_frame(ucontext_t *uc, void *fp) ZP_HIDDEN;
/* zp_release_at_site -- nostack.S, from the stub, the program's registers
 * restored, the return address on top: rt_sigreturn into the program's
 * state at the site, the held signals unblocked */
extern void zp_release_at_site(void) ZP_HIDDEN;

/* zp_signal_held_mark -- the guard down with a real-time signal held
 * back (signal.c): the mark that frees the slot queued behind the
 * instances of it queued since (or, the queue full, the held one sent
 * again as it is) */
static __attribute__((noinline, cold, unused)) void zp_signal_held_mark(struct zp_thread *t)
{
	long tid = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);

	if (t->held_tid != tid)
		return;
	t->held_marked = true;
	if (zp_signal_send_mark(t->held_sig, t->held_info) == 0)
		return;
	int sig = t->held_sig;
	t->held_sig = 0;
	zp_signal_queue_self(sig, t->held_info);
}

/* zp_signal_send_slot -- the standard signal in the thread's slot k sent
 * again to this thread with its siginfo, the slot freed */
static inline void zp_signal_send_slot(struct zp_thread *t, int k)
{
	uint64_t info[16] = { 0 };
	int sig = t->std_sig[k];

	__builtin_memcpy(info, t->std_info[k], sizeof(t->std_info[k]));
	t->std_sig[k] = 0;
	zp_signal_queue_self(sig, info);
}

/* zp_signal_std_release -- the standard signals kept back (signal.c) sent
 * again in the order they came, each unblocked alone so that its handler
 * runs before the next is sent, as natively each ran as it came (two let
 * through at once run the later first); then the held signals sigs
 * unblocked. An instance of one sent since, pending, is taken out first,
 * so that the kept one goes first, and sent again once the kept ones are
 * handled, as natively it waits while the first one's handler runs: asked
 * at each slot's turn, for an earlier one's handler may have sent it.
 * (Not the thread's: a vfork child's that ended, whose signals ended with
 * it.) */
static __attribute__((noinline, cold, unused)) void zp_signal_std_release(struct zp_thread *t, uint64_t sigs)
{
	uint64_t again = 0, next[16];
	struct timespec now = { 0, 0 };
	bool mine = t->std_tid == zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);

	t->std_held = 0;
	for (int k = 0; k < ZP_STD_SLOTS; k++) {
		int sig = t->std_sig[k];
		uint64_t bit = 1ull << (sig - 1);
		if (sig == 0 || !mine) {
			t->std_sig[k] = 0;
			continue;
		}
		bool more = zp_raw_syscall(SYS_rt_sigtimedwait, (long)&bit, (long)next, (long)&now, 8, 0, 0) == sig;
		zp_signal_send_slot(t, k);
		/* the slot keeps the instance taken out, until it is sent */
		if (more) {
			t->std_sig[k] = (uint8_t)sig;
			__builtin_memcpy(t->std_info[k], next, sizeof(t->std_info[k]));
			again |= 1ull << k;
		}
		sigs &= ~bit;
		zp_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, 0, 8, 0, 0);
	}
	zp_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sigs, 0, 8, 0, 0);
	/* (a handler's own hooked calls may have sent them already: a
	 * release inside it takes every slot) */
	for (int k = 0; k < ZP_STD_SLOTS; k++)
		if ((again >> k & 1) && t->std_sig[k] != 0)
			zp_signal_send_slot(t, k);
}

/* zp_signal_at_site -- at the guard coming down before the program's call
 * returns (zp_guard_back_at's stage), sigs (held back, blocked) left to the stub to let
 * through at the call site (zp_release_at_site), or to the signal path's
 * context, the standard one kept, if any, sent again first: true, or
 * false where they go the usual way (for the stub, no XSAVE to hand the
 * kernel the vector state with; more than one standard signal kept, or
 * another instance of it pending, which must reach the handler in their
 * order) */
static __attribute__((noinline, cold, unused)) bool zp_signal_at_site(struct zp_thread *t, uint64_t sigs, uint8_t stage)
{
	int slot = -1;

	if (zp_xsave_size == 0 && stage == ZP_STAGE_SITE)
		return false;
	long tid = zp_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	for (int k = 0; k < ZP_STD_SLOTS; k++) {
		if (t->std_sig[k] == 0)
			continue;
		if (slot >= 0)
			return false;
		slot = k;
	}
	if (slot >= 0) {
		int sig = t->std_sig[slot];
		uint64_t bit = 1ull << (sig - 1), pending = 0;
		if (t->std_tid != tid ||
		    zp_raw_syscall(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0, 0) != 0 || (pending & bit))
			return false;
		t->std_held = 0;
		zp_signal_send_slot(t, slot);
		sigs |= bit;
	}
	/* every other signal blocked until then: a handler entered before
	 * would return with these blocked in its context after they were let
	 * through, or, if its own call let them through, have them unblocked
	 * in its context (its sa_mask lost); one that comes meanwhile waits
	 * in the kernel and comes with them (a vfork child's at_site, left in
	 * its parent's state, is not the parent's) */
	if (sigs == 0)
		return true;    /* (taken meanwhile by a handler's release) */
	if (t->at_site == 0) {
		uint64_t all = ~zp_signal_own_mask();
		zp_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&t->at_site_mask, 8, 0, 0);
	}
	t->at_site |= sigs;
	t->at_site_tid = tid;
	return true;
}

/* zp_signal_release -- the signals held back while hook code ran
 * (signal.c), unblocked: their handlers run now. zp_guard_down -- at each
 * place the guard comes down to the program's code or its call, after the
 * selector is the program's: they run there, hooked. */
static inline void zp_signal_release(struct zp_thread *t, uint8_t stage)
{
	uint64_t sigs = t->deferred;

	t->deferred = 0;
	if (t->held_sig != 0 && !t->held_marked)
		zp_signal_held_mark(t);
	if (stage != ZP_STAGE_NONE && zp_signal_at_site(t, sigs, stage))
		return;
	if (t->std_held != 0)
		zp_signal_std_release(t, sigs);
	else
		zp_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sigs, 0, 8, 0, 0);
}

static inline void zp_guard_down(struct zp_thread *t)
{
	if (__builtin_expect(t->deferred != 0, 0))
		zp_signal_release(t, ZP_STAGE_NONE);
}

/* zp_guard_up -- the guard to g (HOOK set), then the calls let through:
 * the selector before, returned. zp_guard_back -- the selector sel, then
 * the guard g; if g lets the program's code run, the signals held back
 * meanwhile reach it. In this order a signal never meets the calls let
 * through with the guard down (its handler's calls would pass the hooks
 * by, unseen by the kernel's dispatch). */
static inline uint8_t zp_guard_up(struct zp_thread *t, uint64_t g)
{
	t->guard = g;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uint8_t sel = t->sud_selector;
	if (zp_sud_on)
		t->sud_selector = ZP_SUD_ALLOW;
	return sel;
}

/* zp_guard_back_at -- zp_guard_back where the program's call returns next
 * (stage, ZP_STAGE_*: zp_exit, the stub's and the signal path's
 * dispatch): the signals held back meanwhile may be left to it (at_site).
 * The stage is this guard-down's alone: a handler that runs before it
 * takes them (another signal's, entered with the guard down) lets them
 * through the usual way, in its own. */
static inline void zp_guard_back_at(struct zp_thread *t, uint64_t g, uint8_t sel, uint8_t stage)
{
	t->sud_selector = sel;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->guard = g;
	if (!(g & ZP_GUARD_HOOK) && __builtin_expect(t->deferred != 0, 0))
		zp_signal_release(t, stage);
}

static inline void zp_guard_back(struct zp_thread *t, uint64_t g, uint8_t sel)
{
	zp_guard_back_at(t, g, sel, ZP_STAGE_NONE);
}

/* zp_kernel_turn -- the program's call goes to the kernel next, from the
 * runtime's code: the selector the program's, then the guard down (a
 * signal's handler meanwhile is program code, hooked; an unfollowed vfork
 * child stays so), the signals held back let through first; the selector
 * before, returned. zp_kernel_turn_end -- the guard g back, then the
 * selector sel: the reverse of zp_guard_up's order, for the same reason */
static inline uint8_t zp_kernel_turn(struct zp_thread *t)
{
	uint8_t sel = zp_sud_set(ZP_SUD_BLOCK);

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->guard &= ZP_GUARD_UNFOLLOWED;
	zp_guard_down(t);
	return sel;
}

static inline void zp_kernel_turn_end(struct zp_thread *t, uint64_t g, uint8_t sel)
{
	t->guard = g;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->sud_selector = sel;
}

/* ---- signal.c ---- */
/* a hook built before ABI 4 is loaded: the handler of a signal that
 * interrupts a call runs inside it, not after the exits (at_hooked_call),
 * and one held back during the enters before the call (before_call) */
extern bool zp_intr_inside ZP_HIDDEN;
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
/* rt_sigaction's argument, as the kernel takes it */
struct zp_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
int zp_signals_install(void) ZP_HIDDEN;
/* zp_signal_returning -- the program makes rt_sigreturn from the frame
 * at uc: one the runtime handed to its handler gives the program's view
 * of its mask back from uc_sigmask */
void zp_signal_returning(void *uc) ZP_HIDDEN;
bool zp_signal_is_ours(int sig) ZP_HIDDEN;
/* zp_signal_program_sud -- the program's prctl(PR_SET_SYSCALL_USER_DISPATCH)
 * (sud.c): in fast and trap mode its first arms the net, SIGSYS the
 * runtime's from then on */
long zp_signal_program_sud(long mode, long off, long len, long sel) ZP_HIDDEN;
long zp_signal_action(int sig, const void *act, void *oldact, size_t sigsetsize) ZP_HIDDEN;
/* zp_signal_other_action -- rt_sigaction (8-byte masks) for a signal not
 * the runtime's: the kernel holds the runtime's wrapper for a handler */
long zp_signal_other_action(int sig, const void *act, void *oldact) ZP_HIDDEN;
/* the runtime's signals this thread's program blocks: the kernel never
 * has them blocked (a fault with them blocked kills); a signal of theirs
 * sent meanwhile is kept pending here until the program unblocks it */
extern __thread uint64_t zp_own_blocked ZP_HIDDEN __attribute__((tls_model("initial-exec")));
/* zp_signal_unblocked -- the program unblocked these: send again what
 * was kept pending */
void zp_signal_unblocked(uint64_t sigs) ZP_HIDDEN;
/* zp_signal_pending -- the runtime's signals kept pending for this thread */
uint64_t zp_signal_pending(void) ZP_HIDDEN;
/* zp_signal_take -- one kept pending in set, into *info (rt_sigtimedwait):
 * its number, or 0 */
int zp_signal_take(uint64_t set, void *info) ZP_HIDDEN;
/* zp_signal_next -- for a wait on set: the kept signal the kernel's order
 * puts first, taken into *info (its number); minus the number of one the
 * kernel holds that comes first; 0 if none is kept */
int zp_signal_next(uint64_t set, void *info) ZP_HIDDEN;
/* zp_signal_exec_prepare, zp_signal_exec_failed -- around the kernel's
 * execve: the program's mask and pending signals go to the new image */
bool zp_signal_exec_prepare(uint64_t *saved) ZP_HIDDEN;
void zp_signal_exec_failed(uint64_t saved) ZP_HIDDEN;
/* zp_signal_cloned -- in a clone3 child: CLONE_CLEAR_SIGHAND undone for
 * the runtime's handlers */
void zp_signal_cloned(uint64_t flags) ZP_HIDDEN;
/* zp_signal_waited -- what an rt_sigtimedwait of the program's dequeued
 * (sig, into *info): an instance of the real-time signal this thread holds
 * back gives the held one and waits in its slot (the mark frees the slot),
 * as a delivered one would; 0 for a mark of this thread's with nothing
 * held (the wait goes on), else sig */
int zp_signal_waited(int sig, void *info) ZP_HIDDEN;
/* zp_signal_holding -- this thread holds back an instance of sig */
bool zp_signal_holding(int sig) ZP_HIDDEN;
/* zp_signal_copy_out -- into the program's memory, false where it cannot */
bool zp_signal_copy_out(void *dst, const void *src, size_t len) ZP_HIDDEN;

#endif
