/* deny -- fails chosen system calls with a chosen error, for fault
 * injection and sandbox tests. The call is not made.
 *
 * Options (--hook-opt): rules separated by ';', each
 *   NAME[,NAME...]=ERRNO[:every=N][:p=P[:seed=S]]
 * NAME is a system call name; ERRNO a name (EACCES) or a number; every=N
 * fails only every Nth matching call (the Nth, 2Nth, ..., counted over all
 * the processes of the run); p=P fails each with probability P (0 < P <= 1,
 * e.g. 0.05), drawn from a generator seeded with S, so a run with the same
 * seed fails the same calls (each thread and each process starts from the
 * seed); without seed= the seed differs from run to run. Without every= or
 * p=, every call fails. Options that would deny nothing (no rule, a rule
 * with no name) are refused. Examples:
 *   connect,socket=EACCES
 *   openat=ENOENT:every=3;read=EIO:p=0.01:seed=42
 *
 * An enter hook whose interest set holds just the denied numbers, so the
 * calls it leaves alone never leave the runtime's stub; enter answers
 * ZPOLINE_DONE with -errno for a denied call, ZPOLINE_CALL otherwise. It
 * touches only general registers (no libc, no floating point): the runtime
 * need not save the vector state. It declares ZPOLINE_HOOK_ENFORCES: a
 * denied call must not slip past it from code the runtime did not rewrite. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zpoline/hook.h>

#define MAX_RULES 64
#define MAX_NR ZPOLINE_INTEREST_OTHER     /* numbers past it share one bit */

struct rule {
	long err;
	uint64_t every;         /* 0: not used */
	uint64_t ppm;           /* probability in parts per million; 0: not used */
	uint64_t seed;          /* the generator's start; 0: not given */
};

/* what the options say, parsed without side effects (the fuzzer's input) */
struct config {
	struct rule rules[MAX_RULES];
	uint8_t rule_of[MAX_NR];        /* 1 + index into rules, 0: none */
	uint64_t interest[ZPOLINE_INTEREST_WORDS];      /* the numbers rule_of names */
	int nrules;
	char error[256];                /* why the options were refused */
};

static struct config cfg;
/* matching calls so far, per rule, counted across every process of the run
 * (in the memory the runtime shares) so every=N means the whole run */
static uint64_t *seen;

/* The generators of p= rules, one state per rule and thread, in a pool a
 * thread takes a slot of at its first draw and gives back at its
 * SYS_exit. Not `__thread` data: that is dynamic TLS, which the loader
 * allocates in each new thread with the program's malloc (hooks/thread.h);
 * and not mapped per thread, as the tracer's is: a libc call would break
 * ZPOLINE_HOOK_GPR_ONLY. Threads past the pool's size share its last slot
 * (their draws are then not repeatable run to run). The pointer is in
 * static TLS (initial-exec): 8 bytes of the loader's surplus. */
#define RNG_SLOTS 256
struct rng_slot {
	int taken;
	uint64_t s[MAX_RULES];
};
static struct rng_slot rng_pool[RNG_SLOTS];
static __thread struct rng_slot *my_rng __attribute__((tls_model("initial-exec")));

/* rng_take -- a free slot for this thread, its states zero (unseeded) */
static struct rng_slot *rng_take(void)
{
	struct rng_slot *r = &rng_pool[RNG_SLOTS - 1];

