/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule language's parser: iptables-restore's file format, iptables'
 * rule options (docs/rules.md). Every error names its line.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ct.h"
#include "parse.h"
#include "rules_priv.h"

#define MAX_TOKENS 96
#define MAX_FILE (16u << 20)

const char *const nf_table_names[NF_TABLE_NB] = {"filter", "nat"};
const char *const nf_hook_names[NF_HOOK_NB] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT",
					       "POSTROUTING"};
const char *const nf_target_names[NF_T_NB] = {
	[NF_T_NONE] = "",	   [NF_T_ACCEPT] = "ACCEPT", [NF_T_DROP] = "DROP",
	[NF_T_REJECT] = "REJECT",  [NF_T_RETURN] = "RETURN", [NF_T_JUMP] = "",
	[NF_T_LOG] = "LOG",	   [NF_T_SNAT] = "SNAT",     [NF_T_DNAT] = "DNAT",
	[NF_T_MASQUERADE] = "MASQUERADE", [NF_T_TCPMSS] = "TCPMSS",
};

const char *
nf_target_name(uint8_t t)
{
	return t < NF_T_NB ? nf_target_names[t] : "?";
}

/* The built-in chains of each table, by hook (nat INPUT and OUTPUT exist
 * so that iptables-save output loads, but take no rules). */
static const bool builtin[NF_TABLE_NB][NF_HOOK_NB] = {
	[NF_TABLE_FILTER] = {true, true, true, true, true},
	[NF_TABLE_NAT] = {[NF_HOOK_PREROUTING] = true, [NF_HOOK_INPUT] = true,
			  [NF_HOOK_OUTPUT] = true, [NF_HOOK_POSTROUTING] = true},
};

/* ---- errors ---- */

int
nf_failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the rule set ---- */

struct nf_rules *
nf_rules_new(const char *const *ports, unsigned int n_ports)
{
	struct nf_rules *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->next_id = 1;
	r->n_ports = n_ports > NF_MAX_PORTS ? NF_MAX_PORTS : n_ports;
	for (unsigned int i = 0; i < r->n_ports; i++)
		snprintf(r->ports[i], sizeof(r->ports[i]), "%s", ports[i]);
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (int h = 0; h < NF_HOOK_NB; h++) {
			if (!builtin[t][h])
				continue;
			struct nf_chain *c = &r->t[t].c[r->t[t].n_chains++];
			snprintf(c->name, sizeof(c->name), "%s", nf_hook_names[h]);
			c->hook = (int8_t)h;
			c->policy = NF_T_ACCEPT;
		}
	return r;
}

void
nf_rules_free(struct nf_rules *r)
{
	if (r == NULL)
		return;
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < r->t[t].n_chains; c++)
			free(r->t[t].c[c].r);
	free(r);
}

struct nf_rules *
nf_rules_dup(const struct nf_rules *r)
{
	struct nf_rules *d = malloc(sizeof(*d));
	if (d == NULL)
		return NULL;
	*d = *r;
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < d->t[t].n_chains; c++) {
			struct nf_chain *ch = &d->t[t].c[c];
			ch->r = NULL;
			ch->cap = ch->n;
			if (ch->n == 0)
				continue;
			ch->r = malloc(ch->n * sizeof(*ch->r));
			if (ch->r == NULL) {
				for (uint32_t k = 0; k < c; k++)
					free(d->t[t].c[k].r);
				for (int u = 0; u < t; u++)
					for (uint32_t k = 0; k < d->t[u].n_chains; k++)
						free(d->t[u].c[k].r);
				free(d);
				return NULL;
			}
			memcpy(ch->r, r->t[t].c[c].r, ch->n * sizeof(*ch->r));
		}
	return d;
}

