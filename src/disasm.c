/* disasm.c -- the Zydis wrapper.
 *
 * The only file that includes <Zydis/Zydis.h>. Callers see struct zp_insn,
 * a few flags the scanner needs, so another decoder could replace this one
 * without touching the rest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
/* gpr -- the number of the 64-bit register holding r (rax 0 .. r15 15),
 * or -1 for one that is not a general-purpose register */
static int gpr(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE || r == ZYDIS_REGISTER_RIP)
		return -1;
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	return big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15 ? (int)(big - ZYDIS_REGISTER_RAX) : -1;
}

static bool in_mask(uint32_t mask, ZydisRegister r)
{
	int g = gpr(r);
	return g >= 0 && (mask >> g & 1);
}

static int rz_mem(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op, const struct rz_path *p,
		  uint32_t ptr_regs)
{
	int verdict = ZP_RZ_DEAD;

	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &op[i];
		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		/* memory reached through a register that may hold an address
		 * below rsp cannot be told apart from the slot */
		if (in->mnemonic != ZYDIS_MNEMONIC_LEA && o->mem.base != ZYDIS_REGISTER_RSP &&
		    (in_mask(ptr_regs, o->mem.base) || in_mask(ptr_regs, o->mem.index)))
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
		   unsigned max_steps, uint32_t ptr_regs)
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
			int m = rz_mem(&in, op, &p, ptr_regs);
			if (m == ZP_RZ_LIVE || m == ZP_RZ_UNKNOWN)
				return m;
			/* a store over the whole slot, or a push with rsp where
			 * it was (it writes the slot) */
			if (m == ZP_RZ_KILLED || (p.delta_known && p.delta == 0 &&
						  (in.mnemonic == ZYDIS_MNEMONIC_PUSH ||
						   in.mnemonic == ZYDIS_MNEMONIC_PUSHFQ)))
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
				/* the callee may write below its rsp, so nothing
				 * there is live across a call: the slot is dead if
				 * rsp is where it was or above */
				if (p.delta_known && p.delta >= 0)
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

/* The walk from a function's entry to a site (zp_redzone_entry). Along
 * every path it follows what each general-purpose register may hold, as
 * far as addresses into the function's stack go, and which stack bytes the
 * function has written:
 *   RG_CLEAN  no address into the stack below the entry rsp (what every
 *             register holds at the entry: nothing there is the caller's)
 *   RG_CONST  a known number (an immediate), v
 *   RG_STACK  the address entry rsp + v
 *   RG_ANY    may be an address anywhere in the function's stack
 * Values stored at known stack addresses are kept (a few), so that a
 * pointer spilled and reloaded, or pushed and popped, is still seen. */
enum { RG_CLEAN, RG_CONST, RG_STACK, RG_ANY };
#define RG_SLOTS 8
#define RG_WRITES 8
#define RG_PATHS 32
#define RG_STEPS 8192
#define RG_SEEN 4096            /* a power of 2 */

struct rg_val {
	int64_t v;
	uint8_t kind;
};

struct rg_state {
	struct rz_path p;       /* delta: rsp relative to the entry rsp */
	struct rg_val r[16];
	struct {
		int64_t addr;
		struct rg_val val;
	} slot[RG_SLOTS];       /* stack addresses holding a non-clean value */
	struct {
		int64_t lo, hi;
	} w[RG_WRITES];         /* stack bytes written, entry-relative */
	uint8_t nslot, nw;
	bool wild;              /* a store that may be anywhere in the stack */
	bool leaked;            /* an address into the stack went where it is
				 * not followed: memory, a callee, a vector */
	bool switched;          /* rsp holds a value from outside this frame
				 * (mov %reg,%rsp in longjmp): not this frame's */
};

struct rg_walk {
	struct rg_state todo[RG_PATHS];
	uint64_t seen[RG_SEEN];
};

static bool tainted(struct rg_val v)
{
	return v.kind == RG_STACK || v.kind == RG_ANY;
}

/* below -- may v be an address below rsp now? Only such an address,
 * spilled where it is not followed, can come back as one */
