/* SPDX-License-Identifier: BSD-3-Clause */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void
jw_init(struct jw *w, struct cbuf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

void
jw_escape(struct cbuf *b, const char *s)
{
	cbuf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			cbuf_put(b, "\\\"", 2);
			break;
		case '\\':
			cbuf_put(b, "\\\\", 2);
			break;
		case '\n':
			cbuf_put(b, "\\n", 2);
			break;
		case '\t':
			cbuf_put(b, "\\t", 2);
			break;
		default:
			if (*p < 0x20)
				cbuf_printf(b, "\\u%04x", *p);
			else
				cbuf_put(b, (const char *)p, 1);
		}
	}
	cbuf_put(b, "\"", 1);
}

static void
prefix(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		cbuf_put(w->b, ",", 1);
	w->first[w->depth] = false;
	if (key != NULL) {
		jw_escape(w->b, key);
		cbuf_put(w->b, ":", 1);
	}
}

static void
open_(struct jw *w, const char *key, const char *brace)
{
	prefix(w, key);
	cbuf_put(w->b, brace, 1);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void
close_(struct jw *w, const char *brace)
{
	if (w->depth > 0)
		w->depth--;
	cbuf_put(w->b, brace, 1);
}

void
jw_obj_begin(struct jw *w, const char *key)
{
	open_(w, key, "{");
}

void
jw_obj_end(struct jw *w)
{
	close_(w, "}");
}

void
jw_arr_begin(struct jw *w, const char *key)
{
	open_(w, key, "[");
}

void
jw_arr_end(struct jw *w)
{
	close_(w, "]");
}

void
jw_str(struct jw *w, const char *key, const char *val)
{
	prefix(w, key);
	jw_escape(w->b, val);
}

void
jw_u64(struct jw *w, const char *key, uint64_t v)
{
	prefix(w, key);
	cbuf_printf(w->b, "%" PRIu64, v);
}

void
jw_i64(struct jw *w, const char *key, int64_t v)
{
	prefix(w, key);
	cbuf_printf(w->b, "%" PRId64, v);
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	prefix(w, key);
	cbuf_printf(w->b, "%s", v ? "true" : "false");
}

void
jw_double(struct jw *w, const char *key, double v)
{
	prefix(w, key);
	if (isfinite(v))
		cbuf_printf(w->b, "%.6g", v);
	else
		cbuf_printf(w->b, "null");
}
