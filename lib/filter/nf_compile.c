/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiling a rule set into rte_acl contexts (nf_rules.h), the keys the
 * workers build, and the linear matcher for what the contexts do not
 * cover (and for the unit tests, as the reference).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "counter.h"
#include "nf_rules.h"

enum {
	F_PROTO,
	F_SRC,
	F_DST,
	F_SPORT,
	F_DPORT,
	F_IN,
	F_OUT,
	F_CT,
	F_TCP,
	F_DSCP,
	F_MISC,
	F_PAD,
	NF_ACL_FIELDS,
};

RTE_ACL_RULE_DEF(nf_acl_rule, NF_ACL_FIELDS);

/*
 * Fields in groups of 4 bytes (input_index), the first alone (rte_acl's
 * rule: the first field is one byte). Every byte of a group must belong to
 * a field: rte_acl (22.11) reads the whole group at run time but builds the
 * trie only for the bytes fields cover, so a group with a 1-byte RANGE
 * field alone never matches unless the range is 0..255 (found the hard
 * way: test_classify). The last group is padded with F_PAD, which matches
 * anything.
 */
static const struct rte_acl_field_def acl_defs[NF_ACL_FIELDS] = {
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_PROTO, .input_index = 0,
	 .offset = offsetof(struct nf_key, proto)},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = F_SRC, .input_index = 1,
	 .offset = offsetof(struct nf_key, src)},
	{.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4, .field_index = F_DST, .input_index = 2,
	 .offset = offsetof(struct nf_key, dst)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F_SPORT, .input_index = 3,
	 .offset = offsetof(struct nf_key, sport)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F_DPORT, .input_index = 3,
	 .offset = offsetof(struct nf_key, dport)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 1, .field_index = F_IN, .input_index = 4,
	 .offset = offsetof(struct nf_key, in_port)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 1, .field_index = F_OUT, .input_index = 4,
	 .offset = offsetof(struct nf_key, out_port)},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_CT, .input_index = 4,
	 .offset = offsetof(struct nf_key, ct)},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_TCP, .input_index = 4,
	 .offset = offsetof(struct nf_key, tcp_flags)},
	{.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 1, .field_index = F_DSCP, .input_index = 5,
	 .offset = offsetof(struct nf_key, dscp)},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_MISC, .input_index = 5,
	 .offset = offsetof(struct nf_key, misc)},
	{.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 2, .field_index = F_PAD, .input_index = 5,
	 .offset = offsetof(struct nf_key, pad1)},
};

/* ---- keys and the linear matcher ---- */

void
nf_key_build(struct nf_key *k, const struct nf_pkt *p, const struct pkt_meta *meta,
	     enum nf_hook hook)
{
	memset(k, 0, sizeof(*k));
	k->proto = p->tuple.proto;
	k->src = p->tuple.src;
	k->dst = p->tuple.dst;
	if (p->frag || !p->l4_ok) {
		k->misc = NF_KEY_LATER_FRAGMENT;
	} else if (p->tuple.proto == IPPROTO_ICMP) {
		k->sport = rte_cpu_to_be_16(p->icmp_type);
		k->dport = rte_cpu_to_be_16(p->icmp_code);
	} else if (p->tuple.proto == IPPROTO_TCP || p->tuple.proto == IPPROTO_UDP) {
		k->sport = p->tuple.sport;
		k->dport = p->tuple.dport;
		k->tcp_flags = p->tcp_flags;
	}
	if (hook == NF_HOOK_PREROUTING || hook == NF_HOOK_INPUT || hook == NF_HOOK_FORWARD)
		k->in_port = (uint8_t)(meta->in_port + 1);
	if (hook == NF_HOOK_FORWARD || hook == NF_HOOK_POSTROUTING ||
	    (hook == NF_HOOK_OUTPUT && !(meta->flags & PKT_META_F_LOCAL_DST)))
		k->out_port = (uint8_t)(meta->out_port + 1);
	k->ct = meta->ct_info & CT_ST_MASK;
	k->dscp = p->dscp;
}

