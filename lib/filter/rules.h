/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NF_RULES_H
#define CAV_NF_RULES_H

/*
 * The rule language (docs/rules.md): iptables-restore's format, tables
 * filter and nat, chains with policies, rules as iptables writes them.
 * This is the source form, built by the parser (rules_parse.c), printed
 * back by rules_fmt.c, edited by `cavctl rule add|del`, and compiled into
 * the classifier the workers use (nf_rules.h). Pure: no DPDK, no worker.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nf.h"

#define NF_NAME_MAX 29	     /* a chain name, as iptables: up to 28 characters */
#define NF_MAX_CHAINS 64     /* per table, built-in ones included */
#define NF_MAX_RULES 100000  /* per rule set */
#define NF_LOG_PREFIX_MAX 30 /* up to 29 characters, as iptables */
#define NF_COMMENT_MAX 64
#define NF_MAX_PORTS 16
#define NF_MAX_DEPTH 8 /* user chains calling user chains */

enum nf_table_id {
	NF_TABLE_FILTER,
	NF_TABLE_NAT,
	NF_TABLE_NB,
};

enum nf_target {
	NF_T_NONE, /* no -j: the rule only counts */
	NF_T_ACCEPT,
	NF_T_DROP,
	NF_T_REJECT,
	NF_T_RETURN,
	NF_T_JUMP, /* to a user chain */
	NF_T_LOG,
	NF_T_SNAT,
	NF_T_DNAT,
	NF_T_MASQUERADE,
	NF_T_TCPMSS,
	NF_T_NB,
};

/* Does the target end the chain walk? (the others are "non-terminal": the
 * walk goes on with the next rule, or into a user chain and back) */
static inline bool
nf_target_terminal(uint8_t t)
{
	return t != NF_T_NONE && t != NF_T_LOG && t != NF_T_JUMP && t != NF_T_TCPMSS;
}

/* What a rule matches. Host byte order; defaults match anything. */
struct nf_match {
	uint8_t proto; /* 0: any */
	uint8_t src_len, dst_len; /* prefix lengths; 0: any */
	uint32_t src, dst;
	uint16_t sport_lo, sport_hi; /* 0..65535 */
	uint16_t dport_lo, dport_hi;
	int16_t icmp_type; /* -1: any */
	uint8_t icmp_code_lo, icmp_code_hi;
	uint8_t tcp_mask, tcp_cmp; /* (flags & mask) == cmp */
	uint8_t ct_states;	   /* CT_ST_* set; 0: any */
	uint8_t dscp_lo, dscp_hi;  /* 0..63 */
	int8_t in_port, out_port;  /* port index; -1: any */
	uint8_t l4;		   /* it matches ports, ICMP type or TCP flags */
};

struct nf_nat_spec {
	uint32_t addr_lo, addr_hi; /* 0, 0: MASQUERADE's (the out port's address) */
	uint16_t port_lo, port_hi; /* 0, 0: none given */
};

struct nf_rule {
	struct nf_match m;
	uint8_t target;
	union {
		struct {
			uint8_t type, code; /* ICMP error (type 3) */
			bool tcp_reset;
		} reject;
		struct {
			char prefix[NF_LOG_PREFIX_MAX];
			uint8_t level; /* syslog level 0..7 */
		} log;
		struct nf_nat_spec nat;
		uint16_t jump; /* chain index in the same table */
		struct {
			uint16_t mss; /* 0: clamp to the path MTU */
		} tcpmss;
	} u;
	char comment[NF_COMMENT_MAX];
	uint32_t id; /* unique in the rule set's history: counters follow it */
};

struct nf_chain {
	char name[NF_NAME_MAX];
	int8_t hook;	/* built-in: enum nf_hook; user chain: -1 */
	uint8_t policy; /* built-in: NF_T_ACCEPT or NF_T_DROP */
	bool declared;	/* a built-in chain named in the file (or implied) */
	uint32_t n, cap;
	struct nf_rule *r;
};

struct nf_table {
	uint32_t n_chains;
	struct nf_chain c[NF_MAX_CHAINS];
};

struct nf_rules {
	struct nf_table t[NF_TABLE_NB];
	uint32_t next_id;
	uint32_t n_rules;
	/* The ports rules may name (-i, -o), in index order. */
	unsigned int n_ports;
	char ports[NF_MAX_PORTS][16];
};

/* A rule set with the built-in chains and no rules (policies ACCEPT),
 * for these ports. NULL: out of memory. */
struct nf_rules *nf_rules_new(const char *const *ports, unsigned int n_ports);
struct nf_rules *nf_rules_dup(const struct nf_rules *r);
void nf_rules_free(struct nf_rules *r);

/*
 * Parse a rule file (its text; `name` for the messages). Returns a rule
 * set, or NULL with "NAME:LINE: reason" in err (line 0: the file itself).
 * Everything is checked: syntax, values, chains, targets allowed where
 * they are used, jump loops.
 */
struct nf_rules *nf_rules_parse(const char *name, const char *text, const char *const *ports,
				unsigned int n_ports, char *err, size_t errlen);
/* Same, from a file (at most 16 MiB). */
struct nf_rules *nf_rules_load(const char *path, const char *const *ports, unsigned int n_ports,
			       char *err, size_t errlen);

/*
 * Apply one iptables command to r (cavctl rule add|del): [-t TABLE]
 * then -A CHAIN SPEC | -I CHAIN [N] SPEC | -D CHAIN N | -D CHAIN SPEC |
 * -R CHAIN N SPEC | -P CHAIN POLICY | -N CHAIN | -X CHAIN | -F [CHAIN].
 * 0, or -1 with a reason in err (r unchanged).
 */
int nf_rules_cmd(struct nf_rules *r, int argc, char **argv, char *err, size_t errlen);

/* The chain named `name` in table `t`, or -1. */
int nf_chain_find(const struct nf_table *t, const char *name);

/* Print r in the file format (iptables-save): loading the text gives the
 * same rule set. `counter` (may be NULL) gives each rule's and policy's
 * [packets:bytes] (iptables-save -c). Returns the length it wanted
 * (like snprintf). */
struct nf_counter {
	uint64_t packets;
	uint64_t bytes;
};
typedef struct nf_counter (*nf_counter_fn)(void *ctx, int table, int chain, int rule);
size_t nf_rules_format(const struct nf_rules *r, char *buf, size_t len, nf_counter_fn counter,
		       void *ctx);
/* One rule's specification, as after "-A CHAIN ". */
size_t nf_rule_format(const struct nf_rules *r, int table, const struct nf_rule *rule, char *buf,
		      size_t len);

/* Does rule match this key? (the linear matcher: rules past the last
 * classifier context, and the unit tests' reference) */
struct nf_key;
bool nf_match_key(const struct nf_match *m, const struct nf_key *k);

extern const char *const nf_table_names[NF_TABLE_NB];
extern const char *const nf_hook_names[NF_HOOK_NB];
const char *nf_target_name(uint8_t t);

#endif
