/* json.c -- a call's arguments as JSON values, from the text the decoders
 * print: one set of decoders, two renderings, the same data.
 *
 * The decoders print strace's C-like syntax, which is regular enough to
 * read back exactly:
 *
 *   3, -1, 0x7f00             numbers            3, -1, 32512
 *   NULL                      a null pointer     null
 *   "ab\n"..., "\377"         strings (bytes)    "ab\n", "\u00ff"
 *   {st_mode=S_IFREG|0644, st_size=5, ...}       {"st_mode": "S_IFREG|0644", "st_size": 5}
 *   [3, 4], [INT TERM]        arrays             [3, 4], ["INT", "TERM"]
 *   O_RDONLY|O_CLOEXEC, AT_FDCWD, 0644, ~[], makedev(0x8, 0x1), 3</etc/x>
 *                             anything else      that text, as a string
 *   htons(80), inet_addr("127.0.0.1")            80, "127.0.0.1"
 *
 * Strings are bytes: each byte is the code point of the same value
 * (U+0000..U+00FF), so .encode('latin-1') gives the bytes back. strace's
 * marks of what it left out ("..." after a string cut at -s, a "..."
 * member or element) are dropped. Octal numbers (modes) stay strings.
 * See zpoline(1), --json. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct rd {
	const char *p, *end;
};

static void skip_spaces(struct rd *r)
{
	while (r->p < r->end && *r->p == ' ')
		r->p++;
}

static bool at(const struct rd *r, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* token_end -- the end of a scalar: the next ',' or closing bracket at
 * depth 0 (a space too, inside [ ] without commas), past quoted strings
 * and nested brackets */
static const char *token_end(const char *p, const char *end, bool space_ends)
{
	const char *start = p;
	int depth = 0;

	for (; p < end; p++) {
		char c = *p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			continue;
		}
		if (c == '<' && p > start && isdigit((unsigned char)p[-1])) {
			/* -y: a descriptor's path, 3</a,b>, taken whole */
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (gt != NULL) {
				p = gt;
				continue;
			}
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth > 0)
			depth--;
		else if (depth == 0 && (c == ',' || c == ')' || c == ']' || c == '}' || (space_ends && c == ' ')))
			return p;
	}
	return end;
}

/* put_cstring -- a C string literal of the decoders' (starting at ") as a
 * JSON string; r moves past it and a "..." that follows */
static void put_cstring(struct tr_buf *b, struct rd *r)
{
	unsigned char bytes[8192];
	size_t n = 0;

	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (c == '\\' && r->p < r->end) {
			c = (unsigned char)*r->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'v': c = '\v'; break;
			case 'f': c = '\f'; break;
			case 'x': {
				unsigned v = 0;
				for (int k = 0; k < 2 && r->p < r->end && isxdigit((unsigned char)*r->p); k++)
					v = v * 16 + (unsigned)(isdigit((unsigned char)*r->p) ? *r->p - '0' :
								    (tolower((unsigned char)*r->p) - 'a' + 10)), r->p++;
				c = (unsigned char)v;
				break;
			}
			default:
				if (c >= '0' && c <= '7') {
					unsigned v = c - '0';
					for (int k = 0; k < 2 && r->p < r->end && *r->p >= '0' && *r->p <= '7'; k++)
						v = v * 8 + (unsigned)(*r->p++ - '0');
					c = (unsigned char)v;
				}
				/* \" \\ and anything else: the character itself */
			}
		}
		if (n < sizeof(bytes))
			bytes[n++] = c;
	}
	if (r->p < r->end)
		r->p++;
	if (at(r, "..."))
		r->p += 3;
	tr_print_quoted(b, bytes, n, false, true);
}

/* put_scalar -- text that is no string, struct or array */
static void put_scalar(struct tr_buf *b, const char *s, size_t n)
{
	char tmp[64];
	char *e;

	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 4 && memcmp(s, "NULL", 4) == 0) {
		tr_puts(b, "null");
		return;
	}
	if (n > 0 && n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		bool octal = tmp[0] == '0' && n > 1 && tmp[1] != 'x';
		if (!octal) {
			errno = 0;
			long long v = strtoll(tmp, &e, 0);
			if (*e == '\0' && errno == 0 && (isdigit((unsigned char)tmp[0]) || tmp[0] == '-')) {
				tr_put(b, "%lld", v);
				return;
			}
			errno = 0;
			unsigned long long u = strtoull(tmp, &e, 0);
			if (*e == '\0' && errno == 0 && isdigit((unsigned char)tmp[0])) {
				tr_put(b, "%llu", u);
				return;
			}
		}
	}
	/* the network byte order wrappers: their value */
	static const char *const unwrap[] = { "htons(", "htonl(", "inet_addr(" };
	for (size_t i = 0; i < sizeof(unwrap) / sizeof(unwrap[0]); i++) {
		size_t k = strlen(unwrap[i]);
		if (n > k + 1 && memcmp(s, unwrap[i], k) == 0 && s[n - 1] == ')' &&
		    token_end(s + k, s + n - 1, false) == s + n - 1) {
			struct rd in = { s + k, s + n - 1 };
			if (*in.p == '"')
				put_cstring(b, &in);
			else
				put_scalar(b, in.p, (size_t)(in.end - in.p));
			return;
		}
	}
	tr_print_quoted(b, (const unsigned char *)s, n, false, true);
}

static void put_value(struct tr_buf *b, struct rd *r, bool space_ends);
static const char *arrow(const char *p, const char *end);