bool
nf_match_key(const struct nf_match *m, const struct nf_key *k)
{
	if (m->proto != 0 && m->proto != k->proto)
		return false;
	uint32_t src = rte_be_to_cpu_32(k->src), dst = rte_be_to_cpu_32(k->dst);
	if (m->src_len != 0 && ((src ^ m->src) >> (32 - m->src_len)) != 0)
		return false;
	if (m->dst_len != 0 && ((dst ^ m->dst) >> (32 - m->dst_len)) != 0)
		return false;
	if (m->l4 && (k->misc & NF_KEY_LATER_FRAGMENT))
		return false;
	uint16_t sp = rte_be_to_cpu_16(k->sport), dp = rte_be_to_cpu_16(k->dport);
	if (m->icmp_type >= 0) {
		if (sp != m->icmp_type || dp < m->icmp_code_lo || dp > m->icmp_code_hi)
			return false;
	} else {
		if (sp < m->sport_lo || sp > m->sport_hi || dp < m->dport_lo || dp > m->dport_hi)
			return false;
	}
	if ((k->tcp_flags & m->tcp_mask) != m->tcp_cmp)
		return false;
	if (m->ct_states != 0 && !(m->ct_states & k->ct))
		return false;
	if (k->dscp < m->dscp_lo || k->dscp > m->dscp_hi)
		return false;
	if (m->in_port >= 0 && k->in_port != m->in_port + 1)
		return false;
	if (m->out_port >= 0 && k->out_port != m->out_port + 1)
		return false;
	return true;
}

/* ---- rte_acl rules ---- */

/* The ACL rules of one source rule (one per conntrack state it names). */
static unsigned int
acl_rules(const struct nf_match *m, uint32_t prio, uint32_t userdata, struct nf_acl_rule *out)
{
	struct nf_acl_rule a;
	memset(&a, 0, sizeof(a));
	a.data.category_mask = 1;
	a.data.priority = (int32_t)prio;
	a.data.userdata = userdata;
	a.field[F_PROTO].value.u8 = m->proto;
	a.field[F_PROTO].mask_range.u8 = m->proto != 0 ? 0xff : 0;
	a.field[F_SRC].value.u32 = m->src;
	a.field[F_SRC].mask_range.u32 = m->src_len;
	a.field[F_DST].value.u32 = m->dst;
	a.field[F_DST].mask_range.u32 = m->dst_len;
	if (m->icmp_type >= 0) {
		a.field[F_SPORT].value.u16 = (uint16_t)m->icmp_type;
		a.field[F_SPORT].mask_range.u16 = (uint16_t)m->icmp_type;
		a.field[F_DPORT].value.u16 = m->icmp_code_lo;
		a.field[F_DPORT].mask_range.u16 = m->icmp_code_hi;
	} else {
		a.field[F_SPORT].value.u16 = m->sport_lo;
		a.field[F_SPORT].mask_range.u16 = m->sport_hi;
		a.field[F_DPORT].value.u16 = m->dport_lo;
		a.field[F_DPORT].mask_range.u16 = m->dport_hi;
	}
	a.field[F_IN].value.u8 = m->in_port >= 0 ? (uint8_t)(m->in_port + 1) : 0;
	a.field[F_IN].mask_range.u8 = m->in_port >= 0 ? (uint8_t)(m->in_port + 1) : UINT8_MAX;
	a.field[F_OUT].value.u8 = m->out_port >= 0 ? (uint8_t)(m->out_port + 1) : 0;
	a.field[F_OUT].mask_range.u8 = m->out_port >= 0 ? (uint8_t)(m->out_port + 1) : UINT8_MAX;
	a.field[F_TCP].value.u8 = m->tcp_cmp;
	a.field[F_TCP].mask_range.u8 = m->tcp_mask;
	a.field[F_DSCP].value.u8 = m->dscp_lo;
	a.field[F_DSCP].mask_range.u8 = m->dscp_hi;
	/* Port, type and flag matches need a transport header. */
	a.field[F_MISC].value.u8 = 0;
	a.field[F_MISC].mask_range.u8 = m->l4 ? NF_KEY_LATER_FRAGMENT : 0;

	if (m->ct_states == 0) {
		a.field[F_CT].value.u8 = 0;
		a.field[F_CT].mask_range.u8 = 0;
		out[0] = a;
		return 1;
	}
	/* "state in S": the key has exactly one state bit; one rule each. */
	unsigned int n = 0;
	for (uint8_t b = 1; b != 0 && b <= CT_ST_MASK; b <<= 1)
		if (m->ct_states & b) {
			a.field[F_CT].value.u8 = b;
			a.field[F_CT].mask_range.u8 = b;
			out[n++] = a;
		}
	return n;
}

