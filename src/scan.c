/* scan.c -- find the syscall and sysenter instructions of an object.
 *
 * A byte prefilter finds every 0f 05 / 0f 34 pair in the executable
 * sections; most are not instructions (they sit inside displacements,
 * immediates or data). For each candidate the scanner decodes the whole
 * function that holds it, from the function's real start (unwind tables or
 * symbols), so the instruction boundaries are the compiler's. Decoding the
 * whole function also answers the red-zone question for its sites: code may
 * keep live data below %rsp only in a leaf function (GCC and Clang use the
 * red zone only when a function makes no calls), and only where it
 * addresses memory below %rsp (see decode_func for which of that the
 * rewritten call can harm). */
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
		       uint64_t to, uint64_t record_from, bool known, struct zp_scan *s)
{
	bool has_call = false, below_sp = false, sp_slot = false, rz_addr = false;
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
		has_call |= in.is_call;
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
	 * leaf is unsafe if it may keep data there: an access reaching that
	 * slot, a pointer into the red zone, or red-zone use while %rsp moves
	 * (offsets then shift). rbp-relative data below what the function
	 * allocated is in the red zone too (gcc -O0 keeps leaf locals there). */
	bool rbp_rz = sets_fp && -fp_min > (int64_t)grown;
	bool rz_live = !has_call && (sp_slot || (below_sp && grown > 0) || rbp_rz);
	/* Per site, in a function whose bounds are known: the slot is live
	 * across the site if a path
	 * from it reads the slot before something overwrites it (a call at the
	 * same rsp, whose return address lands there, a store, a return).
	 * That is decided from the code after the site, loops back included,
	 * in leaf and non-leaf functions alike: hand-written code keeps data
	 * below rsp in functions that call others too. Where the function
	 * takes addresses below rsp (variadic functions' va_list), a path
	 * that reaches memory through another register cannot be followed.
	 * Where a path cannot be followed, the function-wide verdict above
	 * decides. */
	bool per_site = known && from >= sec->base && to <= sec->end;
	const uint8_t *fbytes = sec->bytes + (from - sec->base);
	for (size_t i = first; i < s->nsites; i++) {
		int v = per_site ? zp_redzone_from(d, fbytes, to - from, s->sites[i].addr + 2 - from, rz_addr)
				 : ZP_RZ_UNKNOWN;
		if (!known)
			s->sites[i].flags |= ZP_SITE_NOFUNC | ZP_SITE_REDZONE;
		else if (v == ZP_RZ_LIVE || (v == ZP_RZ_UNKNOWN && rz_live))
			s->sites[i].flags |= ZP_SITE_REDZONE;
	}
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
		r = decode_func(d, sec, f.start, f.end, done, known, s);
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