static bool below(const struct rg_state *st, struct rg_val v)
{
	return v.kind == RG_ANY || (v.kind == RG_STACK && (!st->p.delta_known || v.v < st->p.delta));
}

static struct rg_val rg_reg(const struct rg_state *st, ZydisRegister r)
{
	int g = gpr(r);

	if (g < 0)
		return (struct rg_val){ 0, RG_CLEAN };
	struct rg_val v = g == 4 ? (st->p.delta_known ? (struct rg_val){ st->p.delta, RG_STACK }
					       : (struct rg_val){ 0, RG_ANY })
				 : st->r[g];
	ZyanU16 width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (width < 64 && v.kind == RG_STACK)
		v.kind = RG_ANY;
	else if (width < 64 && v.kind == RG_CONST)
		v.v &= (int64_t)((1ull << width) - 1);
	return v;
}

/* rg_addr -- the address a memory operand names */
static struct rg_val rg_addr(const struct rg_state *st, const ZydisDecodedOperand *o)
{
	struct rg_val base = rg_reg(st, o->mem.base), index = rg_reg(st, o->mem.index);

	if (tainted(index))
		return (struct rg_val){ 0, RG_ANY };
	if (base.kind != RG_STACK)
		return (struct rg_val){ 0, base.kind == RG_ANY ? RG_ANY : RG_CLEAN };
	if (o->mem.index == ZYDIS_REGISTER_NONE)
		return (struct rg_val){ base.v + o->mem.disp.value, RG_STACK };
	if (index.kind == RG_CONST)
		return (struct rg_val){ base.v + o->mem.disp.value + index.v * o->mem.scale, RG_STACK };
	return (struct rg_val){ 0, RG_ANY };
}

/* rg_load -- what size bytes at address a may hold: a value stored there,
 * or anything where an address below rsp went where it is not followed */
static struct rg_val rg_load(const struct rg_state *st, struct rg_val a, int64_t size)
{
	if (st->leaked)
		return (struct rg_val){ 0, RG_ANY };
	if (a.kind == RG_STACK) {
		for (unsigned i = 0; i < st->nslot; i++) {
			int64_t at = st->slot[i].addr;
			if (at == a.v && size == 8)
				return st->slot[i].val;
			if (at < a.v + size && a.v < at + 8)
				return (struct rg_val){ 0, RG_ANY };
		}
		return (struct rg_val){ 0, RG_CLEAN };
	}
	return (struct rg_val){ 0, a.kind == RG_ANY && st->nslot > 0 ? RG_ANY : RG_CLEAN };
}

static void rg_written(struct rg_state *st, int64_t lo, int64_t hi)
{
	/* joined to one it overlaps or touches (a loop storing the same
	 * bytes adds nothing new) */
	for (unsigned i = 0; i < st->nw; i++) {
		if (lo <= st->w[i].hi && st->w[i].lo <= hi) {
			st->w[i].lo = lo < st->w[i].lo ? lo : st->w[i].lo;
			st->w[i].hi = hi > st->w[i].hi ? hi : st->w[i].hi;
			return;
		}
	}
	if (st->nw == RG_WRITES) {
		for (unsigned i = 1; i < st->nw; i++) {
			st->w[0].lo = st->w[i].lo < st->w[0].lo ? st->w[i].lo : st->w[0].lo;
			st->w[0].hi = st->w[i].hi > st->w[0].hi ? st->w[i].hi : st->w[0].hi;
		}
		st->nw = 1;
	}
	st->w[st->nw].lo = lo;
	st->w[st->nw].hi = hi;
	st->nw++;
}

static void rg_store(struct rg_state *st, struct rg_val a, int64_t size, struct rg_val v)
{
	if (a.kind != RG_STACK) {
		st->wild |= a.kind == RG_ANY;
		st->leaked |= below(st, v);
		return;
	}
	rg_written(st, a.v, a.v + size);
	for (unsigned i = 0; i < st->nslot;) {
		if (st->slot[i].addr < a.v + size && a.v < st->slot[i].addr + 8)
			st->slot[i] = st->slot[--st->nslot];
		else
			i++;
	}
	if (!tainted(v))
		return;
	if (size != 8 || st->nslot == RG_SLOTS) {
		st->leaked |= below(st, v);
		return;
	}
	st->slot[st->nslot].addr = a.v;
	st->slot[st->nslot].val = v;
	st->nslot++;
}