static struct rte_acl_ctx *
acl_build(const struct nf_chain *c, uint32_t from, int socket, char *err, size_t errlen)
{
	static uint32_t seq;
	char name[RTE_ACL_NAMESIZE];
	snprintf(name, sizeof(name), "nf%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	uint32_t n = c->n - from;
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = socket,
		.rule_size = RTE_ACL_RULE_SZ(NF_ACL_FIELDS),
		.max_rule_num = n * 5,
	};
	struct rte_acl_ctx *ctx = rte_acl_create(&prm);
	struct nf_acl_rule *rules = malloc((size_t)n * 5 * sizeof(*rules));
	if (ctx == NULL || rules == NULL) {
		snprintf(err, errlen, "rte_acl_create: %s", rte_strerror(rte_errno));
		goto fail;
	}
	uint32_t k = 0;
	for (uint32_t i = from; i < c->n; i++)
		/* Earlier rules win: priority falls with the index. */
		k += acl_rules(&c->r[i].m, RTE_ACL_MAX_PRIORITY - i, i + 1, &rules[k]);
	int rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rules, k);
	if (rc == 0) {
		/* Bound the run-time structures: past max_size, rte_acl
		 * splits the rules over more tries (slower by a few
		 * instructions per packet) instead of growing; rules with
		 * many wide ranges would otherwise take gigabytes. */
		struct rte_acl_config cfg = {.num_categories = 1, .num_fields = NF_ACL_FIELDS,
					     .max_size = NF_ACL_MAX_SIZE};
		memcpy(cfg.defs, acl_defs, sizeof(acl_defs));
		rc = rte_acl_build(ctx, &cfg);
	}
	if (rc != 0) {
		snprintf(err, errlen, "chain %s: rte_acl: %s", c->name, strerror(-rc));
		goto fail;
	}
	free(rules);
	return ctx;
fail:
	free(rules);
	rte_acl_free(ctx);
	return NULL;
}

/* ---- the rule set ---- */

static bool
needs_ct(const struct nf_rules *r)
{
	for (uint32_t c = 0; c < r->t[NF_TABLE_NAT].n_chains; c++)
		if (r->t[NF_TABLE_NAT].c[c].n != 0)
			return true;
	for (uint32_t c = 0; c < r->t[NF_TABLE_FILTER].n_chains; c++)
		for (uint32_t i = 0; i < r->t[NF_TABLE_FILTER].c[c].n; i++)
			if (r->t[NF_TABLE_FILTER].c[c].r[i].m.ct_states != 0)
				return true;
	return false;
}

void
nf_ruleset_free(struct nf_ruleset *rs)
{
	if (rs == NULL)
		return;
	for (uint32_t i = 0; i < rs->n_rt; i++) {
		for (unsigned int k = 0; k < rs->rt[i].n_ctx; k++)
			rte_acl_free(rs->rt[i].ctx[k]);
		free(rs->rt[i].resume);
	}
	free(rs->rt);
	for (unsigned int w = 0; w < CT_MAX_WORKERS; w++)
		rte_free(rs->cnt[w]);
	free(rs->carried);
	nf_rules_free(rs->src);
	free(rs);
}