	for (int i = 0; i < RNG_SLOTS - 1; i++) {
		int free_ = 0;
		if (__atomic_load_n(&rng_pool[i].taken, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&rng_pool[i].taken, &free_, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			r = &rng_pool[i];
			for (int j = 0; j < MAX_RULES; j++)
				r->s[j] = 0;
			break;
		}
	}
	/* a signal handler's call may have taken one meanwhile: keep it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (my_rng != NULL) {
		if (r != &rng_pool[RNG_SLOTS - 1])
			__atomic_store_n(&r->taken, 0, __ATOMIC_RELEASE);
		return my_rng;
	}
	my_rng = r;
	return r;
}

/* rng_give_back -- the thread ends (a vfork child's SYS_exit, sharing
 * its parent's TLS, gives back the parent's slot: the parent then starts
 * over from the seed in another) */
static void rng_give_back(void)
{
	struct rng_slot *r = my_rng;

	if (r == NULL)
		return;
	my_rng = NULL;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (r != &rng_pool[RNG_SLOTS - 1])
		__atomic_store_n(&r->taken, 0, __ATOMIC_RELEASE);
}

/* rand64 -- xorshift64*, one state per rule and thread: from the rule's
 * seed, else from an address (different each run under ASLR). Relaxed
 * atomics: the pool's last slot may be shared. */
static uint64_t rand64(int idx)
{
	struct rng_slot *r = my_rng ? my_rng : rng_take();
	uint64_t *p = &r->s[idx], s = __atomic_load_n(p, __ATOMIC_RELAXED);

	if (s == 0) {
		s = cfg.rules[idx].seed ? cfg.rules[idx].seed : (uint64_t)(uintptr_t)p;
		s ^= 0x9e3779b97f4a7c15u;
		if (s == 0)
			s = 1;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	__atomic_store_n(p, s, __ATOMIC_RELAXED);
	return s * 0x2545f4914f6cdd1du;
}

/* denied -- the error to fail this call with, or 0 to let it through */
static long denied(long nr)
{
	if (nr < 0 || nr >= MAX_NR || cfg.rule_of[nr] == 0)
		return 0;
	int idx = cfg.rule_of[nr] - 1;
	struct rule *r = &cfg.rules[idx];
	uint64_t n = __atomic_add_fetch(&seen[idx], 1, __ATOMIC_RELAXED);
	if (r->every != 0 && n % r->every != 0)
		return 0;
	if (r->ppm != 0 && rand64(idx) % 1000000u >= r->ppm)
		return 0;
	return r->err;
}

static int deny_enter(struct zpoline_call *call, uint64_t *slot)
{
	long err = denied(call->nr);

	(void)slot;
	if (err == 0) {
		if (call->nr == SYS_exit)
			rng_give_back();
		return ZPOLINE_CALL;
	}
	call->ret = -err;
	return ZPOLINE_DONE;
}

/* fail -- keep the reason, one line, for init to report */
static int fail(struct config *c, const char *what, const char *arg, size_t len)
{
	snprintf(c->error, sizeof(c->error), "%s '%.*s'", what, (int)(len < 64 ? len : 64), arg);
	for (char *p = c->error; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return -EINVAL;
}

/* parse_uint -- digits only, at most 12; -1 for anything else */
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

	for (; i < len && i < 8 && s[i] >= '0' && s[i] <= '9'; i++)
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
	if (len == 0 || len >= sizeof(name))
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

static long find_syscall(const char *s, size_t len, const char *(*name_of)(long))
{
	char name[64];

	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (long nr = 0; nr < MAX_NR; nr++) {
		const char *n = name_of(nr);
		if (n != NULL && strcmp(n, name) == 0)
			return nr;
	}
	return -1;
}

/* parse_rule -- NAME[,NAME...]=ERRNO[:modifier...] into c->rules[idx] */
static int parse_rule(struct config *c, const char *s, size_t len, int idx,
		      const char *(*name_of)(long))
{
	const char *eq = memchr(s, '=', len);
	struct rule *r = &c->rules[idx];
	bool seeded = false;

	if (eq == NULL)
		return fail(c, "no '=ERRNO' in rule", s, len);
	if (eq == s)
		return fail(c, "no system call named in rule", s, len);
	const char *p = eq + 1, *end = s + len;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t elen = colon ? (size_t)(colon - p) : (size_t)(end - p);
	r->err = parse_errno(p, elen);
	if (r->err < 0)
		return fail(c, "unknown error in rule", s, len);
	while (colon != NULL) {
		p = colon + 1;
		colon = memchr(p, ':', (size_t)(end - p));
		size_t mlen = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (mlen > 6 && strncmp(p, "every=", 6) == 0) {
			long long v = parse_uint(p + 6, mlen - 6);
			if (v <= 0)
				return fail(c, "bad every=N in rule", s, len);
			r->every = (uint64_t)v;
		} else if (mlen > 2 && strncmp(p, "p=", 2) == 0) {
			long long v = parse_ppm(p + 2, mlen - 2);
			if (v <= 0)
				return fail(c, "bad p=P (0 < P <= 1) in rule", s, len);
			r->ppm = (uint64_t)v;
		} else if (mlen > 5 && strncmp(p, "seed=", 5) == 0) {
			long long v = parse_uint(p + 5, mlen - 5);
			if (v < 0)
				return fail(c, "bad seed=S (digits) in rule", s, len);
			r->seed = (uint64_t)v + 1;      /* 0 means none */
			seeded = true;
		} else {
			return fail(c, "unknown modifier in rule", s, len);
		}
	}
	if (seeded && r->ppm == 0)
		return fail(c, "seed= without p= in rule", s, len);
	for (p = s; p < eq;) {
		const char *comma = memchr(p, ',', (size_t)(eq - p));
		size_t nlen = comma ? (size_t)(comma - p) : (size_t)(eq - p);
		long nr = find_syscall(p, nlen, name_of);
		if (nr < 0)
			return fail(c, "unknown system call", p, nlen);
		c->rule_of[nr] = (uint8_t)(idx + 1);
		ZPOLINE_WANT(c->interest, nr);
		p = comma ? comma + 1 : eq;
	}
	return 0;
}

/* parse_options -- the whole --hook-opt string into c (zeroed by the
 * caller); refuses what would deny nothing */
static int parse_options(struct config *c, const char *o, const char *(*name_of)(long))
{
	while (*o != '\0') {
		size_t len = strcspn(o, ";");
		if (len > 0) {
			if (c->nrules == MAX_RULES)
				return fail(c, "more than 64 rules, from", o, len);
			int r = parse_rule(c, o, len, c->nrules++, name_of);
			if (r < 0)
				return r;
		}
		o += len + (o[len] == ';');
	}
	if (c->nrules == 0)
		return fail(c, "no rules given in", "", 0);
	return 0;
}

static int deny_init(const struct zpoline_init *in)
{
	static uint64_t private_seen[MAX_RULES];

	seen = in->shared != NULL && in->shared_size >= sizeof(private_seen) ? in->shared : private_seen;
	if (parse_options(&cfg, in->options, in->syscall_name) < 0) {
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "zpoline: deny: %s; options are "
				 "NAME[,NAME...]=ERRNO[:every=N][:p=P[:seed=S]][;...]\n", cfg.error);
		in->trace_write(msg, (unsigned long)(n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1));
		return -EINVAL;
	}
	/* a thread's generators go back to the pool when it ends */
	for (int i = 0; i < cfg.nrules; i++)
		if (cfg.rules[i].ppm != 0)
			ZPOLINE_WANT(cfg.interest, SYS_exit);
	return 0;
}

ZPOLINE_HOOK_DEFINE(.flags = ZPOLINE_HOOK_GPR_ONLY | ZPOLINE_HOOK_ENFORCES, .name = "deny", .init = deny_init,
		    .enter = deny_enter, .interest = cfg.interest);