/* rg_set -- a register written; partial: its upper bits are kept */
static void rg_set(struct rg_state *st, ZydisRegister r, struct rg_val v, bool partial)
{
	int g = gpr(r);

	if (g < 0 || g == 4)
		return;
	ZyanU16 width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (width < 32 || partial) {
		bool any = tainted(v) || tainted(st->r[g]);
		v = (struct rg_val){ 0, any ? RG_ANY : RG_CLEAN };
	}
	st->r[g] = v;
}

static int64_t op_bytes(const ZydisDecodedOperand *o)
{
	return o->size ? (o->size + 7) / 8 : 64;
}

/* rg_join -- what a register holds that holds a or b (a conditional
 * move): an address into the stack, or something else, counts as that
 * address (only addresses below rsp matter at a site) */
static struct rg_val rg_join(struct rg_val a, struct rg_val b)
{
	if (a.kind == b.kind && a.v == b.v)
		return a;
	if (a.kind == RG_ANY || b.kind == RG_ANY || (a.kind == RG_STACK && b.kind == RG_STACK))
		return (struct rg_val){ 0, RG_ANY };
	if (a.kind == RG_STACK || b.kind == RG_STACK)
		return a.kind == RG_STACK ? a : b;
	return (struct rg_val){ 0, RG_CLEAN };
}

/* rg_generic -- an instruction without a rule of its own: what it writes
 * may be an address into the stack if anything it reads may be */
static void rg_generic(struct rg_state *st, const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
	bool in_taint = false, in_below = false;

	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &op[i];
		struct rg_val v = { 0, RG_CLEAN };
		if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_READ))
			continue;
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && o->reg.value != ZYDIS_REGISTER_RSP)
			v = rg_reg(st, o->reg.value);
		else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY)
			v = rg_load(st, rg_addr(st, o), op_bytes(o));
		in_taint |= tainted(v);
		in_below |= below(st, v);
	}
	struct rg_val v = { 0, in_taint ? RG_ANY : RG_CLEAN };
	bool rep = in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *o = &op[i];
		if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			struct rg_val a = rg_addr(st, o);
			if (rep && a.kind == RG_STACK)
				a.kind = RG_ANY;
			rg_store(st, a, op_bytes(o), v);
		} else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && gpr(o->reg.value) >= 0) {
			rg_set(st, o->reg.value, v, o->actions & ZYDIS_OPERAND_ACTION_CONDWRITE);
		} else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && in_below) {
			st->leaked = true;      /* into a vector register, a segment base... */
		}
	}
}

/* rg_step -- the instruction's effect on the registers and the stack (rsp
 * itself excepted: rz_sp follows that) */
