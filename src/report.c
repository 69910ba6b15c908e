/* report.c -- rewrite statistics, formatted once for the runtime (live
 * counts) and the tool (counts from files on disk) */
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

/* zp_json_string -- s as a JSON string, quoted and escaped */
void zp_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
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

char *zp_report(const struct zp_objstat *v, size_t n, bool json, const char *what,
		const char *mode, int64_t startup_ns)
{
	struct zp_objstat t = { .path = "total" };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
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
		fprintf(f, "{\"source\": ");
		zp_json_string(f, what);
		fprintf(f, ", \"mode\": ");
		zp_json_string(f, mode);
		fprintf(f, ", \"objects\": [");
		for (size_t i = 0; i <= n; i++) {
			const struct zp_objstat *o = i < n ? &v[i] : &t;
			if (i == n)
				fprintf(f, "], \"total\": ");
			else if (i > 0)
				fprintf(f, ", ");
			fprintf(f, "{\"path\": ");
			zp_json_string(f, o->path);
			fprintf(f, ", \"bytes_scanned\": %llu, \"bytes_decoded\": %llu, \"syscall\": %u, "
				   "\"sysenter\": %u, \"call\": %u, \"trap\": %u, \"left\": {\"excluded\": %u, "
				   "\"not_writable\": %u, \"changed\": %u}, \"cached\": %s, \"ms\": %.3f}",
				(unsigned long long)o->bytes, (unsigned long long)o->decoded, o->syscall,
				o->sysenter, o->called, o->trapped, o->excluded, o->noprot, o->changed,
				o->cached ? "true" : "false", (double)o->ns / 1e6);
		}
		if (startup_ns >= 0)
			fprintf(f, ", \"startup_ms\": %.3f", (double)startup_ns / 1e6);
		fprintf(f, "}\n");
	} else {
		int w = 6;
		for (size_t i = 0; i < n; i++)
			if ((int)strlen(v[i].path) > w)
				w = (int)strlen(v[i].path);
		fprintf(f, "%-*s %10s %10s %7s %8s %6s %6s %9s  %s\n", w, "OBJECT", "SCANNED", "DECODED",
			"SYSCALL", "SYSENTER", "CALL", "TRAP", "TIME(ms)", "LEFT ALONE");
		/* a cached object's bytes were counted when it was scanned */
		for (size_t i = 0; i <= n; i++) {
			const struct zp_objstat *o = i < n ? &v[i] : &t;
			char left[96];
			left_reasons(left, sizeof(left), o);
			if (i == n)
				fprintf(f, "%.*s\n", w + 72, "----------------------------------------"
					"------------------------------------------------------------"
					"--------------------------------------------------------------------");
			fprintf(f, "%-*s %10llu %10llu %7u %8u %6u %6u %8.3f%c  %s\n", w, o->path,
				(unsigned long long)o->bytes, (unsigned long long)o->decoded, o->syscall,
				o->sysenter, o->called, o->trapped, (double)o->ns / 1e6,
				o->cached ? '*' : ' ', left);
		}
		fprintf(f, "%s counts, %s mode", what, mode);
		for (size_t i = 0; i < n; i++)
			if (v[i].cached) {
				fprintf(f, "; * from the cache");
				break;
			}
		if (startup_ns >= 0)
			fprintf(f, "; start-up added %.3f ms", (double)startup_ns / 1e6);
		fprintf(f, "\n");
	}
	fclose(f);
	return out;
}
