/* trampoline.c -- the code at virtual address 0.
 *
 * The route of a rewritten system call:
 *
 *   program                 page 0 (r-x)                 libzpoline.so
 *   ---------               ------------------------     ------------------
 *   mov $nr,%eax
 *   call *%rax  ----------> nr: hop sled (jumps of
 *   (was: syscall)              ~129, then ~63 bytes,
 *        ^                      then a few nops)
 *        |                  0x208: jmp *literal -------> zp_entry_*  (stub.S)
 *        |                                                 check the site
 *        |                                                 the number's class:
 *        |                                                 - no hook wants it:
 *        |                                                     real `syscall`
 *        |                                                     (a pointer argument
 *        |                                                     below 0x5000: made
 *        |                                                     with this page and
 *        |                                                     the literal page
 *        |                                                     PROT_NONE, page0.h)
 *        |                                                 - enter/exit hooks:
 *        |                                                     zp_enter(): enters
 *        |                                                     real `syscall`
 *        |                                                     zp_exit(): exits
 *        |                                                 - syscall/next hooks,
 *        |                                                   the runtime's numbers:
 *        |                                                     zp_dispatch(), chain,
 *        |                                                     zp_next(): `syscall`
 *        |                                                 restore registers
 *        +------------------------------------------------ pop %rcx; jmp *%rcx
 *
 * A sled of one-byte nops makes low numbers (read, write) pay ~500 nops.
 * Instead every byte is part of a pattern that decodes, from any offset, to
 * a forward jump within two instructions:
 *
 *   offset % 3 == 0:  eb 7f        jmp +127
 *   offset % 3 == 1:  7f 3e        jg  +62   (either way, forward)
 *   offset % 3 == 2:  3e eb 7f     jmp +127 (with an ignored DS prefix)
 *
 * so any number reaches the landing zone in a handful of predicted jumps.
 * The second stage uses 3c (cmp $imm8,%al: touches only flags) for shorter
 * hops, and the last stage is nops.
 *
 * Every number must behave as natively (ENOSYS for the invalid ones) and
 * reach the hooks, also those that land past the sled, in the middle of
 * the jump or after it: there the bytes must fault before they change
 * %rax (the number), %rsp or memory, so that the fault handler (signal.c)
 * finds the number and the return address and finishes the call. The jump
 * is `ff 25 ff 3f 00 00`, jmp *0x3fff(%rip), whose 8-byte target lies in a
 * read-only page of its own (ZP_LITERAL_PAGE) because that displacement
 * makes every byte of the jump a safe entry:
 *
 *   0x208  ff 25 ff 3f 00 00  jmp *0x3fff(%rip): the stub
 *   0x209  25 ff 3f 00 00     and $0x3fff,%eax: %rax < 4096 is unchanged,
 *                             then 0x20e faults
 *   0x20a  ff 3f              ff /7: invalid opcode
 *   0x20b  3f                 invalid in 64-bit mode
 *   0x20c- 00 00              add %al,(%rax): a write to page 0, which is
 *                             read-only: it faults before it writes
 *
 * and the rest of the page is 00 bytes too. Past page 0, nothing is mapped
 * executable: landing there faults at once. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "page0.h"
#include "runtime.h"

bool zp_page0_mapped;
bool zp_page0_xonly;

void zp_trampoline_unmap(void)
{
	zp_page0_mapped = false;
	zp_page0_xonly = false;
	munmap((void *)0, ZP_PAGE_SIZE);
	munmap((void *)ZP_LITERAL_PAGE, ZP_PAGE_SIZE);
}

#define STAGE2 321      /* multiples of 3 keep the pattern's phase */
#define NOPS 453

int zp_trampoline_fill(uint8_t *page, uint8_t *literal_page, void (*entry)(void))
{
	static const uint8_t stage1[3] = { 0xeb, 0x7f, 0x3e };
	static const uint8_t stage2[3] = { 0xeb, 0x3c, 0x3e };
	static const uint8_t jump[6] = { 0xff, 0x25, 0xff, 0x3f, 0x00, 0x00 };
	uintptr_t target = (uintptr_t)entry;

	for (int i = 0; i < STAGE2; i++)
		page[i] = stage1[i % 3];
	for (int i = STAGE2; i < NOPS; i++)
		page[i] = stage2[i % 3];
	memset(page + NOPS, 0x90, ZP_SLED_END - NOPS);
	memcpy(page + ZP_SLED_END, jump, sizeof(jump));
	memset(page + ZP_SLED_END + sizeof(jump), 0x00, ZP_PAGE_SIZE - ZP_SLED_END - sizeof(jump));
	memset(literal_page, 0, ZP_PAGE_SIZE);
	memcpy(literal_page + (ZP_LITERAL - ZP_LITERAL_PAGE), &target, sizeof(target));
	return 0;
}

/* map_fixed -- a page of ours at addr, read-write for now */
static int map_fixed(uintptr_t addr, uint8_t **page)
{
	void *p = mmap((void *)addr, ZP_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if ((uintptr_t)p != addr) {
		munmap(p, ZP_PAGE_SIZE);
		return -EPERM;
	}
	*page = p;
	return 0;
}

int zp_trampoline_map(void (*entry)(void))
{
	uint8_t *page, *literal;
	int r = map_fixed(0, &page);

	if (r < 0)
		return r;
	r = map_fixed(ZP_LITERAL_PAGE, &literal);
	if (r < 0) {
		munmap(page, ZP_PAGE_SIZE);
		return r;
	}
	zp_trampoline_fill(page, literal, entry);
	if (mprotect(literal, ZP_PAGE_SIZE, PROT_READ) != 0 ||
	    mprotect(page, ZP_PAGE_SIZE, ZP_PAGE0_PROT) != 0)
		return -errno;
	/* from now on the kernel could read them: page0.h */
	zp_page0_mapped = true;
	/* unreadable (the kernel reads a path there only if it can) */
	zp_page0_xonly = syscall(SYS_access, NULL, F_OK) == -1 && errno == EFAULT;
	return 0;
}
