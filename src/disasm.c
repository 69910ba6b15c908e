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
		}
		else if (op[i].mem.base == ZYDIS_REGISTER_RBP && op[i].mem.disp.value < out->fp_disp)
			out->fp_disp = (int32_t)op[i].mem.disp.value;
	}
	return 0;
}
