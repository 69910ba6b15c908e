/* disasm.c -- the Zydis wrapper.
 *
 * The only file that includes <Zydis/Zydis.h>. Callers see struct zp_insn,
 * a few flags the scanner needs, so another decoder could replace this one
 * without touching the rest. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "zp.h"

_Static_assert(sizeof(ZydisDecoder) <= sizeof(((struct zp_disasm *)0)->opaque),
	       "struct zp_disasm too small for ZydisDecoder");

void zp_disasm_init(struct zp_disasm *d)
{
	ZydisDecoderInit((ZydisDecoder *)d->opaque, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
}

const char *zp_disasm_version(char *buf, size_t len)
{
	ZyanU64 v = ZydisGetVersion();

	snprintf(buf, len, "%u.%u.%u", ZYDIS_VERSION_MAJOR(v), ZYDIS_VERSION_MINOR(v),
		 ZYDIS_VERSION_PATCH(v));
	return buf;
}

static bool is_sp(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_RSP;
}

/* stack_growth -- how far this instruction moves rsp down by an immediate */
static uint32_t stack_growth(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
	if (in->operand_count_visible < 2 || op[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    !is_sp(op[0].reg.value))
		return 0;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_SUB:
		/* sub %reg,%rsp (alloca): unknown size, large */
		if (op[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
			return 1u << 20;
		return op[1].imm.value.s > 0 ? (uint32_t)op[1].imm.value.s : 0;
	case ZYDIS_MNEMONIC_ADD:
		return op[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op[1].imm.is_signed &&
		       op[1].imm.value.s < 0 ? (uint32_t)-op[1].imm.value.s : 0;
	case ZYDIS_MNEMONIC_LEA:
		return op[1].mem.base == ZYDIS_REGISTER_RSP && op[1].mem.disp.value < 0
		       ? (uint32_t)-op[1].mem.disp.value : 0;
	case ZYDIS_MNEMONIC_AND:  /* realignment */
		return 64;
	default:
		return 0;
	}
}

int zp_decode(const struct zp_disasm *d, const uint8_t *buf, size_t len, struct zp_insn *out)
{
	const ZydisDecoder *dec = (const ZydisDecoder *)d->opaque;
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];

	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(dec, &ctx, buf, len, &in)))
		return -EILSEQ;
	memset(out, 0, sizeof(*out));
	out->length = in.length;
	out->is_syscall = in.mnemonic == ZYDIS_MNEMONIC_SYSCALL;
	out->is_sysenter = in.mnemonic == ZYDIS_MNEMONIC_SYSENTER;
	out->is_int80 = in.length == 2 && buf[0] == 0xcd && buf[1] == 0x80;
	out->is_call = in.mnemonic == ZYDIS_MNEMONIC_CALL;
	out->is_push = in.mnemonic == ZYDIS_MNEMONIC_PUSH || in.mnemonic == ZYDIS_MNEMONIC_PUSHFQ;
	if (out->is_push)
		out->grows = 8;

	/* Operands are decoded only where they can matter: an explicit memory
	 * operand (ModRM with mod != 3), or an instruction that may move rsp. */
	bool mem = (in.attributes & ZYDIS_ATTRIB_HAS_MODRM) && in.raw.modrm.mod != 3;
	bool arith = in.mnemonic == ZYDIS_MNEMONIC_SUB || in.mnemonic == ZYDIS_MNEMONIC_ADD ||
		     in.mnemonic == ZYDIS_MNEMONIC_AND || in.mnemonic == ZYDIS_MNEMONIC_LEA ||
		     in.mnemonic == ZYDIS_MNEMONIC_MOV;
	if (!mem && !arith)
		return 0;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeOperands(dec, &ctx, &in, op, in.operand_count_visible)))
		return 0;
	out->sets_fp = in.mnemonic == ZYDIS_MNEMONIC_MOV && in.operand_count_visible == 2 &&
		       op[0].type == ZYDIS_OPERAND_TYPE_REGISTER && op[0].reg.value == ZYDIS_REGISTER_RBP &&
		       op[1].type == ZYDIS_OPERAND_TYPE_REGISTER && op[1].reg.value == ZYDIS_REGISTER_RSP;
	out->grows = stack_growth(&in, op);
	if (in.mnemonic == ZYDIS_MNEMONIC_LEA && out->grows)
		return 0;
	for (unsigned i = 0; i < in.operand_count_visible; i++) {
		if (op[i].type != ZYDIS_OPERAND_TYPE_MEMORY || op[i].mem.disp.value >= 0)
			continue;
		if (op[i].mem.base == ZYDIS_REGISTER_RSP) {
			int64_t end = op[i].mem.disp.value + (op[i].size + 7) / 8;
			out->below_sp = true;
			if (in.mnemonic == ZYDIS_MNEMONIC_LEA || op[i].mem.index != ZYDIS_REGISTER_NONE ||
			    end > -8)
				out->sp_slot = true;
			if (in.mnemonic == ZYDIS_MNEMONIC_LEA || op[i].mem.index != ZYDIS_REGISTER_NONE)
				out->rz_addr = true;
		}
		else if (op[i].mem.base == ZYDIS_REGISTER_RBP && op[i].mem.disp.value < out->fp_disp)
			out->fp_disp = (int32_t)op[i].mem.disp.value;
	}
	return 0;
}