static void rg_step(struct rg_state *st, const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
	const ZydisDecodedOperand *o0 = &op[0], *o1 = &op[1];
	bool two = in->operand_count_visible >= 2;
	bool r0 = in->operand_count_visible >= 1 && o0->type == ZYDIS_OPERAND_TYPE_REGISTER && gpr(o0->reg.value) >= 0;

	if (r0 && two && (o0->actions & ZYDIS_OPERAND_ACTION_CONDWRITE) && o0->size == 64 &&
	    (o1->type == ZYDIS_OPERAND_TYPE_REGISTER || o1->type == ZYDIS_OPERAND_TYPE_MEMORY) &&
	    in->meta.category == ZYDIS_CATEGORY_CMOV) {
		struct rg_val v = o1->type == ZYDIS_OPERAND_TYPE_REGISTER ? rg_reg(st, o1->reg.value)
									  : rg_load(st, rg_addr(st, o1), 8);
		rg_set(st, o0->reg.value, rg_join(rg_reg(st, o0->reg.value), v), false);
		return;
	}
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_LEA:
		rg_set(st, o0->reg.value, rg_addr(st, o1), false);
		return;
	case ZYDIS_MNEMONIC_MOV:
		if (!two)
			break;
		if (r0 && o1->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			rg_set(st, o0->reg.value, rg_reg(st, o1->reg.value), false);
			return;
		}
		if (r0 && o1->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			int64_t v = o1->imm.value.s;
			if (o0->size == 32)
				v &= 0xffffffff;
			rg_set(st, o0->reg.value, (struct rg_val){ v, o0->size >= 32 ? RG_CONST : RG_CLEAN }, false);
			return;
		}
		if (r0 && o1->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			rg_set(st, o0->reg.value, rg_load(st, rg_addr(st, o1), op_bytes(o1)), false);
			return;
		}
		if (o0->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			struct rg_val v = o1->type == ZYDIS_OPERAND_TYPE_REGISTER ? rg_reg(st, o1->reg.value)
										   : (struct rg_val){ 0, RG_CLEAN };
			rg_store(st, rg_addr(st, o0), op_bytes(o0), v);
			return;
		}
		break;
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_SUB:
		if (r0 && two && o1->type == ZYDIS_OPERAND_TYPE_REGISTER && o0->reg.value == o1->reg.value) {
			rg_set(st, o0->reg.value, (struct rg_val){ 0, RG_CONST }, false);
			return;
		}
		/* fall through */
	case ZYDIS_MNEMONIC_ADD:
		if (r0 && two && (o1->type == ZYDIS_OPERAND_TYPE_REGISTER || o1->type == ZYDIS_OPERAND_TYPE_MEMORY) &&
		    o0->size == 64 && o0->reg.value != ZYDIS_REGISTER_RSP && in->mnemonic != ZYDIS_MNEMONIC_XOR) {
			/* a difference of two addresses is a number; an
			 * address plus a known number an address (va_arg:
			 * the save area's address, loaded, plus an offset) */
			struct rg_val a = rg_reg(st, o0->reg.value);
			struct rg_val b = o1->type == ZYDIS_OPERAND_TYPE_REGISTER ? rg_reg(st, o1->reg.value)
										  : rg_load(st, rg_addr(st, o1), op_bytes(o1));
			bool add = in->mnemonic == ZYDIS_MNEMONIC_ADD;
			if (!add && a.kind == RG_STACK && b.kind == RG_STACK) {
				rg_set(st, o0->reg.value, (struct rg_val){ a.v - b.v, RG_CONST }, false);
				return;
			}
			if (a.kind == RG_STACK && b.kind == RG_CONST) {
				rg_set(st, o0->reg.value, (struct rg_val){ add ? a.v + b.v : a.v - b.v, RG_STACK }, false);
				return;
			}
			if (add && a.kind == RG_CONST && b.kind == RG_STACK) {
				rg_set(st, o0->reg.value, (struct rg_val){ a.v + b.v, RG_STACK }, false);
				return;
			}
		}
		if (r0 && two && o1->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o0->size == 64 &&
		    o0->reg.value != ZYDIS_REGISTER_RSP && in->mnemonic != ZYDIS_MNEMONIC_XOR) {
			struct rg_val v = rg_reg(st, o0->reg.value);
			int64_t k = in->mnemonic == ZYDIS_MNEMONIC_ADD ? o1->imm.value.s : -o1->imm.value.s;
			if (v.kind == RG_STACK || v.kind == RG_CONST) {
				v.v += k;
				rg_set(st, o0->reg.value, v, false);
				return;
			}
		}
		break;
	case ZYDIS_MNEMONIC_PUSH:
	case ZYDIS_MNEMONIC_PUSHFQ: {
		struct rg_val v = { 0, RG_CLEAN };
		if (in->mnemonic == ZYDIS_MNEMONIC_PUSH && o0->type == ZYDIS_OPERAND_TYPE_REGISTER)
			v = rg_reg(st, o0->reg.value);
		else if (in->mnemonic == ZYDIS_MNEMONIC_PUSH && o0->type == ZYDIS_OPERAND_TYPE_MEMORY)
			v = rg_load(st, rg_addr(st, o0), 8);
		rg_store(st, st->p.delta_known ? (struct rg_val){ st->p.delta - 8, RG_STACK }
					       : (struct rg_val){ 0, RG_ANY }, 8, v);
		return;
	}
	case ZYDIS_MNEMONIC_POP: {
		struct rg_val v = rg_load(st, st->p.delta_known ? (struct rg_val){ st->p.delta, RG_STACK }
								: (struct rg_val){ 0, RG_ANY }, 8);
		if (r0)
			rg_set(st, o0->reg.value, v, false);
		else
			st->wild = true;
		return;
	}
	case ZYDIS_MNEMONIC_POPFQ:
		return;
	case ZYDIS_MNEMONIC_CALL: {
		/* a callee may keep what it is given; it leaves the
		 * caller-saved registers holding nothing of this frame, and
		 * everything below rsp is its own */
		static const int args[] = { 7, 6, 2, 1, 8, 9, 0 }, clobbered[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };
		for (unsigned i = 0; i < sizeof(args) / sizeof(args[0]); i++)
			st->leaked |= below(st, st->r[args[i]]);
		for (unsigned i = 0; i < sizeof(clobbered) / sizeof(clobbered[0]); i++)
			st->r[clobbered[i]] = (struct rg_val){ 0, RG_CLEAN };
		if (!st->p.delta_known)
			return;
		for (unsigned i = 0; i < st->nslot;) {
			if (st->slot[i].addr < st->p.delta)
				st->slot[i] = st->slot[--st->nslot];
			else
				i++;
		}
		for (unsigned i = 0; i < st->nw; i++)
			if (st->w[i].hi > st->p.delta && st->w[i].lo < st->p.delta)
				st->w[i].lo = st->p.delta;
			else if (st->w[i].hi <= st->p.delta)
				st->w[i].lo = st->w[i].hi = st->p.delta;
		return;
	}
	case ZYDIS_MNEMONIC_SYSCALL:
		/* the kernel may write what the arguments point to */
		for (int g = 0; g < 16; g++)
			st->wild |= g != 4 && tainted(st->r[g]);
		st->r[0] = st->r[1] = st->r[11] = (struct rg_val){ 0, RG_CLEAN };
		return;
	case ZYDIS_MNEMONIC_LEAVE: {
		struct rg_val fp = st->r[5];
		st->r[5] = rg_load(st, fp.kind == RG_STACK ? fp : (struct rg_val){ 0, RG_ANY }, 8);
		st->p.delta_known = fp.kind == RG_STACK;
		st->p.delta = fp.v + 8;
		return;
	}
	default:
		break;
	}
	rg_generic(st, in, op);
}

