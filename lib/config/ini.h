/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_INI_H
#define CAV_INI_H

/*
 * A minimal INI reader that remembers where every line came from.
 *
 * rte_cfgfile was the first choice (DPDK habit), but it reports a parse error
 * only as a NULL handle and keeps no line numbers, while cavalryd must say
 * `FILE:LINE: reason` for every bad key. So this reader keeps, per section and
 * per entry, the line it was read from; the schema lives in config.c.
 *
 * Grammar: `[name]` or `[name arg]` opens a section; `key = value` adds an
 * entry; `#` or `;` at the start of a line (after blanks) or after a blank
 * inside a value starts a comment; blank lines are ignored. Keys may repeat
 * (the schema decides whether that is allowed).
 */

#include <stddef.h>

struct ini_entry {
	char *key;
	char *value;
	unsigned int line;
};

struct ini_section {
	char *name;
	char *arg; /* NULL for `[name]` */
	unsigned int line;
	struct ini_entry *entries;
	unsigned int n_entries;
};

struct ini_file {
	char *path;
	struct ini_section *sections;
	unsigned int n_sections;
};

/*
 * Parse the file at `path`. On success returns 0 and *out owns the result
 * (release with ini_free). On failure returns -1, *out is NULL, and `err`
 * holds "PATH:LINE: reason" (or "PATH: reason" when the file cannot be read).
 */
int ini_load(const char *path, struct ini_file **out, char *err, size_t errlen);

/* Same as ini_load for an in-memory text; `name` stands in for the path. */
int ini_parse(const char *name, const char *text, struct ini_file **out, char *err, size_t errlen);

void ini_free(struct ini_file *f);

#endif