int
nf_chain_find(const struct nf_table *t, const char *name)
{
	for (uint32_t i = 0; i < t->n_chains; i++)
		if (strcmp(t->c[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
chain_insert(struct nf_rules *r, struct nf_chain *c, uint32_t pos, const struct nf_rule *rule)
{
	if (r->n_rules >= NF_MAX_RULES)
		return -1;
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 8;
		struct nf_rule *n = realloc(c->r, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		c->r = n;
		c->cap = cap;
	}
	memmove(&c->r[pos + 1], &c->r[pos], (c->n - pos) * sizeof(*c->r));
	c->r[pos] = *rule;
	c->n++;
	r->n_rules++;
	return 0;
}

/* ---- commands (file lines and cavctl) ---- */

static int
parse_policy(int table, const struct nf_chain *c, const char *p, uint8_t *out, char *err,
	     size_t errlen)
{
	if (c->hook < 0) {
		if (strcmp(p, "-") != 0)
			FAIL("the user chain %s has no policy ('-')", c->name);
		return 0;
	}
	if (strcmp(p, "ACCEPT") == 0)
		*out = NF_T_ACCEPT;
	else if (strcmp(p, "DROP") == 0 && table == NF_TABLE_FILTER)
		*out = NF_T_DROP;
	else if (strcmp(p, "DROP") == 0)
		FAIL("the policy of a nat chain is ACCEPT");
	else
		FAIL("'%s' is not a policy (ACCEPT or DROP)", p);
	return 0;
}

static int
new_chain(struct nf_rules *r, int table, const char *name, char *err, size_t errlen)
{
	struct nf_table *t = &r->t[table];
	if (!nf_valid_chain_name(name))
		FAIL("'%s' is not a chain name (1..%d of A-Z a-z 0-9 _ - .)", name,
		     NF_NAME_MAX - 1);
	for (int t2 = 1; t2 < NF_T_NB; t2++)
		if (strcmp(name, nf_target_names[t2]) == 0)
			FAIL("'%s' is a target, not a chain name", name);
	if (nf_chain_find(t, name) >= 0)
		FAIL("chain %s exists already", name);
	for (int h = 0; h < NF_HOOK_NB; h++)
		if (strcmp(name, nf_hook_names[h]) == 0)
			FAIL("%s is a built-in chain, not in table %s", name, nf_table_names[table]);
	if (t->n_chains == NF_MAX_CHAINS)
		FAIL("more than %d chains in table %s", NF_MAX_CHAINS, nf_table_names[table]);
	struct nf_chain *c = &t->c[t->n_chains++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->hook = -1;
	c->policy = NF_T_RETURN;
	return 0;
}

static int
find_chain(const struct nf_rules *r, int table, const char *name, char *err, size_t errlen)
{
	int c = nf_chain_find(&r->t[table], name);
	if (c < 0)
		FAIL("no chain named '%s' in table %s", name, nf_table_names[table]);
	return c;
}

/* Is every rule of `c` equal to `rule` but its id? */
static bool
same_rule(const struct nf_rule *a, const struct nf_rule *b)
{
	struct nf_rule x = *a, y = *b;
	x.id = y.id = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/*
 * One command: argv[0] is -A, -I, -D, -R, -P, -N, -X or -F. Checks that
 * need the whole rule set (places, loops) are left to validate().
 */
static int
command(struct nf_rules *r, int table, int argc, char **argv, char *err, size_t errlen)
{
	const char *cmd = argv[0];
	if (strcmp(cmd, "-N") == 0 || strcmp(cmd, "--new-chain") == 0) {
		if (argc != 2)
			FAIL("usage: -N CHAIN");
		return new_chain(r, table, argv[1], err, errlen);
	}
	if (strcmp(cmd, "-F") == 0 || strcmp(cmd, "--flush") == 0) {
		if (argc > 2)
			FAIL("usage: -F [CHAIN]");
		struct nf_table *t = &r->t[table];
		for (uint32_t c = 0; c < t->n_chains; c++) {
			if (argc == 2 && strcmp(t->c[c].name, argv[1]) != 0)
				continue;
			r->n_rules -= t->c[c].n;
			t->c[c].n = 0;
		}
		if (argc == 2 && find_chain(r, table, argv[1], err, errlen) < 0)
			return -1;
		return 0;
	}
	if (argc < 2)
		FAIL("%s needs a chain", cmd);
	int ci = find_chain(r, table, argv[1], err, errlen);
	if (ci < 0)
		return -1;
	struct nf_chain *c = &r->t[table].c[ci];

	if (strcmp(cmd, "-P") == 0 || strcmp(cmd, "--policy") == 0) {
		if (argc != 3)
			FAIL("usage: -P CHAIN POLICY");
		if (c->hook < 0)
			FAIL("the user chain %s has no policy", c->name);
		return parse_policy(table, c, argv[2], &c->policy, err, errlen);
	}
	if (strcmp(cmd, "-X") == 0 || strcmp(cmd, "--delete-chain") == 0) {
		if (argc != 2)
			FAIL("usage: -X CHAIN");
		if (c->hook >= 0)
			FAIL("cannot delete the built-in chain %s", c->name);
		if (c->n != 0)
			FAIL("chain %s is not empty", c->name);
		struct nf_table *t = &r->t[table];
		for (uint32_t k = 0; k < t->n_chains; k++)
			for (uint32_t i = 0; i < t->c[k].n; i++)
				if (t->c[k].r[i].target == NF_T_JUMP && t->c[k].r[i].u.jump == ci)
					FAIL("chain %s is the target of a rule in %s", c->name,
					     t->c[k].name);
		free(c->r);
		memmove(c, c + 1, (t->n_chains - (uint32_t)ci - 1) * sizeof(*c));
		t->n_chains--;
		for (uint32_t k = 0; k < t->n_chains; k++)
			for (uint32_t i = 0; i < t->c[k].n; i++)
				if (t->c[k].r[i].target == NF_T_JUMP && t->c[k].r[i].u.jump > ci)
					t->c[k].r[i].u.jump--;
		return 0;
	}

	bool ins = strcmp(cmd, "-I") == 0 || strcmp(cmd, "--insert") == 0;
	bool app = strcmp(cmd, "-A") == 0 || strcmp(cmd, "--append") == 0;
	bool del = strcmp(cmd, "-D") == 0 || strcmp(cmd, "--delete") == 0;
	bool rep = strcmp(cmd, "-R") == 0 || strcmp(cmd, "--replace") == 0;
	if (!ins && !app && !del && !rep)
		FAIL("unknown command '%s' (expected -A, -I, -D, -R, -P, -N, -X or -F)", cmd);

	int first = 2;
	uint64_t num = 0;
	bool has_num = argc > 2 && parse_u64(argv[2], 1, UINT32_MAX, &num) == 0;
	if (has_num)
		first = 3;
	if ((rep || (del && argc == 3)) && !has_num)
		FAIL("%s needs a rule number", cmd);
	if (has_num && (del || rep) && num > c->n)
		FAIL("chain %s has no rule %lu (it has %u)", c->name, (unsigned long)num, c->n);
	if (has_num && ins && num > c->n + 1)
		FAIL("cannot insert at %lu: chain %s has %u rules", (unsigned long)num, c->name,
		     c->n);
	if (app && has_num)
		FAIL("-A takes no rule number");

	if (del && has_num) {
		if (argc != 3)
			FAIL("-D CHAIN N takes nothing after N");
		memmove(&c->r[num - 1], &c->r[num], (c->n - num) * sizeof(*c->r));
		c->n--;
		r->n_rules--;
		return 0;
	}
	struct nf_rule rule;
	if (nf_parse_spec(r, table, argc - first, argv + first, &rule, err, errlen) < 0)
		return -1;
	if (c->hook >= 0) {
		char why[200];
		if (nf_check_place(r, table, c->hook, &rule, why, sizeof(why)) < 0)
			FAIL("%s", why);
	}
	if (del) {
		for (uint32_t i = 0; i < c->n; i++)
			if (same_rule(&c->r[i], &rule)) {
				memmove(&c->r[i], &c->r[i + 1], (c->n - i - 1) * sizeof(*c->r));
				c->n--;
				r->n_rules--;
				return 0;
			}
		FAIL("no such rule in chain %s", c->name);
	}
	rule.id = r->next_id++;
	if (rep) {
		c->r[num - 1] = rule;
		return 0;
	}
	uint32_t pos = app ? c->n : (has_num ? (uint32_t)num - 1 : 0);
	if (chain_insert(r, c, pos, &rule) < 0)
		FAIL("too many rules (at most %d)", NF_MAX_RULES);
	return 0;
}

int
nf_rules_cmd(struct nf_rules *r, int argc, char **argv, char *err, size_t errlen)
{
	int table = NF_TABLE_FILTER;
	if (argc >= 2 && (strcmp(argv[0], "-t") == 0 || strcmp(argv[0], "--table") == 0)) {
		int t;
		for (t = 0; t < NF_TABLE_NB; t++)
			if (strcmp(argv[1], nf_table_names[t]) == 0)
				break;
		if (t == NF_TABLE_NB)
			FAIL("no table named '%s' (filter or nat)", argv[1]);
		table = t;
		argc -= 2;
		argv += 2;
	}
	if (argc == 0)
		FAIL("missing command");
	struct nf_rules *copy = nf_rules_dup(r);
	if (copy == NULL)
		FAIL("out of memory");
	uint32_t bad;
	if (command(copy, table, argc, argv, err, errlen) < 0 ||
	    nf_validate(copy, &bad, err, errlen) < 0) {
		nf_rules_free(copy);
		return -1;
	}
	/* Commit: r takes the copy's contents. */
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < r->t[t].n_chains; c++)
			free(r->t[t].c[c].r);
	*r = *copy;
	free(copy);
	return 0;
}

/* ---- files ---- */

struct pctx {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

#define PFAIL(p, ...)                                                                              \
	do {                                                                                       \
		char why_[400];                                                                    \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                         \
		snprintf((p)->err, (p)->errlen, "%s:%u: %s", (p)->name, (p)->line, why_);          \
		goto fail;                                                                         \
	} while (0)

struct nf_rules *
nf_rules_parse(const char *name, const char *text, const char *const *ports, unsigned int n_ports,
	       char *err, size_t errlen)
{
	struct pctx p = {.name = name, .err = err, .errlen = errlen};
	struct nf_rules *r = nf_rules_new(ports, n_ports);
	char *buf = strdup(text);
	uint32_t *rule_line = NULL; /* by rule id, for validate's message */
	size_t n_lines = 0;
	if (r == NULL || buf == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", name);
		goto fail_nomsg;
	}
	int table = -1;
	unsigned int table_line = 0;
	bool done[NF_TABLE_NB] = {0};
	char why[400];

	for (char *line = buf, *next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		p.line++;
		char *argv[MAX_TOKENS];
		char *hash = NULL;
		/* A comment starts at '#' outside quotes. */
		bool q = false;
		for (char *s = line; *s != '\0'; s++) {
			if (*s == '"')
				q = !q;
			else if (*s == '#' && !q) {
				hash = s;
				break;
			}
		}
		if (hash != NULL)
			*hash = '\0';
		int argc = nf_tokenize(line, argv, MAX_TOKENS, why, sizeof(why));
		if (argc < 0)
			PFAIL(&p, "%s", why);
		if (argc == 0)
			continue;
		/* iptables-save -c: "[packets:bytes] -A ..." */
		if (argv[0][0] == '[' && argv[0][strlen(argv[0]) - 1] == ']') {
			argc--;
			memmove(argv, argv + 1, (size_t)argc * sizeof(*argv));
			if (argc == 0)
				PFAIL(&p, "counters without a rule");
		}
		const char *w = argv[0];
		if (w[0] == '*') {
			if (argc != 1)
				PFAIL(&p, "a table line is '*filter' or '*nat'");
			if (table >= 0)
				PFAIL(&p, "table %s started before table %s had its COMMIT",
				      w + 1, nf_table_names[table]);
			for (table = 0; table < NF_TABLE_NB; table++)
				if (strcmp(w + 1, nf_table_names[table]) == 0)
					break;
			if (table == NF_TABLE_NB)
				PFAIL(&p, "no table named '%s' (filter or nat)", w + 1);
			if (done[table])
				PFAIL(&p, "table %s given twice", w + 1);
			table_line = p.line;
			continue;
		}
		if (table < 0)
			PFAIL(&p, "'%s' outside a table (start one with *filter or *nat)", w);
		if (strcmp(w, "COMMIT") == 0) {
			if (argc != 1)
				PFAIL(&p, "COMMIT takes nothing after it");
			done[table] = true;
			table = -1;
			continue;
		}
		if (w[0] == ':') {
			/* :CHAIN POLICY [packets:bytes] */
			if (argc < 2 || argc > 3)
				PFAIL(&p, "a chain line is ':CHAIN POLICY' or ':CHAIN -'");
			const char *cn = w + 1;
			int c = nf_chain_find(&r->t[table], cn);
			if (c >= 0 && r->t[table].c[c].hook >= 0) {
				struct nf_chain *ch = &r->t[table].c[c];
				if (ch->declared)
					PFAIL(&p, "chain %s declared twice", cn);
				ch->declared = true;
				if (parse_policy(table, ch, argv[1], &ch->policy, why, sizeof(why)) < 0)
					PFAIL(&p, "%s", why);
				continue;
			}
			if (c >= 0)
				PFAIL(&p, "chain %s declared twice", cn);
			if (strcmp(argv[1], "-") != 0)
				PFAIL(&p, "%s is not a built-in chain of table %s: a user chain "
					  "has no policy ('-')",
				      cn, nf_table_names[table]);
			if (new_chain(r, table, cn, why, sizeof(why)) < 0)
				PFAIL(&p, "%s", why);
			continue;
		}
		if (w[0] != '-')
			PFAIL(&p, "'%s' is not a rule (-A CHAIN ...), a chain (:CHAIN), a table "
				  "(*NAME) or COMMIT",
			      w);
		if (command(r, table, argc, argv, why, sizeof(why)) < 0)
			PFAIL(&p, "%s", why);
		/* Remember where each new rule came from. */
		if (r->next_id > n_lines) {
			size_t want = r->next_id + 64;
			uint32_t *nl = realloc(rule_line, want * sizeof(*nl));
			if (nl == NULL)
				PFAIL(&p, "out of memory");
			memset(nl + n_lines, 0, (want - n_lines) * sizeof(*nl));
			rule_line = nl;
			n_lines = want;
		}
		rule_line[r->next_id - 1] = p.line;
	}
	if (table >= 0) {
		p.line = table_line;
		PFAIL(&p, "table %s has no COMMIT", nf_table_names[table]);
	}
	/* Places and loops, now that every chain is known. */
	uint32_t bad = 0;
	if (nf_validate(r, &bad, why, sizeof(why)) < 0) {
		p.line = bad < n_lines ? rule_line[bad] : 0;
		PFAIL(&p, "%s", why);
	}
	free(rule_line);
	free(buf);
	return r;
fail:
fail_nomsg:
	free(rule_line);
	free(buf);
	nf_rules_free(r);
	return NULL;
}

struct nf_rules *
nf_rules_load(const char *path, const char *const *ports, unsigned int n_ports, char *err,
	      size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)MAX_FILE) {
		snprintf(err, errlen, "%s:0: larger than %u bytes", path, MAX_FILE);
		fclose(f);
		return NULL;
	}
	char *text = malloc((size_t)st.st_size + 1);
	size_t n = text != NULL ? fread(text, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", path);
		return NULL;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		snprintf(err, errlen, "%s:0: a NUL byte: not a text file", path);
		free(text);
		return NULL;
	}
	struct nf_rules *r = nf_rules_parse(path, text, ports, n_ports, err, errlen);
	free(text);
	return r;
}