/* rz_arg_size -- how many bytes the kernel may access through argument
 * register g of the system call about to be made, or -1 if not known:
 * the few calls seen passing fixed-size structs in the red zone (glibc's
 * sigaction, F_GETOWN_EX, the sigaltstack check of longjmp; the sanitizer
 * runtimes' fstat and nanosleep) and their kin */
static int64_t rz_arg_size(const struct rg_state *st, int g)
{
	const struct rg_val nr = st->r[0], a2 = st->r[6], a4 = st->r[10];
	bool sigset = a4.kind == RG_CONST && a4.v >= 0 && a4.v <= 128;

	if (nr.kind != RG_CONST)
		return -1;
	switch (nr.v) {
	case 13:        /* rt_sigaction: struct sigaction, the mask r10 bytes */
		return (g == 6 || g == 2) && sigset ? 24 + a4.v : -1;
	case 14:        /* rt_sigprocmask: sets of r10 bytes */
		return (g == 6 || g == 2) && sigset ? a4.v : -1;
	case 72:        /* fcntl: struct f_owner_ex, struct flock */
		if (g != 2 || a2.kind != RG_CONST)
			return -1;
		if (a2.v == 15 || a2.v == 16)
			return 8;
		if ((a2.v >= 5 && a2.v <= 7) || (a2.v >= 36 && a2.v <= 38))
			return 32;
		return -1;
	case 131:       /* sigaltstack: stack_t */
		return g == 7 || g == 6 ? 24 : -1;
	case 4:         /* stat, fstat, lstat: struct stat */
	case 5:
	case 6:
		return g == 6 ? 144 : -1;
	case 262:       /* newfstatat */
		return g == 2 ? 144 : -1;
	case 35:        /* nanosleep: struct timespec */
		return g == 7 || g == 6 ? 16 : -1;
	case 228:       /* clock_gettime */
		return g == 6 ? 16 : -1;
	case 230:       /* clock_nanosleep */
		return g == 2 || g == 10 ? 16 : -1;
	default:
		return -1;
	}
}

