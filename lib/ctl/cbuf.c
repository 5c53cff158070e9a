/* SPDX-License-Identifier: BSD-3-Clause */
#include "cbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cbuf_init(struct cbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
cbuf_free(struct cbuf *b)
{
	free(b->data);
	cbuf_init(b);
}

void
cbuf_reset(struct cbuf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static bool
reserve(struct cbuf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (d == NULL) {
		b->oom = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void
cbuf_put(struct cbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cbuf_printf(struct cbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
