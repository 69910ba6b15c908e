/* deny -- fails chosen system calls with a chosen error, for fault
 * injection and sandbox tests. The call is not made.
 *
 * Options (--hook-opt): rules separated by ';', each
 *   NAME[,NAME...]=ERRNO[:every=N][:p=P]
 * NAME is a system call name; ERRNO a name (EACCES) or a number; every=N
 * fails only every Nth matching call (the Nth, 2Nth, ..., counted over all
 * the processes of the run); p=P fails each
 * with probability P (0 < P <= 1, e.g. 0.05). Without either, every call
 * fails. Examples:
 *   connect,socket=EACCES
 *   openat=ENOENT:every=3;read=EIO:p=0.01
 *
 * The calling path touches only general registers (no libc, no floating
 * point): the runtime need not save the vector state. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zpoline/hook.h>

#define MAX_RULES 64
#define MAX_NR 1024

struct rule {
	long err;
	uint64_t every;         /* 0: not used */
	uint64_t ppm;           /* probability in parts per million; 0: not used */
};

static zpoline_syscall_fn *next;
static struct rule rules[MAX_RULES];
static uint8_t rule_of[MAX_NR];         /* 1 + index into rules, 0: none */
/* matching calls so far, per rule, counted across every process of the run
 * (in the memory the runtime shares) so every=N means the whole run */
static uint64_t *seen;
static __thread uint64_t rng;

/* rand64 -- xorshift64*, seeded per thread */
static uint64_t rand64(void)
{
	if (rng == 0)
		rng = (uint64_t)(uintptr_t)&rng ^ 0x9e3779b97f4a7c15u;
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1du;
}

static long deny_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	if (nr >= 0 && nr < MAX_NR && rule_of[nr] != 0) {
		struct rule *r = &rules[rule_of[nr] - 1];
		uint64_t n = __atomic_add_fetch(&seen[rule_of[nr] - 1], 1, __ATOMIC_RELAXED);
		int fail = 1;
		if (r->every != 0 && n % r->every != 0)
			fail = 0;
		if (r->ppm != 0 && rand64() % 1000000u >= r->ppm)
			fail = 0;
		if (fail)
			return -r->err;
	}
	return next(nr, a1, a2, a3, a4, a5, a6);
}

static const struct zpoline_init *rt;

static int fail(const char *what, const char *arg)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "zpoline: deny: %s '%s'; options are "
			 "NAME[,NAME...]=ERRNO[:every=N][:p=P][;...]\n", what, arg);
	rt->trace_write(msg, (unsigned long)n);
	return -EINVAL;
}

/* parse_uint -- digits only; -1 for anything else */
static long long parse_uint(const char *s, size_t len)
{
	long long v = 0;

	if (len == 0 || len > 12)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* parse_ppm -- "0.05", "1", ".5" as parts per million, without floats */
static long long parse_ppm(const char *s, size_t len)
{
	long long whole = 0, frac = 0, scale = 1000000;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		whole = whole * 10 + (s[i] - '0');
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (scale > 1) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
		}
	}
	if (i != len || len == 0)
		return -1;
	long long ppm = whole * 1000000 + frac;
	return ppm > 0 && ppm <= 1000000 ? ppm : -1;
}

static long parse_errno(const char *s, size_t len)
{
	char name[32];
	long long v = parse_uint(s, len);

	if (v > 0 && v < 4096)
		return (long)v;
	if (len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n != NULL && strcmp(n, name) == 0)
			return e;
	}
	return -1;
}

static long find_syscall(const char *s, size_t len)
{
	char name[64];

	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (long nr = 0; nr < MAX_NR; nr++) {
		const char *n = rt->syscall_name(nr);
		if (n != NULL && strcmp(n, name) == 0)
			return nr;
	}
	return -1;
}

static int parse_rule(const char *s, size_t len, int idx)
{
	char copy[512];
	const char *eq = memchr(s, '=', len);
	struct rule *r = &rules[idx];

	snprintf(copy, sizeof(copy), "%.*s", (int)len, s);
	if (eq == NULL)
		return fail("no '=ERRNO' in rule", copy);
	/* ERRNO[:modifier...] */
	const char *p = eq + 1, *end = s + len;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t elen = colon ? (size_t)(colon - p) : (size_t)(end - p);
	r->err = parse_errno(p, elen);
	if (r->err < 0)
		return fail("unknown error", copy);
	while (colon != NULL) {
		p = colon + 1;
		colon = memchr(p, ':', (size_t)(end - p));
		size_t mlen = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (mlen > 6 && strncmp(p, "every=", 6) == 0) {
			long long v = parse_uint(p + 6, mlen - 6);
			if (v <= 0)
				return fail("bad every=N in rule", copy);
			r->every = (uint64_t)v;
		} else if (mlen > 2 && strncmp(p, "p=", 2) == 0) {
			long long v = parse_ppm(p + 2, mlen - 2);
			if (v <= 0)
				return fail("bad p=P (0 < P <= 1) in rule", copy);
			r->ppm = (uint64_t)v;
		} else {
			return fail("unknown modifier in rule", copy);
		}
	}
	/* NAME[,NAME...] */
	for (p = s; p < eq;) {
		const char *comma = memchr(p, ',', (size_t)(eq - p));
		size_t nlen = comma ? (size_t)(comma - p) : (size_t)(eq - p);
		long nr = find_syscall(p, nlen);
		if (nr < 0) {
			char n[64];
			snprintf(n, sizeof(n), "%.*s", (int)nlen, p);
			return fail("unknown system call", n);
		}
		rule_of[nr] = (uint8_t)(idx + 1);
		p = comma ? comma + 1 : eq;
	}
	return 0;
}

static int deny_init(const struct zpoline_init *in)
{
	const char *o = in->options;
	int n = 0;

	static uint64_t private_seen[MAX_RULES];

	rt = in;
	next = in->next;
	seen = in->shared != NULL && in->shared_size >= sizeof(private_seen) ? in->shared : private_seen;
	if (o[0] == '\0')
		return fail("no rules given", o);
	while (*o != '\0') {
		size_t len = strcspn(o, ";");
		if (len > 0) {
			if (n == MAX_RULES)
				return fail("too many rules", o);
			int r = parse_rule(o, len, n++);
			if (r < 0)
				return r;
		}
		o += len + (o[len] == ';');
	}
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY, .name = "deny", .init = deny_init,
		    .syscall = deny_syscall);