/* rz_arg_output -- is argument register g of the system call about to be
 * made one the kernel only writes through, every one of its rz_arg_size
 * bytes whenever the call succeeds (a struct copied out whole)? The old
 * sigaction, the old mask (of 8 bytes: any other size fails first),
 * F_GETOWN_EX's struct, sigaltstack's old stack, struct stat and
 * clock_gettime's timespec; not nanosleep's remainder (written only when
 * a signal interrupts it) nor a struct flock (read, then written) */
static bool rz_arg_output(const struct rg_state *st, int g)
{
	const struct rg_val nr = st->r[0], a2 = st->r[6], a4 = st->r[10];

	if (nr.kind != RG_CONST)
		return false;
	switch (nr.v) {
	case 13:        /* rt_sigaction: oldact */
	case 14:        /* rt_sigprocmask: oldset */
		return g == 2 && a4.kind == RG_CONST && a4.v == 8;
	case 72:        /* fcntl(F_GETOWN_EX) */
		return g == 2 && a2.kind == RG_CONST && a2.v == 16;
	case 131:       /* sigaltstack: old_ss */
		return g == 6;
	case 4:         /* stat, fstat, lstat */
	case 5:
	case 6:
	case 228:       /* clock_gettime */
		return g == 6;
	case 262:       /* newfstatat */
		return g == 2;
	default:
		return false;
	}
}

/* rz_site_check -- at the site: may the kernel reach the slot through an
 * argument (args: ZP_RZ_OUTPUT where it only writes all of the slot
 * there), may the function have stored something in it (slot) */
static void rz_site_check(const struct rg_state *st, struct zp_rz_entry *out)
{
	static const int argregs[] = { 7, 6, 2, 10, 8, 9 };

	for (unsigned i = 0; i < sizeof(argregs) / sizeof(argregs[0]); i++) {
		struct rg_val v = st->r[argregs[i]];
		if (v.kind == RG_ANY || (v.kind == RG_STACK && !st->p.delta_known)) {
			out->args = ZP_RZ_LIVE;
		} else if (v.kind == RG_STACK && v.v < st->p.delta) {
			int64_t size = rz_arg_size(st, argregs[i]);
			int64_t slot = st->p.delta - 8;
			if (size >= 0 && v.v + size <= slot)
				continue;
			/* the kernel writes the whole slot and reads none of it */
			if (size >= 0 && v.v <= slot && v.v + size >= slot + 8 && rz_arg_output(st, argregs[i]))
				out->args = out->args == ZP_RZ_LIVE ? ZP_RZ_LIVE : ZP_RZ_OUTPUT;
			else
				out->args = ZP_RZ_LIVE;
		}
	}
	if (!st->p.delta_known || st->wild) {
		out->slot = ZP_RZ_LIVE;
		return;
	}
	for (unsigned i = 0; i < st->nw; i++)
		if (st->w[i].lo < st->p.delta && st->w[i].hi > st->p.delta - 8)
			out->slot = ZP_RZ_LIVE;
}

static uint32_t rg_ptr_regs(const struct rg_state *st)
{
	uint32_t m = 0;

	for (int g = 0; g < 16; g++)
		if (st->r[g].kind == RG_ANY ||
		    (st->r[g].kind == RG_STACK && (!st->p.delta_known || st->r[g].v < st->p.delta)))
			m |= 1u << g;
	return m;
}

