/* thread.h -- a hook's per-thread state without dynamic TLS
 *
 * A hook is loaded with dlmopen after the program has started, so its
 * `__thread` variables (general-dynamic model) are dynamic TLS: in every
 * thread but the one that loaded the hook, __tls_get_addr allocates them
 * at their first use through the loader's __rtld_malloc, which is the
 * program's malloc. A hook's state of some kilobytes per thread then
 * shows up in the program's heap (and, being large, makes glibc's malloc
 * set up an arena per thread).
 *
 * So each hook keeps one pointer in static TLS (initial-exec: no
 * allocation, a few bytes of the surplus the loader keeps for dlopen'd
 * libraries), and the state in a block it maps itself at the thread's
 * first use, zeroed as `__thread` data would be:
 *
 *   static __thread struct mine *me THREAD_STATE_TLS;
 *   ... struct mine *m = me ? me : thread_state_new((void **)&me, sizeof(*m), "name");
 *
 * and, at the thread's own SYS_exit, thread_state_end((void **)&me). Included by
 * tracer.c and audit.c. */
#ifndef HOOKS_THREAD_H
#define HOOKS_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREAD_STATE_TLS __attribute__((tls_model("initial-exec")))

/* before the state, in the same mapping */
struct thread_state_head {
	size_t len;             /* of the mapping */
	pid_t owner;            /* the thread that may unmap it */
	char pad[64 - sizeof(size_t) - sizeof(pid_t)];
};

/* thread_state_new -- map this thread's block and publish it in *slot.
 * A signal handler's hooked call may come in while we map: it maps a
 * block of its own and publishes it, and then we take that one. Out of
 * memory, the process cannot go on hooked: one line and status 125. */
static inline void *thread_state_new(void **slot, size_t size, const char *hook)
{
	size_t len = (sizeof(struct thread_state_head) + size + 4095) & ~(size_t)4095;
	struct thread_state_head *h = mmap(NULL, len, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (h == MAP_FAILED) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "zpoline: %s: no memory for a thread's state\n", hook);
		if (n > 0)
			(void)!write(2, msg, (size_t)n);
		syscall(SYS_exit_group, 125);
	}
	h->len = len;
	h->owner = gettid();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (*slot != NULL) {
		munmap(h, len);
		return *slot;
	}
	*slot = h + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return *slot;
}

/* thread_state_adopt -- a fork-like call's child: its copy of the block
 * is its own to unmap */
static inline void thread_state_adopt(void *state)
{
	if (state != NULL)
		((struct thread_state_head *)state - 1)->owner = gettid();
}

/* thread_state_end -- the thread calls SYS_exit: its block goes. Not when
 * another task shares this thread's TLS (a vfork child, a clone with
 * CLONE_VM and no CLONE_SETTLS): the block is the parent's. False
 * then, true if the thread's block is gone (or it had none). */
static inline bool thread_state_end(void **slot)
{
	struct thread_state_head *h = *slot;

	if (h == NULL)
		return true;
	h--;
	if (h->owner != gettid())
		return false;
	*slot = NULL;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	munmap(h, h->len);
	return true;
}

#endif
