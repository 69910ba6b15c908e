/* scan.c -- find the syscall and sysenter instructions of an object.
 *
 * A byte prefilter finds every 0f 05 / 0f 34 pair in the executable
 * sections; most are not instructions (they sit inside displacements,
 * immediates or data). For each candidate the scanner decodes the whole
 * function that holds it, from the function's real start (unwind tables or
 * symbols), so the instruction boundaries are the compiler's. Decoding the
 * whole function also answers the red-zone question for each of its sites:
 * may the 8 bytes `call` pushes below %rsp hold something live there (see
 * decode_func)? Leaf or not: hand-written code keeps data below %rsp in
 * functions that call others too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zp.h"

static int add_site(struct zp_scan *s, uint64_t addr, uint32_t flags)
{
	if (s->nsites == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct zp_site *p = realloc(s->sites, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		s->sites = p;
		s->cap = cap;
	}
	s->sites[s->nsites++] = (struct zp_site){ addr, flags };
	return 0;
}

struct range {
	const uint8_t *bytes;   /* bytes of the section */
	uint64_t base;          /* its link-time address */
	uint64_t end;
};

/* decode_func -- decode [from, to), record the sites at or above
 * record_from, and mark them by the red-zone verdict for the range */
static int decode_func(const struct zp_disasm *d, const struct range *sec, uint64_t from,
		       uint64_t to, uint64_t record_from, bool known, bool entry, struct zp_scan *s)
{
	bool below_sp = false, sp_slot = false, rz_addr = false;
	int64_t fp_min = 0;     /* lowest rbp-relative byte touched */
	uint64_t grown = 0;     /* bytes the function moves rsp down, the push
				 * of the caller's rbp excepted */
	bool first_push = true, sets_fp = false;
	size_t first = s->nsites;
	uint64_t pos = from;
	int r;

	while (pos < to) {
		struct zp_insn in;
		size_t avail = sec->end - pos;
		if (zp_decode(d, sec->bytes + (pos - sec->base), avail < 15 ? avail : 15, &in) < 0) {
			pos++;
			continue;
		}
		if ((in.is_syscall || in.is_sysenter || in.is_int80) && in.length == 2 && pos >= record_from) {
			r = add_site(s, pos, in.is_sysenter ? ZP_SITE_SYSENTER : in.is_int80 ? ZP_SITE_INT80 : 0);
			if (r < 0)
				return r;
		}
		below_sp |= in.below_sp;
		sp_slot |= in.sp_slot;
		rz_addr |= in.rz_addr;
		sets_fp |= in.sets_fp;
		if (in.fp_disp < fp_min)
			fp_min = in.fp_disp;
		if (in.is_push && first_push)
			first_push = false;
		else
			grown += in.grows;
		pos += in.length;
	}
	s->bytes_decoded += to - from;
	/* The stub moves 128 bytes down before it saves anything, so only
	 * the 8 bytes `call *%rax` pushes at -8(%rsp) can be clobbered. A
	 * function may keep data there only if it addresses memory below
	 * rsp: an access reaching that slot, a pointer into the red zone, or
	 * red-zone use while %rsp moves (offsets then shift); rbp-relative
	 * data below what the function allocated is in the red zone too (gcc
	 * -O0 keeps leaf locals there). Calls elsewhere in the function do not
	 * matter: hand-written code keeps data below rsp between them. */
	bool rbp_rz = sets_fp && -fp_min > (int64_t)grown;
	bool may_keep = sp_slot || (below_sp && grown > 0) || rbp_rz;
	/* Per site, in a function whose bounds are known, the verdict is
	 * decided from both sides of the site (disasm.c):
	 *  - after it (zp_redzone_from): the slot is live if a path reads it
	 *    before something overwrites it (a store over it, a push or call
	 *    with rsp where it was, a return), loops back included;
	 *  - before it (zp_redzone_entry, only where the function may keep
	 *    data below rsp): whether an argument register points
	 *    below rsp with the kernel's access reaching the slot (the kernel
	 *    would read or overwrite the return address: live whatever the
	 *    code after the site does), whether anything since the entry
	 *    stored into the slot (if nothing did, nothing is there to keep),
	 *    and which registers may hold addresses below rsp (memory reached
	 *    through the others is not the slot).
	 * A site whose after side cannot be followed is live unless the
	 * function never addresses memory below rsp or the before side shows
	 * the slot empty: such sites become traps, which push nothing,
	 * unless the slot is only the kernel's output (ZP_SITE_SLOTOUT). */
	bool per_site = known && from >= sec->base && to <= sec->end;
	const uint8_t *fbytes = sec->bytes + (from - sec->base);
	size_t nhere = s->nsites - first;
	size_t *offs = NULL;
	struct zp_rz_entry *ents = NULL;
	if (per_site && entry && nhere > 0 && (may_keep || rz_addr)) {
		offs = malloc(nhere * sizeof(*offs));
		ents = malloc(nhere * sizeof(*ents));
		if (offs == NULL || ents == NULL) {
			free(offs);
			free(ents);
			return -ENOMEM;
		}
		for (size_t i = 0; i < nhere; i++)
			offs[i] = s->sites[first + i].addr - from;
		zp_redzone_entry(d, fbytes, to - from, offs, nhere, ents);
	}
	for (size_t i = first; i < s->nsites; i++) {
		size_t at = s->sites[i].addr - from;
		struct zp_rz_entry ent = { ZP_RZ_UNKNOWN, ZP_RZ_UNKNOWN, 0xffff & ~(1u << 4) };
		if (ents != NULL)
			ent = ents[i - first];
		/* without an address taken below rsp, no register holds one
		 * (a copy of rsp made at or above it is taken to stay so) */
		if (!rz_addr) {
			ent.args = ZP_RZ_DEAD;
			ent.ptr_regs = 0;
		}
		uint32_t ptr_regs = ent.ptr_regs;
		int v = per_site ? zp_redzone_from(d, fbytes, to - from, at + 2, ptr_regs) : ZP_RZ_UNKNOWN;
		if (!known)
			s->sites[i].flags |= ZP_SITE_NOFUNC | ZP_SITE_REDZONE;
		else if (v == ZP_RZ_LIVE || ent.args != ZP_RZ_DEAD ||
			 (v == ZP_RZ_UNKNOWN && may_keep && ent.slot != ZP_RZ_DEAD))
			s->sites[i].flags |= ZP_SITE_REDZONE;
		/* The kernel writes a struct over the slot: a call's return
		 * address there would be overwritten, but the slot's content
		 * is the kernel's output alone, if what was there before is
		 * not needed (nothing was stored in it, or nothing reads it
		 * after the site). Reads after the site then see the output
		 * (or, where the call failed, the old garbage: another one). */
		if (ents != NULL && known && ent.args == ZP_RZ_OUTPUT &&
		    (ent.slot == ZP_RZ_DEAD || v == ZP_RZ_DEAD))
			s->sites[i].flags |= ZP_SITE_SLOTOUT;
	}
	free(offs);
	free(ents);
	return (int)(pos - to);
}