/* Red-zone check for code the scanner never saw (a page written at run
 * time): is the 8-byte slot just below the stack pointer, where `call`
 * pushes its return address, dead after the site? Every path from the site
 * is followed until it returns, calls with the stack pointer where it was
 * (the callee may clobber the slot anyway), or stops; a path is unsafe if it
 * touches that slot, takes its address, addresses memory below the frame
 * pointer, moves the stack pointer in a way not followed, or goes where the
 * bytes given do not reach. Pointers into the red zone made before the site
 * cannot be seen: this is a heuristic for code without function bounds. */
#define RZ_MAX_PATHS 32
#define RZ_MAX_INSNS 512

struct rz_path {
	size_t at;
	int64_t delta;          /* rsp now, relative to rsp at the site */
	bool delta_known;
};

/* rz_mem -- one instruction's memory operands on a path: RZ_DEAD when
 * they leave the slot alone, RZ_KILLED when it writes all of the slot
 * without reading it (what was there is dead on this path), RZ_LIVE when
 * it reads or may read the slot or takes its address, RZ_UNKNOWN when
 * that cannot be told (rsp not followed, an index register, memory below
 * the frame pointer, whose distance to rsp is unknown) */
static int rz_mem(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op, const struct rz_path *p,
		  bool rz_pointers)
{
	int verdict = ZP_RZ_DEAD;

	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &op[i];
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		/* where the function has taken addresses below rsp, any
		 * register may hold one: memory reached through anything but
		 * rsp or rip cannot be told apart from the slot */
		if (rz_pointers && in->mnemonic != ZYDIS_MNEMONIC_LEA &&
		    ((o->mem.base != ZYDIS_REGISTER_RSP && o->mem.base != ZYDIS_REGISTER_RIP &&
		      o->mem.base != ZYDIS_REGISTER_NONE) || o->mem.index != ZYDIS_REGISTER_NONE))
			return ZP_RZ_UNKNOWN;
		/* push, pop, call, ret: rsp itself, followed by rz_sp */
		if (i >= in->operand_count_visible)
			continue;
		if (o->mem.base == ZYDIS_REGISTER_RBP && o->mem.disp.value < 0)
			return ZP_RZ_UNKNOWN;
		if (o->mem.base != ZYDIS_REGISTER_RSP && o->mem.index != ZYDIS_REGISTER_RSP)
			continue;
		if (!p->delta_known || o->mem.index != ZYDIS_REGISTER_NONE)
			return ZP_RZ_UNKNOWN;
		int64_t lo = p->delta + o->mem.disp.value;
		if (in->mnemonic == ZYDIS_MNEMONIC_LEA) {
			if (lo < 0)
				return ZP_RZ_LIVE;
			continue;
		}
		int64_t hi = lo + (o->size ? (o->size + 7) / 8 : 64);
		if (lo < 0 && hi > -8) {
			bool write_only = (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) == 0 &&
					  in->mnemonic == ZYDIS_MNEMONIC_MOV;
			if (!write_only || lo > -8 || hi < 0)
				return ZP_RZ_LIVE;
			verdict = ZP_RZ_KILLED;
		}
	}
	return verdict;
}

/* rz_sp -- follow what the instruction does to rsp; false if it writes rsp
 * in a way not followed */