static int
chain_build(struct nf_rt_chain *rc, const struct nf_chain *c, int socket, char *err,
	    size_t errlen)
{
	rc->src = c;
	if (c->n == 0)
		return 0;
	rc->resume = malloc(c->n * sizeof(*rc->resume));
	if (rc->resume == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc->ctx_start[0] = 0;
	rc->ctx[0] = acl_build(c, 0, socket, err, errlen);
	if (rc->ctx[0] == NULL)
		return -1;
	rc->n_ctx = 1;
	for (uint32_t i = 0; i < c->n; i++) {
		rc->resume[i] = -1;
		if (nf_target_terminal(c->r[i].target) || rc->n_ctx == NF_MAX_CTX)
			continue;
		/* The walk goes on after rule i: from a context if the rest
		 * is long, rule by rule if short. */
		if (c->n - (i + 1) <= NF_LINEAR_MAX)
			continue;
		rc->ctx_start[rc->n_ctx] = i + 1;
		rc->ctx[rc->n_ctx] = acl_build(c, i + 1, socket, err, errlen);
		if (rc->ctx[rc->n_ctx] == NULL)
			return -1;
		rc->resume[i] = (int8_t)rc->n_ctx++;
	}
	return 0;
}

struct nf_ruleset *
nf_ruleset_build(struct nf_rules *src, unsigned int n_workers, bool ct_forced, int socket,
		 char *err, size_t errlen)
{
	struct nf_ruleset *rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		nf_rules_free(src);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->src = src;
	rs->n_workers = n_workers;
	rs->ct = ct_forced || needs_ct(src);
	for (int t = 0; t < NF_TABLE_NB; t++) {
		rs->table_rt[t] = rs->n_rt;
		rs->n_rt += src->t[t].n_chains;
		for (int h = 0; h < NF_HOOK_NB; h++)
			rs->base[t][h] = -1;
	}
	rs->rt = calloc(rs->n_rt ? rs->n_rt : 1, sizeof(*rs->rt));
	if (rs->rt == NULL)
		goto nomem;
	uint32_t cnt = 0;
	for (int t = 0; t < NF_TABLE_NB; t++)
		for (uint32_t c = 0; c < src->t[t].n_chains; c++) {
			const struct nf_chain *ch = &src->t[t].c[c];
			struct nf_rt_chain *rc = &rs->rt[rs->table_rt[t] + c];
			rc->table = (uint8_t)t;
			rc->cnt = cnt;
			cnt += ch->n + 1;
			if (chain_build(rc, ch, socket, err, errlen) < 0) {
				nf_ruleset_free(rs);
				return NULL;
			}
			/* A hook's chain has work to do unless it is empty and
			 * accepts everything. */
			if (ch->hook >= 0 && (ch->n != 0 || ch->policy != NF_T_ACCEPT)) {
				rs->base[t][ch->hook] = (int32_t)(rs->table_rt[t] + c);
				rs->hooks |= 1u << ch->hook;
			}
		}
	rs->n_counters = cnt;
	if (rs->ct) /* lookup, NAT and confirmation at these hooks */
		rs->hooks |= 1u << NF_HOOK_PREROUTING | 1u << NF_HOOK_OUTPUT |
			     1u << NF_HOOK_INPUT | 1u << NF_HOOK_POSTROUTING;
	for (unsigned int w = 0; w < n_workers; w++) {
		rs->cnt[w] = rte_zmalloc_socket("nf_cnt", (size_t)(cnt ? cnt : 1) *
						sizeof(struct nf_counter), RTE_CACHE_LINE_SIZE, socket);
		if (rs->cnt[w] == NULL)
			goto nomem;
	}
	rs->carried = calloc(cnt ? cnt : 1, sizeof(*rs->carried));
	if (rs->carried == NULL)
		goto nomem;
	return rs;
nomem:
	snprintf(err, errlen, "out of memory");
	nf_ruleset_free(rs);
	return NULL;
}

void
nf_chain_classify(const struct nf_rt_chain *c, const struct nf_key **keys, uint32_t *res,
		  uint32_t n)
{
	if (c->src->n == 0) {
		memset(res, 0, n * sizeof(*res));
		return;
	}
	rte_acl_classify(c->ctx[0], (const uint8_t **)keys, res, n, 1);
}

int
nf_chain_next(const struct nf_rt_chain *c, uint32_t from, const struct nf_key *k)
{
	const struct nf_chain *ch = c->src;
	if (from >= ch->n)
		return -1;
	if (from > 0 && c->resume[from - 1] >= 0) {
		uint32_t res = 0;
		const uint8_t *data = (const uint8_t *)k;
		rte_acl_classify(c->ctx[c->resume[from - 1]], &data, &res, 1, 1);
		return (int)res - 1;
	}
	if (from == 0) {
		uint32_t res = 0;
		const uint8_t *data = (const uint8_t *)k;
		rte_acl_classify(c->ctx[0], &data, &res, 1, 1);
		return (int)res - 1;
	}
	for (uint32_t i = from; i < ch->n; i++)
		if (nf_match_key(&ch->r[i].m, k))
			return (int)i;
	return -1;
}

struct nf_counter
nf_ruleset_counter(const struct nf_ruleset *rs, uint32_t idx)
{
	struct nf_counter s = rs->carried[idx];
	for (unsigned int w = 0; w < rs->n_workers; w++) {
		s.packets += counter_read(&rs->cnt[w][idx].packets);
		s.bytes += counter_read(&rs->cnt[w][idx].bytes);
	}
	return s;
}
