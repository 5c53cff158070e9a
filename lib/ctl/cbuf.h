/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_CBUF_H
#define CAV_CBUF_H

/* A growable text buffer for control replies. An allocation failure is
 * sticky (`oom`), so callers check once at the end. */

#include <stdbool.h>
#include <stddef.h>

struct cbuf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void cbuf_init(struct cbuf *b);
void cbuf_free(struct cbuf *b);
void cbuf_reset(struct cbuf *b);
void cbuf_put(struct cbuf *b, const char *s, size_t n);
void cbuf_printf(struct cbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