static void rz_sp(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op, struct rz_path *p)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_PUSH:
	case ZYDIS_MNEMONIC_PUSHFQ:
		p->delta -= 8;
		return;
	case ZYDIS_MNEMONIC_POP:
	case ZYDIS_MNEMONIC_POPFQ:
		if (in->operand_count_visible > 0 && op[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    op[0].reg.value == ZYDIS_REGISTER_RSP)
			p->delta_known = false;
		p->delta += 8;
		return;
	default:
		break;
	}
	for (unsigned i = 0; i < in->operand_count_visible; i++) {
		if (op[i].type != ZYDIS_OPERAND_TYPE_REGISTER || op[i].reg.value != ZYDIS_REGISTER_RSP ||
		    !(op[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		if ((in->mnemonic == ZYDIS_MNEMONIC_SUB || in->mnemonic == ZYDIS_MNEMONIC_ADD) && i == 0 &&
		    op[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			p->delta += in->mnemonic == ZYDIS_MNEMONIC_SUB ? -op[1].imm.value.s : op[1].imm.value.s;
		else if (in->mnemonic == ZYDIS_MNEMONIC_LEA && op[1].mem.base == ZYDIS_REGISTER_RSP &&
			 op[1].mem.index == ZYDIS_REGISTER_NONE)
			p->delta += op[1].mem.disp.value;
		else
			p->delta_known = false;
	}
	if (in->mnemonic == ZYDIS_MNEMONIC_LEAVE || in->mnemonic == ZYDIS_MNEMONIC_ENTER)
		p->delta_known = false;
}

/* rz_walk -- zp_redzone_dead_after's walk from buf + at over len bytes,
 * with seen a bitmap of len bits, for at most max_steps instructions */
static int rz_walk(const struct zp_disasm *d, const uint8_t *buf, size_t len, size_t at, uint8_t *seen,
		   unsigned max_steps, bool rz_pointers)
{
	const ZydisDecoder *dec = (const ZydisDecoder *)d->opaque;
	struct rz_path todo[RZ_MAX_PATHS];
	unsigned ntodo = 0, steps = 0;

	todo[ntodo++] = (struct rz_path){ at, 0, true };
	while (ntodo > 0) {
		struct rz_path p = todo[--ntodo];
		for (;;) {
			ZydisDecodedInstruction in;
			ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];

			if (p.at >= len || ++steps > max_steps)
				return ZP_RZ_UNKNOWN;
			/* a place already followed with rsp where it was:
			 * nothing new down this path */
			if (p.delta_known && p.delta == 0 && (seen[p.at / 8] >> (p.at % 8) & 1))
				break;
			if (p.delta_known && p.delta == 0)
				seen[p.at / 8] |= (uint8_t)(1u << (p.at % 8));
			if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, buf + p.at, len - p.at, &in, op)))
				return ZP_RZ_UNKNOWN;
			int m = rz_mem(&in, op, &p, rz_pointers);
			if (m == ZP_RZ_LIVE || m == ZP_RZ_UNKNOWN)
				return m;
			if (m == ZP_RZ_KILLED)
				goto done;
			size_t next = p.at + in.length;
			ZyanU64 target = 0;
			bool relative = in.operand_count_visible > 0 && op[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
					op[0].imm.is_relative &&
					ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &op[0], p.at, &target));
			switch (in.meta.category) {
			case ZYDIS_CATEGORY_RET:
				goto done;
			case ZYDIS_CATEGORY_CALL:
				/* the callee may write below rsp: the slot is dead
				 * if rsp is back where it was */
				if (p.delta_known && p.delta == 0)
					goto done;
				p.at = next;
				continue;
			case ZYDIS_CATEGORY_UNCOND_BR:
				if (!relative)
					return ZP_RZ_UNKNOWN;
				p.at = (size_t)target;
				continue;
			case ZYDIS_CATEGORY_COND_BR:
				if (!relative || ntodo == RZ_MAX_PATHS)
					return ZP_RZ_UNKNOWN;
				todo[ntodo++] = (struct rz_path){ (size_t)target, p.delta, p.delta_known };
				p.at = next;
				continue;
			default:
				break;
			}
			if (in.mnemonic == ZYDIS_MNEMONIC_HLT || in.mnemonic == ZYDIS_MNEMONIC_UD2 ||
			    in.mnemonic == ZYDIS_MNEMONIC_INT3)
				goto done;
			rz_sp(&in, op, &p);
			p.at = next;
		}
done:;
	}
	return ZP_RZ_DEAD;
}

bool zp_redzone_dead_after(const struct zp_disasm *d, const uint8_t *buf, size_t len)
{
	uint8_t seen[RZ_MAX_INSNS / 8] = { 0 };

	return rz_walk(d, buf, len > RZ_MAX_INSNS ? RZ_MAX_INSNS : len, 0, seen, RZ_MAX_INSNS, false) ==
	       ZP_RZ_DEAD;
}

int zp_redzone_from(const struct zp_disasm *d, const uint8_t *buf, size_t len, size_t at, bool rz_pointers)
{
	uint8_t seen[ZP_RZ_FUNC_MAX / 8];

	if (len > ZP_RZ_FUNC_MAX || at > len)
		return ZP_RZ_UNKNOWN;
	memset(seen, 0, (len + 7) / 8);
	return rz_walk(d, buf, len, at, seen, 4096, rz_pointers);
}
