/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_NF_RULESET_H
#define CAV_NF_RULESET_H

/*
 * A rule set compiled for the workers: every chain with rules becomes
 * rte_acl contexts (nf_compile.c), which classify a burst of packets in
 * one call whose cost grows with the depth of the trie (the bytes of the
 * key), not with the number of rules: 10,000 rules cost about what 10 do.
 *
 * rte_acl gives the first matching rule (highest priority = earliest).
 * A rule that does not end the walk (LOG, TCPMSS, a jump to a user chain,
 * a rule without target) sends the walk on from the next rule: for that,
 * each chain also has contexts for the rules after each of its first
 * NF_MAX_CTX - 1 non-terminal rules; past those, or for a suffix of at
 * most NF_LINEAR_MAX rules, the rest of the chain is matched rule by rule.
 *
 * Immutable once published, except the counters: one array per worker
 * (single writer), summed by the control plane.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_acl.h>

#include "ct.h"
#include "ct_pkt.h"
#include "dp.h"
#include "rules.h"

#define NF_MAX_CTX 16
#define NF_LINEAR_MAX 8
#define NF_ACL_MAX_SIZE (256u << 20) /* bytes of rte_acl run-time data per context */

/*
 * What the classifier looks at, one per packet. Multi-byte fields in
 * network byte order (rte_acl reads the input as bytes, most significant
 * first). ICMP: sport is the type, dport the code.
 */
struct nf_key {
	uint8_t proto;
	uint8_t pad0[3];
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t in_port;  /* port index + 1; 0: none at this hook */
	uint8_t out_port; /* port index + 1; 0: none at this hook */
	uint8_t ct;	  /* one CT_ST_* bit */
	uint8_t tcp_flags;
	uint8_t dscp;
	uint8_t misc; /* NF_KEY_LATER_FRAGMENT */
	uint8_t pad1[2];
};
#define NF_KEY_LATER_FRAGMENT 0x01 /* no transport header: port matches fail */

struct nf_rt_chain {
	const struct nf_chain *src; /* rules, policy, name (in nf_ruleset.src) */
	uint8_t table;
	uint8_t n_ctx;
	uint32_t cnt; /* counter of rule 0; the policy's is cnt + src->n */
	uint32_t ctx_start[NF_MAX_CTX];
	struct rte_acl_ctx *ctx[NF_MAX_CTX]; /* NULL: match linearly */
	int8_t *resume; /* [rule]: the context that starts after it, -1: none */
};

struct nf_ruleset {
	struct nf_rules *src; /* owned */
	uint64_t gen;
	uint32_t hooks; /* bit per enum nf_hook: something to do there */
	bool ct;	/* conntrack on */
	int32_t base[NF_TABLE_NB][NF_HOOK_NB]; /* rt index of the hook's chain, -1: none */
	uint32_t table_rt[NF_TABLE_NB];	       /* rt index of each table's chain 0 */
	uint32_t n_rt;
	struct nf_rt_chain *rt;
	uint32_t n_counters;
	unsigned int n_workers;
	struct nf_counter *cnt[CT_MAX_WORKERS]; /* per worker */
	struct nf_counter *carried;		/* from the rule set it replaced */
};

/*
 * Compile `src` (taking it) for n_workers. `ct_forced`: conntrack on even
 * if no rule needs it (a rule needs it with --ctstate, or any nat rule).
 * NULL with a reason on failure (src freed).
 */
struct nf_ruleset *nf_ruleset_build(struct nf_rules *src, unsigned int n_workers, bool ct_forced,
				    int socket, char *err, size_t errlen);
void nf_ruleset_free(struct nf_ruleset *rs);

/* The chain's first match for each key (rule index + 1, 0: none). */
void nf_chain_classify(const struct nf_rt_chain *c, const struct nf_key **keys, uint32_t *res,
		       uint32_t n);
/* The first rule at index `from` or later that matches k, or -1. */
int nf_chain_next(const struct nf_rt_chain *c, uint32_t from, const struct nf_key *k);

/* The key of a packet at `hook`. */
void nf_key_build(struct nf_key *k, const struct nf_pkt *p, const struct pkt_meta *meta,
		  enum nf_hook hook);

/* Sum of a counter over workers, plus what was carried over. */
struct nf_counter nf_ruleset_counter(const struct nf_ruleset *rs, uint32_t idx);

#endif