static uint64_t rg_mix(uint64_t h, int64_t v)
{
	return (h ^ (uint64_t)v) * 1099511628211ull;
}

static uint64_t rg_hash(const struct rg_state *st)
{
	uint64_t h = 1469598103934665603ull;

	h = rg_mix(h, st->p.delta_known ? st->p.delta : INT64_MIN);
	for (int g = 0; g < 16; g++)
		h = rg_mix(rg_mix(h, st->r[g].kind), st->r[g].kind != RG_CLEAN ? st->r[g].v : 0);
	for (unsigned i = 0; i < st->nslot; i++)
		h = rg_mix(rg_mix(rg_mix(h, st->slot[i].addr), st->slot[i].val.kind), st->slot[i].val.v);
	for (unsigned i = 0; i < st->nw; i++)
		h = rg_mix(rg_mix(h, st->w[i].lo), st->w[i].hi);
	return rg_mix(rg_mix(rg_mix(h, st->wild), st->leaked), st->switched);
}

/* rg_seen -- whether this place was reached with this state before;
 * records it if not. -1: the table is full */
static int rg_seen(uint64_t *seen, const struct rg_state *st)
{
	uint64_t key = (rg_hash(st) << 20 ^ st->p.at) | 1;

	for (unsigned i = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 52) % RG_SEEN, n = 0; n < RG_SEEN;
	     i = (i + 1) % RG_SEEN, n++) {
		if (seen[i] == key)
			return 1;
		if (seen[i] == 0) {
			seen[i] = key;
			return 0;
		}
	}
	return -1;
}

static int rz_entry_walk(const struct zp_disasm *d, const uint8_t *buf, size_t len, const size_t *sites,
			 size_t nsites, bool *reached, struct rg_walk *wk, struct zp_rz_entry *out)
{
	const ZydisDecoder *dec = (const ZydisDecoder *)d->opaque;
	unsigned ntodo = 0, steps = 0;
	uint32_t ptr_regs = 0;

	memset(&wk->todo[0], 0, sizeof(wk->todo[0]));
	wk->todo[0].p = (struct rz_path){ 0, 0, true };
	ntodo = 1;
	while (ntodo > 0) {
		struct rg_state st = wk->todo[--ntodo];
		for (;;) {
			ZydisDecodedInstruction in;
			ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];

			/* off the end: after a call that does not return */
			if (st.p.at == len)
				break;
			if (st.p.at > len || ++steps > RG_STEPS)
				return ZP_RZ_UNKNOWN;
			int sn = rg_seen(wk->seen, &st);
			if (sn < 0)
				return ZP_RZ_UNKNOWN;
			if (sn > 0)
				break;
			ptr_regs |= rg_ptr_regs(&st);
			for (size_t k = 0; k < nsites; k++) {
				if (st.p.at == sites[k]) {
					rz_site_check(&st, &out[k]);
					reached[k] = true;
				}
			}
			if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, buf + st.p.at, len - st.p.at, &in, op)))
				return ZP_RZ_UNKNOWN;
			size_t next = st.p.at + in.length;
			ZyanU64 target = 0;
			bool relative = in.operand_count_visible > 0 && op[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
					op[0].imm.is_relative &&
					ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &op[0], st.p.at, &target));
			if (in.meta.category == ZYDIS_CATEGORY_RET || in.mnemonic == ZYDIS_MNEMONIC_HLT ||
			    in.mnemonic == ZYDIS_MNEMONIC_UD2 || in.mnemonic == ZYDIS_MNEMONIC_INT3)
				break;
			/* rsp set from a register or an address known to be in
			 * the stack (an epilogue after alloca) */
			struct rg_val newsp = { 0, RG_ANY };
			if (in.operand_count_visible == 2 && op[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    op[0].reg.value == ZYDIS_REGISTER_RSP)
				newsp = in.mnemonic == ZYDIS_MNEMONIC_MOV && op[1].type == ZYDIS_OPERAND_TYPE_REGISTER
						? rg_reg(&st, op[1].reg.value)
					: in.mnemonic == ZYDIS_MNEMONIC_LEA ? rg_addr(&st, &op[1]) : newsp;
			bool sp_from_reg = in.mnemonic == ZYDIS_MNEMONIC_MOV && in.operand_count_visible == 2 &&
					   op[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
					   op[0].reg.value == ZYDIS_REGISTER_RSP &&
					   op[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
			rg_step(&st, &in, op);
			if (in.mnemonic != ZYDIS_MNEMONIC_LEAVE)
				rz_sp(&in, op, &st.p);
			if (newsp.kind == RG_STACK) {
				st.p.delta = newsp.v;
				st.p.delta_known = true;
				st.switched = false;
			} else if (sp_from_reg) {
				st.switched = newsp.kind == RG_CLEAN;
			}
			if (in.meta.category == ZYDIS_CATEGORY_UNCOND_BR) {
				/* a jump out of the function (a tail call) does
				 * not come back to the site; nor does a jump
				 * through a register once rsp was loaded with a
				 * value from outside this frame (longjmp): as a
				 * return does, it resumes another frame */
				if (!relative && st.switched && op[0].type == ZYDIS_OPERAND_TYPE_REGISTER)
					break;
				if (!relative)
					return ZP_RZ_UNKNOWN;
				if (target >= len)
					break;
				st.p.at = (size_t)target;
				continue;
			}
			if (in.meta.category == ZYDIS_CATEGORY_COND_BR) {
				if (!relative || ntodo == RG_PATHS)
					return ZP_RZ_UNKNOWN;
				if (target < len) {
					wk->todo[ntodo] = st;
					wk->todo[ntodo++].p.at = (size_t)target;
				}
			}
			st.p.at = next;
		}
	}
	for (size_t k = 0; k < nsites; k++)
		out[k].ptr_regs = ptr_regs;
	return ZP_RZ_DEAD;
}

