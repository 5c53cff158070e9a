/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NF_RULES_PRIV_H
#define CAV_NF_RULES_PRIV_H

/* What the rule language's two files share (rules_parse.c: the file
 * format, the commands; rules_spec.c: one rule's options, the checks). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

extern const char *const nf_target_names[NF_T_NB];

/* snprintf into err, return -1. */
int nf_failf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define FAIL(...) return nf_failf(err, errlen, __VA_ARGS__)

/* Split a line into words in place; double quotes group (\" and \\
 * inside). Returns the count, or -1 with a reason. */
int nf_tokenize(char *s, char **argv, int max, char *err, size_t errlen);

bool nf_valid_chain_name(const char *s);

/* A rule's options (what follows "-A CHAIN") of table `table` into *out;
 * -1 with a reason. */
int nf_parse_spec(const struct nf_rules *r, int table, int argc, char **argv,
		  struct nf_rule *out, char *err, size_t errlen);

/* May `rule` be in a chain of `table` reached from `hook`? */
int nf_check_place(const struct nf_rules *r, int table, int hook, const struct nf_rule *rule,
		   char *err, size_t errlen);

/* Every chain reached from a hook: rules in their place, no loop, not too
 * deep. -1 with a reason and *bad the id of the rule at fault. */
int nf_validate(const struct nf_rules *r, uint32_t *bad, char *err, size_t errlen);

#endif