static bool is_candidate(const uint8_t *p)
{
	return (p[0] == 0x0f && (p[1] == 0x05 || p[1] == 0x34)) || (p[0] == 0xcd && p[1] == 0x80);
}

/* A cursor over the bytes that may start a site: 0f (syscall, sysenter)
 * or cd (int $0x80). Each byte's next place is remembered, so each memchr
 * runs over a stretch once, however rare the other byte is. */
struct cursor {
	const uint8_t *f, *c;   /* next 0f, next cd at or after the last p; NULL: none */
	bool f_set, c_set;
};

static const uint8_t *next_of(const uint8_t **at, bool *set, int byte, const uint8_t *p, const uint8_t *end)
{
	if (!*set || (*at != NULL && *at < p)) {
		*at = p + 1 < end ? memchr(p, byte, (size_t)(end - 1 - p)) : NULL;
		*set = true;
	}
	return *at;
}

/* next_candidate -- the first byte at or after p that starts a candidate */
static const uint8_t *next_candidate(struct cursor *k, const uint8_t *p, const uint8_t *end)
{
	while (p + 1 < end) {
		const uint8_t *f = next_of(&k->f, &k->f_set, 0x0f, p, end);
		const uint8_t *c = next_of(&k->c, &k->c_set, 0xcd, p, end);
		const uint8_t *q = f == NULL ? c : c == NULL ? f : f < c ? f : c;
		if (q == NULL)
			return NULL;
		if (is_candidate(q))
			return q;
		p = q + 1;
	}
	return NULL;
}

static int scan_section(struct zp_elf *e, const struct zp_disasm *d, const struct range *sec,
			struct zp_scan *s)
{
	uint64_t done = sec->base;  /* everything below has been decoded */
	const uint8_t *p = sec->bytes, *end = sec->bytes + (sec->end - sec->base);
	size_t before = s->nsites;
	int r;

	struct cursor k = { 0 };
	while (p + 1 < end && (p = next_candidate(&k, p, end)) != NULL) {
		uint64_t c = sec->base + (p - sec->bytes);
		p++;
		if (c < done)
			continue;
		struct zp_func f;
		bool known = zp_elf_func_containing(e, c, &f) == 0 && f.start >= sec->base &&
			     f.end <= sec->end;
		if (!known) {
			/* Hand-written code may end its unwind info just
			 * before the syscall (glibc's clone and clone3 do, as
			 * the child's frame is not the parent's): a function
			 * ending shortly before c is the one that holds it. */
			for (uint64_t back = 1; back <= 32 && back <= c - done; back++) {
				if (zp_elf_func_containing(e, c - back, &f) == 0 && f.end == c - back + 1 &&
				    f.start >= sec->base) {
					f.end = c + 2;
					known = true;
					break;
				}
			}
		}
		if (!known && zp_elf_has_funcs(e)) {
			/* The object bounds its functions, and no function
			 * holds c: it is data or padding between them. */
			continue;
		}
		if (!known) {
			/* No bounds at all: a linear sweep from the last point
			 * known to be an instruction boundary, up to and past c. */
			f.start = done;
			f.end = c + 2;
		}
		r = decode_func(d, sec, f.start, f.end, done, known, known && f.entry, s);
		if (r < 0)
			return r;
		done = f.end + (uint64_t)r;
		if (done >= sec->end)
			break;
		p = sec->bytes + (done - sec->base);
	}
	unsigned candidates = 0;
	struct cursor all = { 0 };
	for (p = sec->bytes; p + 1 < end && (p = next_candidate(&all, p, end)) != NULL; p++)
		candidates++;
	s->lookalikes += candidates - (unsigned)(s->nsites - before);
	return 0;
}

int zp_scan_object(struct zp_elf *e, struct zp_scan *s)
{
	struct zp_section *secs;
	struct zp_disasm d;
	size_t n;
	int r;

	zp_disasm_init(&d);
	r = zp_elf_exec_sections(e, &secs, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct range sec = {
			.bytes = secs[i].data,
			.base = secs[i].addr,
			.end = secs[i].addr + secs[i].size,
		};
		s->bytes_scanned += secs[i].size;
		r = scan_section(e, &d, &sec, s);
		if (r < 0)
			return r;
	}
	return 0;
}

