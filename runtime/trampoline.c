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
 *        |                                                 save registers
 *        |                                                 zp_dispatch()
 *        |                                                   hook->syscall()
 *        |                                                     next() = zp_next()
 *        |                                                       real `syscall`
 *        |                                                 restore registers
 *        +------------------------------------------------ ret
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
 * hops, and the last stage is nops. Numbers past the jump (and anything
 * beyond page 0) fault; signal.c finishes those calls, so they behave as
 * they do natively (-ENOSYS). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define STAGE2 321      /* multiples of 3 keep the pattern's phase */
#define NOPS 453
#define LITERAL (4096 - 8)

int zp_trampoline_fill(uint8_t *page, void (*entry)(void))
{
	static const uint8_t stage1[3] = { 0xeb, 0x7f, 0x3e };
	static const uint8_t stage2[3] = { 0xeb, 0x3c, 0x3e };
	uintptr_t target = (uintptr_t)entry;

	for (int i = 0; i < STAGE2; i++)
		page[i] = stage1[i % 3];
	for (int i = STAGE2; i < NOPS; i++)
		page[i] = stage2[i % 3];
	memset(page + NOPS, 0x90, ZP_SLED_END - NOPS);
	/* jmp *disp(%rip), the 8-byte target in the page's last bytes; hlt
	 * is privileged, so the rest faults (SIGSEGV) at any offset */
	int32_t disp = LITERAL - (ZP_SLED_END + 6);
	page[ZP_SLED_END] = 0xff;
	page[ZP_SLED_END + 1] = 0x25;
	memcpy(page + ZP_SLED_END + 2, &disp, sizeof(disp));
	memset(page + ZP_SLED_END + 6, 0xf4, LITERAL - (ZP_SLED_END + 6));
	memcpy(page + LITERAL, &target, sizeof(target));
	return 0;
}

int zp_trampoline_map(void (*entry)(void))
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (p != NULL) {
		munmap(p, 4096);
		return -EPERM;
	}
	zp_trampoline_fill(p, entry);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0)
		return -errno;
	return 0;
}