int zp_redzone_entry(const struct zp_disasm *d, const uint8_t *buf, size_t len, const size_t *sites,
		     size_t nsites, struct zp_rz_entry *out)
{
	struct rg_walk *wk = NULL;
	bool *reached = NULL;
	int r = ZP_RZ_UNKNOWN;

	for (size_t k = 0; k < nsites; k++)
		out[k] = (struct zp_rz_entry){ ZP_RZ_DEAD, ZP_RZ_DEAD, 0 };
	if (len <= ZP_RZ_FUNC_MAX && nsites > 0) {
		wk = malloc(sizeof(*wk));
		reached = calloc(nsites, sizeof(*reached));
	}
	if (wk != NULL && reached != NULL) {
		memset(wk->seen, 0, sizeof(wk->seen));
		r = rz_entry_walk(d, buf, len, sites, nsites, reached, wk, out);
	}
	for (size_t k = 0; k < nsites; k++) {
		/* a site reached only through what is not followed */
		if (r != ZP_RZ_DEAD || !reached[k])
			out[k] = (struct zp_rz_entry){ ZP_RZ_UNKNOWN, ZP_RZ_UNKNOWN, 0xffff & ~(1u << 4) };
	}
	free(reached);
	free(wk);
	return r;
}

bool zp_redzone_dead_after(const struct zp_disasm *d, const uint8_t *buf, size_t len)
{
	uint8_t seen[RZ_MAX_INSNS / 8] = { 0 };

	return rz_walk(d, buf, len > RZ_MAX_INSNS ? RZ_MAX_INSNS : len, 0, seen, RZ_MAX_INSNS, 0) ==
	       ZP_RZ_DEAD;
}

int zp_redzone_from(const struct zp_disasm *d, const uint8_t *buf, size_t len, size_t at, uint32_t ptr_regs)
{
	uint8_t seen[ZP_RZ_FUNC_MAX / 8];

	if (len > ZP_RZ_FUNC_MAX || at > len)
		return ZP_RZ_UNKNOWN;
	memset(seen, 0, (len + 7) / 8);
	return rz_walk(d, buf, len, at, seen, 4096, ptr_regs);
}
