/* sled -- walk the page-0 trampoline from every entry a system call number
 * can land on, following both ways of every conditional jump, and check
 * that each path only moves forward through the sled's own instruction
 * forms and reaches the jump to the stub. Reports the longest path (in
 * instructions). From every byte of the jump and after it, the first
 * instruction must fault before it changes %rax, %rsp or memory, and the
 * jump's target must be the entry. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"

static void entry(void)
{
}

static uint8_t page[4096], literal[4096];

/* walk -- instructions from pos to the jump, -1 if a path goes wrong */
static int walk(int pos, int depth)
{
	if (depth > 200)
		return -1;
	if (pos == ZP_SLED_END)
		return 0;
	if (pos < 0 || pos > ZP_SLED_END)
		return -1;
	uint8_t b = page[pos];
	int next, len;
	if (b == 0xeb) {
		next = pos + 2 + (int8_t)page[pos + 1];
		len = 2;
	} else if (b == 0x3e && page[pos + 1] == 0xeb) {
		next = pos + 3 + (int8_t)page[pos + 2];
		len = 3;
	} else if (b >= 0x70 && b <= 0x7f) {
		int taken = pos + 2 + (int8_t)page[pos + 1];
		if (taken <= pos)
			return -1;
		int a = walk(taken, depth + 1), c = walk(pos + 2, depth + 1);
		return a < 0 || c < 0 ? -1 : 1 + (a > c ? a : c);
	} else if (b == 0x3e && page[pos + 1] == 0x90) {
		next = pos + 2;         /* where stage 2 meets the nops */
		len = 2;
	} else if (b == 0x3c) {
		next = pos + 2;
		len = 2;
	} else if (b == 0x90) {
		next = pos + 1;
		len = 1;
	} else {
		fprintf(stderr, "byte %#x at %#x is not a sled instruction\n", b, pos);
		return -1;
	}
	if (next <= pos || pos + len > ZP_SLED_END + 1)
		return -1;
	int r = walk(next, depth + 1);
	return r < 0 ? -1 : r + 1;
}

int main(void)
{
	int worst = 0, worst_at = 0, fails = 0;
	long total = 0;
	uintptr_t target;

	zp_trampoline_fill(page, literal, entry);
	for (int nr = 0; nr < ZP_SLED_END; nr++) {
		int n = walk(nr, 0);
		if (n < 0) {
			printf("entry %d: path leaves the sled\n", nr);
			fails++;
		} else {
			total += n;
			if (n > worst) {
				worst = n;
				worst_at = nr;
			}
		}
	}
	static const uint8_t jump[6] = { 0xff, 0x25, 0xff, 0x3f, 0x00, 0x00 };
	if (memcmp(page + ZP_SLED_END, jump, sizeof(jump)) != 0) {
		printf("no jmp *0x3fff(%%rip) at %#x\n", ZP_SLED_END);
		fails++;
	}
	int32_t disp;
	memcpy(&disp, page + ZP_SLED_END + 2, 4);
	if (ZP_SLED_END + 6 + disp != ZP_LITERAL || ZP_LITERAL / 4096 * 4096 != ZP_LITERAL_PAGE) {
		printf("the jump reads %#x, not ZP_LITERAL in ZP_LITERAL_PAGE\n", ZP_SLED_END + 6 + disp);
		fails++;
	}
	memcpy(&target, literal + (ZP_LITERAL - ZP_LITERAL_PAGE), sizeof(target));
	if (target != (uintptr_t)entry) {
		printf("the jump goes to %#lx, not the entry\n", (unsigned long)target);
		fails++;
	}
	/* every entry past the sled: the forms trampoline.c lists */
	for (int at = ZP_SLED_END + 1; at < 4096; at++) {
		const uint8_t *b = page + at;
		bool ok;
		if (at == ZP_SLED_END + 1)      /* and $imm32,%eax keeping bits 0-11, then 00 00 */
			ok = b[0] == 0x25 && (b[1] & 0xff) == 0xff && (b[2] & 0x0f) == 0x0f &&
			     b[5] == 0x00 && b[6] == 0x00;
		else if (b[0] == 0xff)          /* ff /7: invalid */
			ok = ((b[1] >> 3) & 7) == 7;
		else if (b[0] == 0x3f)          /* invalid in 64-bit mode */
			ok = true;
		else if (b[0] == 0x00)          /* add %al,(%rax): a write to page 0 */
			ok = at == 4095 || b[1] == 0x00;
		else
			ok = false;
		if (!ok) {
			printf("an entry at %#x does not fault at once (%02x %02x)\n", at, b[0],
			       at < 4095 ? b[1] : 0);
			fails++;
			break;
		}
	}
	printf("%d entries: longest path %d instructions (from %d), mean %.1f\n", ZP_SLED_END, worst,
	       worst_at, (double)total / ZP_SLED_END);
	printf("%d passed, %d failed\n", ZP_SLED_END - fails, fails);
	return fails != 0;
}