/* is_key -- "name=" (not "==") at p: the length of the name, or 0 */
static size_t key_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '[' || *q == ']'))
		q++;
	if (q == p || q >= end || *q != '=' || (q + 1 < end && q[1] == '='))
		return 0;
	return (size_t)(q - p);
}

/* put_container -- { } or [ ]: an object when every member is named, an
 * array otherwise */
static void put_container(struct tr_buf *b, struct rd *r)
{
	char close = *r->p == '{' ? '}' : ']';
	struct rd scan = { r->p + 1, r->end };
	bool named = close == '}', any = false, commas = false;

	/* first pass: are all members name=value, are they comma-separated */
	const char *q = scan.p;
	while (q < r->end && *q != close) {
		while (q < r->end && *q == ' ')
			q++;
		if (q < r->end && *q == close)
			break;
		any = true;
		if (!(q + 3 <= r->end && memcmp(q, "...", 3) == 0 && (q + 3 == r->end || q[3] == close || q[3] == ',')) &&
		    key_len(q, r->end) == 0)
			named = false;
		q = token_end(q, r->end, false);
		if (q < r->end && *q == ',') {
			commas = true;
			q++;
		}
	}
	bool space_ends = close == ']' && !commas && arrow(r->p + 1, q) == NULL;
	if (!any)
		named = close == '}';
	tr_putc(b, named ? '{' : '[');
	r->p++;
	bool first = true;
	for (;;) {
		skip_spaces(r);
		if (r->p >= r->end)
			break;
		if (*r->p == close) {
			r->p++;
			break;
		}
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (at(r, "...")) {
			r->p += 3;
			continue;
		}
		if (!first)
			tr_puts(b, ", ");
		first = false;
		if (named) {
			size_t k = key_len(r->p, r->end);
			tr_print_quoted(b, (const unsigned char *)r->p, k, false, true);
			tr_puts(b, ": ");
			r->p += k + 1;
		}
		put_value(b, r, space_ends);
	}
	tr_putc(b, named ? '}' : ']');
}

/* arrow -- strace's "IN => OUT" of a value the call both reads and
 * writes, at depth 0 in [p, end): where " => " starts, or NULL */
static const char *arrow(const char *p, const char *end)
{
	int depth = 0;

	for (; p + 4 <= end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
		} else if (*p == '{' || *p == '[' || *p == '(') {
			depth++;
		} else if (*p == '}' || *p == ']' || *p == ')') {
			depth--;
		} else if (depth == 0 && memcmp(p, " => ", 4) == 0) {
			return p;
		}
	}
	return NULL;
}

static void put_value(struct tr_buf *b, struct rd *r, bool space_ends)
{
	skip_spaces(r);
	const char *end = token_end(r->p, r->end, space_ends);
	const char *mid = arrow(r->p, end);
	if (mid != NULL) {
		/* IN => OUT: {"in": IN, "out": OUT} */
		struct rd in = { r->p, mid }, out = { mid + 4, end };
		tr_puts(b, "{\"in\": ");
		put_value(b, &in, false);
		tr_puts(b, ", \"out\": ");
		put_value(b, &out, false);
		tr_putc(b, '}');
		r->p = end;
		return;
	}
	if (r->p < r->end && *r->p == '"' && token_end(r->p, r->end, space_ends) == end) {
		/* a string alone (maybe cut: "..."), else it is part of a longer token */
		const char *q = r->p + 1;
		while (q < r->end && *q != '"')
			q += *q == '\\' ? 2 : 1;
		q++;
		if (q + 3 <= r->end && memcmp(q, "...", 3) == 0)
			q += 3;
		if (q >= end) {
			put_cstring(b, r);
			return;
		}
	}
	if (r->p < r->end && (*r->p == '{' || *r->p == '[')) {
		/* a container alone, not a token such as ~[RTMIN] or [3]<pipe>:
		 * its closing bracket ends the token */
		const char *q = r->p;
		int depth = 0;
		for (; q < end; q++) {
			if (*q == '"') {
				for (q++; q < end && *q != '"'; q++)
					if (*q == '\\')
						q++;
			} else if (*q == '{' || *q == '[' || *q == '(') {
				depth++;
			} else if ((*q == '}' || *q == ']' || *q == ')') && --depth == 0) {
				break;
			}
		}
		while (q + 1 < end && q[1] == ' ')
			q++;
		if (q < end && q + 1 == end) {
			put_container(b, r);
			return;
		}
	}
	if (end == r->p && r->p < r->end)
		end++;  /* a stray closing bracket: text, and no loop on it */
	put_scalar(b, r->p, (size_t)(end - r->p));
	r->p = end;
}

/* tr_json_args -- the arguments in text, "(a, b, c)..." as the decoders
 * print them (with or without the name before the parenthesis), as a JSON
 * array */
void tr_json_args(struct tr_buf *b, const char *text, size_t len)
{
	struct rd r = { text, text + len };
	const char *open = memchr(text, '(', len);

	tr_putc(b, '[');
	if (open == NULL) {
		tr_putc(b, ']');
		return;
	}
	r.p = open + 1;
	bool first = true;
	for (;;) {
		skip_spaces(&r);
		if (r.p >= r.end || *r.p == ')')
			break;
		if (*r.p == ',') {
			r.p++;
			continue;
		}
		if (!first)
			tr_puts(b, ", ");
		first = false;
		put_value(b, &r, false);
	}
	tr_putc(b, ']');
}
