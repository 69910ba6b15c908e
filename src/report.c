/* report.c -- rewrite statistics, formatted once for the runtime (live
 * counts) and the tool (counts from files on disk) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zp.h"

void zp_objstat_from_scan(struct zp_objstat *st, const struct zp_scan *s)
{
	st->bytes = s->bytes_scanned;
	st->decoded = s->bytes_decoded;
	for (size_t i = 0; i < s->nsites; i++) {
		if (s->sites[i].flags & ZP_SITE_INT80)
			continue;       /* not rewritten: the runtime refuses the object */
		if (s->sites[i].flags & ZP_SITE_SYSENTER)
			st->sysenter++;
		else
			st->syscall++;
		/* a slot-output site is a call, outside the call-site set */
		if ((s->sites[i].flags & ZP_SITE_REDZONE) && !(s->sites[i].flags & ZP_SITE_SLOTOUT))
			st->trapped++;
		else
			st->called++;
	}
}

/* json_char -- c as it stands in a JSON string (out: 7 bytes or more) */
static const char *json_char(unsigned char c, char *out)
{
	if (c == '"' || c == '\\')
		snprintf(out, 7, "\\%c", c);
	else if (c < 0x20)
		snprintf(out, 7, "\\u%04x", c);
	else
		snprintf(out, 7, "%c", c);
	return out;
}

/* zp_json_string -- s as a JSON string, quoted and escaped */
void zp_json_string(FILE *f, const char *s)
{
	char buf[8];

	fputc('"', f);
	for (; *s != '\0'; s++)
		fputs(json_char((unsigned char)*s, buf), f);
	fputc('"', f);
}

static void left_reasons(char *buf, size_t len, const struct zp_objstat *o)
{
	int n = 0;

	buf[0] = '\0';
	if (o->excluded)
		n += snprintf(buf + n, len - (size_t)n, "%s%u excluded", n ? ", " : "", o->excluded);
	if (o->noprot && n < (int)len)
		n += snprintf(buf + n, len - (size_t)n, "%s%u not writable", n ? ", " : "", o->noprot);
	if (o->changed && n < (int)len)
		snprintf(buf + n, len - (size_t)n, "%s%u changed", n ? ", " : "", o->changed);
}

/* The report is built in a buffer of its own, not an open_memstream:
 * libc's stream mallocs inside libc, and the runtime makes its report with
 * its own allocator (malloc and realloc here are the runtime's there). */
struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;

	for (int tries = 0; tries < 2 && !t->failed; tries++) {
		size_t room = t->cap - t->len;
		va_start(ap, fmt);
		int n = vsnprintf(t->p != NULL ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
		} else if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		} else {
			size_t cap = 2 * t->cap + (size_t)n + 256;
			char *q = realloc(t->p, cap);
			if (q == NULL)
				t->failed = true;
			t->p = q != NULL ? q : t->p;
			t->cap = cap;
		}
	}
}

static void put_json_string(struct text *t, const char *s)
{
	char buf[8];

	put(t, "\"");
	for (; *s != '\0'; s++)
		put(t, "%s", json_char((unsigned char)*s, buf));
	put(t, "\"");
}

char *zp_report(const struct zp_objstat *v, size_t n, bool json, const char *what,
		const char *mode, int64_t startup_ns)
{
	struct zp_objstat t = { .path = "total" };
	struct text out = { 0 };

	for (size_t i = 0; i < n; i++) {
		t.bytes += v[i].bytes;
		t.decoded += v[i].decoded;
		t.syscall += v[i].syscall;
		t.sysenter += v[i].sysenter;
		t.called += v[i].called;
		t.trapped += v[i].trapped;
		t.excluded += v[i].excluded;
		t.noprot += v[i].noprot;
		t.changed += v[i].changed;
		t.ns += v[i].ns;
	}
	if (json) {
		put(&out, "{\"source\": ");
		put_json_string(&out, what);
		put(&out, ", \"mode\": ");
		put_json_string(&out, mode);
		put(&out, ", \"objects\": [");
		for (size_t i = 0; i <= n; i++) {
			const struct zp_objstat *o = i < n ? &v[i] : &t;
			if (i == n)
				put(&out, "], \"total\": ");
			else if (i > 0)
				put(&out, ", ");
			put(&out, "{\"path\": ");
			put_json_string(&out, o->path);
			put(&out, ", \"bytes_scanned\": %llu, \"bytes_decoded\": %llu, \"syscall\": %u, "
				   "\"sysenter\": %u, \"call\": %u, \"trap\": %u, \"left\": {\"excluded\": %u, "
				   "\"not_writable\": %u, \"changed\": %u}, \"cached\": %s, \"ms\": %.3f}",
				(unsigned long long)o->bytes, (unsigned long long)o->decoded, o->syscall,
				o->sysenter, o->called, o->trapped, o->excluded, o->noprot, o->changed,
				o->cached ? "true" : "false", (double)o->ns / 1e6);
		}
		if (startup_ns >= 0)
			put(&out, ", \"startup_ms\": %.3f", (double)startup_ns / 1e6);
		put(&out, "}\n");
	} else {
		int w = 6;
		for (size_t i = 0; i < n; i++)
			if ((int)strlen(v[i].path) > w)
				w = (int)strlen(v[i].path);
		put(&out, "%-*s %10s %10s %7s %8s %6s %6s %9s  %s\n", w, "OBJECT", "SCANNED", "DECODED",
			"SYSCALL", "SYSENTER", "CALL", "TRAP", "TIME(ms)", "LEFT ALONE");
		/* a cached object's bytes were counted when it was scanned */
		for (size_t i = 0; i <= n; i++) {
			const struct zp_objstat *o = i < n ? &v[i] : &t;
			char left[96];
			left_reasons(left, sizeof(left), o);
			if (i == n)
				put(&out, "%.*s\n", w + 72, "----------------------------------------"
					"------------------------------------------------------------"
					"--------------------------------------------------------------------");
			put(&out, "%-*s %10llu %10llu %7u %8u %6u %6u %8.3f%c  %s\n", w, o->path,
				(unsigned long long)o->bytes, (unsigned long long)o->decoded, o->syscall,
				o->sysenter, o->called, o->trapped, (double)o->ns / 1e6,
				o->cached ? '*' : ' ', left);
		}
		put(&out, "%s counts, %s mode", what, mode);
		for (size_t i = 0; i < n; i++)
			if (v[i].cached) {
				put(&out, "; * from the cache");
				break;
			}
		if (startup_ns >= 0)
			put(&out, "; start-up added %.3f ms", (double)startup_ns / 1e6);
		put(&out, "\n");
	}
	if (out.failed) {
		free(out.p);
		return NULL;
	}
	return out.p;
}
