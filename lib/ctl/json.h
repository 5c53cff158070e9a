/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_JSON_H
#define CAV_JSON_H

/* A streaming JSON writer into a cbuf. `key` is NULL for array elements and
 * the top-level value. Nesting deeper than JW_MAX_DEPTH is a caller bug. */

#include <stdbool.h>
#include <stdint.h>

#include "cbuf.h"

#define JW_MAX_DEPTH 16

struct jw {
	struct cbuf *b;
	int depth;
	bool first[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, struct cbuf *b);
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_double(struct jw *w, const char *key, double v);

/* Append `s` as a JSON string literal (quoted, escaped). */
void jw_escape(struct cbuf *b, const char *s);

#endif
