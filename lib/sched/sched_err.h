/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_SCHED_ERR_H
#define CAV_SCHED_ERR_H

/* Helpers the lib/sched parsers share (pure C). */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Format a message into err (when given) and return -EINVAL. */
__attribute__((format(printf, 3, 4))) static inline int
sched_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ASCII lower case, independent of the locale. */
static inline char
sched_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

#endif
