/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The work of the five hook nodes, in Linux's order at each hook:
 *
 *   PREROUTING   conntrack (lookup, state, or a new entry), DNAT (the nat
 *                chain decides for a new connection; every packet of it is
 *                rewritten), the filter chain.
 *   INPUT        the filter chain, the reverse of DNAT, confirmation.
 *   FORWARD      the filter chain.
 *   OUTPUT       conntrack, the reverse of SNAT, the filter chain.
 *   POSTROUTING  the filter chain, SNAT / MASQUERADE / hairpinning (the nat
 *                chain decides for a new connection), confirmation.
 *
 * A burst is classified in one rte_acl call per hook; the walk through a
 * chain then goes rule by rule only for non-terminal rules (LOG, TCPMSS,
 * jumps). A new connection's packet that a rule drops takes its
 * unconfirmed conntrack entry with it, so a port scan against a DROP
 * policy leaves nothing behind (Linux frees unconfirmed entries the same
 * way).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_jhash.h>
#include <rte_tcp.h>

#include "counter.h"
#include "ct.h"
#include "ct_pkt.h"
#include "log.h"
#include "nat.h"
#include "nf_node.h"
#include "nf_rules.h"
#include "parse.h"
#include "route.h"

/* Nothing to do at this hook: every packet to the next stage, the trace
 * recorded for the marked ones, the burst moved at once. */
static inline uint16_t
nf_pass(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs,
	enum nf_hook hook)
{
	struct dp_worker *w = dp_worker_of(node);
	if (hook == NF_HOOK_OUTPUT) {
		/* To ourselves or not: per packet. */
		for (uint16_t i = 0; i < nb_objs; i++) {
			struct rte_mbuf *m = objs[i];
			pkt_meta(m)->ct_idx = CT_IDX_NONE;
			pkt_meta(m)->ct_info = CT_ST_UNTRACKED;
			graph_next(graph, node,
				   (pkt_meta(m)->flags & PKT_META_F_LOCAL_DST) ? NF_EDGE_LOCAL
									    : NF_EDGE_NEXT,
				   m);
		}
		return nb_objs;
	}
	for (uint16_t i = 0; i < nb_objs; i++)
		if (unlikely(pkt_meta(objs[i])->trace_id != 0))
			trace_record(w, node, objs[i], NF_EDGE_NEXT);
	rte_node_next_stream_move(graph, node, NF_EDGE_NEXT);
	return nb_objs;
}

/* ---- what one hook invocation needs ---- */

struct hook_ctx {
	struct dp_worker *w;
	const struct nf_ruleset *rs;
	struct ct_worker *cw; /* NULL: conntrack off */
	struct nf_counter *cnt;
	enum nf_hook hook;
};

struct verdict {
	uint8_t t;		  /* NF_T_ACCEPT, DROP, REJECT, SNAT, DNAT, MASQUERADE */
	bool policy;		  /* the chain's policy decided */
	const struct nf_rule *r; /* the rule that decided, if a rule did */
};

static inline void
count(struct hook_ctx *c, uint32_t idx, uint32_t bytes)
{
	counter_add(&c->cnt[idx].packets, 1);
	counter_add(&c->cnt[idx].bytes, bytes);
}

/* LOG: rate-limited (a token bucket per worker), to the daemon's log. */
static void
nf_log(struct hook_ctx *c, const struct nf_rule *r, const struct rte_mbuf *m,
       const struct nf_pkt *p)
{
	struct nf_worker *nw = c->w->nf;
	uint64_t hz = c->w->sh->tsc_hz;
	uint64_t now = c->w->now;
	nw->log_tokens += (now - nw->log_last) * NF_LOG_RATE;
	nw->log_last = now;
	if (nw->log_tokens > (uint64_t)NF_LOG_BURST * hz)
		nw->log_tokens = (uint64_t)NF_LOG_BURST * hz;
	if (nw->log_tokens < hz) {
		nw->log_suppressed++;
		return;
	}
	nw->log_tokens -= hz;
	const struct pkt_meta *meta = pkt_meta((struct rte_mbuf *)(uintptr_t)m);
	const struct dp_shared *sh = c->w->sh;
	char src[16], dst[16], l4[96] = "";
	bool in = c->hook <= NF_HOOK_FORWARD, out = c->hook >= NF_HOOK_FORWARD;
	if (p->tuple.proto == IPPROTO_TCP || p->tuple.proto == IPPROTO_UDP)
		snprintf(l4, sizeof(l4), " SPT=%u DPT=%u", rte_be_to_cpu_16(p->tuple.sport),
			 rte_be_to_cpu_16(p->tuple.dport));
	else if (p->tuple.proto == IPPROTO_ICMP)
		snprintf(l4, sizeof(l4), " TYPE=%u CODE=%u", p->icmp_type, p->icmp_code);
	static const char *const st[] = {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"};
	uint8_t ct = meta->ct_info & CT_ST_MASK;
	rte_log((uint32_t)r->u.log.level + 1, cav_logtype,
		"cavalry: nf %s%sIN=%s OUT=%s SRC=%s DST=%s LEN=%u TOS=0x%02x TTL=%u PROTO=%s%s "
		"CT=%s (worker %u, %lu suppressed)\n",
		r->u.log.prefix, r->u.log.prefix[0] ? " " : "",
		in && meta->in_port < sh->n_ports ? sh->ports[meta->in_port].name : "",
		out && meta->out_port < sh->n_ports && !(meta->flags & PKT_META_F_LOCAL_DST)
			? sh->ports[meta->out_port].name
			: "",
		fmt_ip4(rte_be_to_cpu_32(p->tuple.src), src),
		fmt_ip4(rte_be_to_cpu_32(p->tuple.dst), dst), p->ip_len, p->dscp << 2, p->ttl,
		ct_proto_name(p->tuple.proto), l4, ct ? st[__builtin_ctz(ct)] : "?", c->w->id,
		(unsigned long)nw->log_suppressed);
}

/*
 * Walk a chain from its first match `idx` (from the classifier): count,
 * follow jumps and returns, do what non-terminal rules do, until a rule
 * decides or the base chain's policy does.
 */
static struct verdict
walk(struct hook_ctx *c, const struct nf_rt_chain *base, int idx, const struct nf_key *k,
     struct rte_mbuf *m, struct nf_pkt *p)
{
	const struct nf_ruleset *rs = c->rs;
	const struct nf_rt_chain *ch = base;
	struct {
		const struct nf_rt_chain *ch;
		uint32_t next;
	} stack[NF_MAX_DEPTH + 1];
	int sp = 0;

	for (;;) {
		if (idx < 0) {
			if (sp == 0)
				break; /* off the end of the base chain: the policy */
			sp--;
			ch = stack[sp].ch;
			idx = nf_chain_next(ch, stack[sp].next, k);
			continue;
		}
		const struct nf_rule *r = &ch->src->r[idx];
		count(c, ch->cnt + (uint32_t)idx, p->ip_len);
		switch (r->target) {
		case NF_T_RETURN:
			idx = -1;
			continue;
		case NF_T_JUMP:
			if (sp == NF_MAX_DEPTH) { /* the loader forbids it */
				idx = nf_chain_next(ch, (uint32_t)idx + 1, k);
				continue;
			}
			stack[sp].ch = ch;
			stack[sp].next = (uint32_t)idx + 1;
			sp++;
			ch = &rs->rt[rs->table_rt[ch->table] + r->u.jump];
			idx = nf_chain_next(ch, 0, k);
			continue;
		case NF_T_LOG:
			nf_log(c, r, m, p);
			break;
		case NF_T_TCPMSS:
			if (p->tcp_flags & RTE_TCP_SYN_FLAG) {
				uint16_t mss = r->u.tcpmss.mss;
				if (mss == 0) /* the out port's MTU less IPv4 and TCP headers */
					mss = (uint16_t)(c->w->sh->ports[pkt_meta(m)->out_port].mtu - 40);
				nat_clamp_mss(m, p, mss);
			}
			break;
		case NF_T_NONE:
			break;
		default:
			return (struct verdict){.t = r->target, .r = r};
		}
		idx = nf_chain_next(ch, (uint32_t)idx + 1, k);
	}
	count(c, base->cnt + base->src->n, p->ip_len);
	return (struct verdict){.t = base->src->policy, .policy = true};
}

/* ---- conntrack and NAT ---- */

static inline struct ct_entry *
meta_entry(const struct hook_ctx *c, const struct pkt_meta *meta, bool *stale)
{
	*stale = false;
	if (c->cw == NULL || meta->ct_idx == CT_IDX_NONE)
		return NULL;
	struct ct_entry *e = ct_entry_at(c->cw->t, meta->ct_idx);
	if (unlikely(e->gen != meta->ct_gen || !(e->status & CT_S_IN_USE))) {
		*stale = true;
		return NULL;
	}
	return e;
}

static inline int
meta_dir(const struct pkt_meta *meta)
{
	return (meta->ct_info & CT_INFO_REPLY) ? CT_DIR_REPLY : CT_DIR_ORIG;
}

static inline bool
meta_related(const struct pkt_meta *meta)
{
	return (meta->ct_info & CT_ST_RELATED) != 0;
}

/* A new connection's packet was refused: its entry goes with it. */
static inline void
kill_if_new(struct hook_ctx *c, struct ct_entry *e, const struct pkt_meta *meta)
{
	if (e != NULL && (meta->nf_flags & NF_PKT_F_CT_NEW) && !(e->status & CT_S_CONFIRMED))
		ct_kill(c->cw, e, c->w->now);
}

/* The nat chain of `hook` for a connection's first packet. */
static struct verdict
nat_chain(struct hook_ctx *c, enum nf_hook hook, struct rte_mbuf *m, struct nf_pkt *p)
{
	int32_t b = c->rs->base[NF_TABLE_NAT][hook];
	if (b < 0)
		return (struct verdict){.t = NF_T_ACCEPT, .policy = true};
	const struct nf_rt_chain *rc = &c->rs->rt[b];
	struct nf_key k;
	nf_key_build(&k, p, pkt_meta(m), hook);
	enum nf_hook keep = c->hook;
	c->hook = hook;
	struct verdict v = walk(c, rc, nf_chain_next(rc, 0, &k), &k, m, p);
	c->hook = keep;
	return v;
}

/* DNAT for a new connection at PREROUTING: the reply comes from the new
 * destination. A range is spread by hashing the client's address. */
static void
dnat_decide(struct hook_ctx *c, struct ct_entry *e, struct rte_mbuf *m, struct nf_pkt *p)
{
	struct verdict v = nat_chain(c, NF_HOOK_PREROUTING, m, p);
	if (v.t != NF_T_DNAT)
		return;
	const struct nf_nat_spec *n = &v.r->u.nat;
	uint32_t h = rte_jhash_1word(e->t[CT_DIR_ORIG].src, 0);
	uint32_t addr = n->addr_lo + h % (n->addr_hi - n->addr_lo + 1);
	struct ct_tuple *rep = &e->t[CT_DIR_REPLY];
	rep->src = rte_cpu_to_be_32(addr);
	if (n->port_lo != 0 && (p->tuple.proto == IPPROTO_TCP || p->tuple.proto == IPPROTO_UDP))
		rep->sport = rte_cpu_to_be_16(
			(uint16_t)(n->port_lo + (h >> 8) % ((uint32_t)n->port_hi - n->port_lo + 1)));
	e->status |= CT_S_DNAT;
}

/* Is the external port candidate for connection e in use by another
 * tracked connection (the same reply tuple)? */
struct taken_ctx {
	const struct ct_table *t;
	struct ct_tuple reply;
	uint32_t eaddr;
};

static bool
port_taken(void *ctx, uint16_t port)
{
	struct taken_ctx *tc = ctx;
	struct ct_tuple k = tc->reply;
	uint32_t idx;
	int dir;
	k.dst = rte_cpu_to_be_32(tc->eaddr);
	k.dport = rte_cpu_to_be_16(port);
	if (k.proto == IPPROTO_ICMP)
		k.sport = k.dport;
	return ct_lookup(tc->t, &k, &idx, &dir) == 0;
}

/* SNAT for a new connection at POSTROUTING: -j SNAT, -j MASQUERADE, or
 * hairpinning. false: no external port left. */
static bool
snat_decide(struct hook_ctx *c, struct ct_entry *e, struct rte_mbuf *m, struct nf_pkt *p)
{
	const struct pkt_meta *meta = pkt_meta(m);
	struct verdict v = nat_chain(c, NF_HOOK_POSTROUTING, m, p);
	struct nat_range r = {0};
	if (v.t == NF_T_SNAT) {
		r.addr_lo = v.r->u.nat.addr_lo;
		r.addr_hi = v.r->u.nat.addr_hi;
		r.port_lo = v.r->u.nat.port_lo;
		r.port_hi = v.r->u.nat.port_hi;
	} else if (v.t == NF_T_MASQUERADE) {
		/* The out port's address, in the next hop's subnet if it
		 * has several (what the next hop can answer to). */
		r.addr_lo = r.addr_hi =
			route_port_addr_for(c->w->sh->routes, meta->out_port, meta->nexthop);
		if (r.addr_lo == 0)
			return false;
		r.port_lo = v.r->u.nat.port_lo;
		r.port_hi = v.r->u.nat.port_hi;
	} else if ((e->status & CT_S_DNAT) && meta->out_port == e->in_port &&
		   !(meta->flags & PKT_META_F_LOCAL_OUT)) {
		/* Hairpinning (RFC 4787 REQ-9): back out where it came in,
		 * so the server must answer through us: the client's
		 * mapping on the address it addressed. */
		r.addr_lo = r.addr_hi = rte_be_to_cpu_32(e->t[CT_DIR_ORIG].dst);
		e->status |= CT_S_HAIRPIN;
	} else {
		return true; /* no SNAT */
	}

	struct ct_tuple *rep = &e->t[CT_DIR_REPLY];
	uint8_t proto = e->t[CT_DIR_ORIG].proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP) {
		struct taken_ctx tc = {.t = c->cw->t, .reply = *rep};
		uint32_t eaddr;
		uint16_t eport;
		/* taken() needs the external address; the mapping picks it
		 * from the range by the internal address (paired), so give
		 * the same choice ahead. */
		uint32_t n = r.addr_hi - r.addr_lo + 1;
		tc.eaddr = r.addr_lo + (n == 0 ? 0 : rte_jhash_1word(
			rte_be_to_cpu_32(e->t[CT_DIR_ORIG].src), 0) % n);
		uint32_t h = nat_map_get(c->w->sh->nf->nat, proto,
					 rte_be_to_cpu_32(e->t[CT_DIR_ORIG].src),
					 rte_be_to_cpu_16(e->t[CT_DIR_ORIG].sport), &r, c->w->now,
					 port_taken, &tc, &eaddr, &eport);
		if (h == 0)
			return false;
		e->nat_map = h;
		rep->dst = rte_cpu_to_be_32(eaddr);
		rep->dport = rte_cpu_to_be_16(eport);
		if (proto == IPPROTO_ICMP)
			rep->sport = rep->dport; /* the identifier, both ways */
	} else {
		uint32_t n = r.addr_hi - r.addr_lo + 1;
		rep->dst = rte_cpu_to_be_32(r.addr_lo + rte_jhash_1word(e->t[CT_DIR_ORIG].src, 0) % n);
	}
	e->status |= CT_S_SNAT;
	return true;
}

/* ---- the hook ---- */

/* Step 4 for one packet the earlier steps passed: the filter chain's
 * verdict, SNAT, confirmation. Returns its edge. `key` and `res` are its
 * classification (filter != NULL). */
static inline rte_edge_t
finish_one(struct hook_ctx *c, const struct nf_rt_chain *filter, struct rte_mbuf *m,
	   struct nf_pkt *p, const struct nf_key *key, uint32_t res)
{
	struct pkt_meta *meta = pkt_meta(m);
	bool stale;
	struct ct_entry *e = meta_entry(c, meta, &stale);
	if (unlikely(stale)) /* killed by an earlier packet of this burst (its
			      * connection's first packet, refused) */
		return NF_EDGE_DROP_CT_STALE;
	if (filter != NULL) {
		struct verdict v = walk(c, filter, (int)res - 1, key, m, p);
		if (v.t == NF_T_DROP) {
			kill_if_new(c, e, meta);
			return v.policy ? NF_EDGE_DROP_POLICY : NF_EDGE_DROP_RULE;
		}
		if (v.t == NF_T_REJECT) {
			kill_if_new(c, e, meta);
			if (v.r->u.reject.tcp_reset) /* never a RST for a RST (RFC 9293 §3.10.7.1) */
				return (p->tcp_flags & RTE_TCP_RST_FLAG) || !p->l4_ok ? NF_EDGE_DROP_RULE
										: NF_EDGE_TCP_RESET;
			meta->icmp_type = v.r->u.reject.type;
			meta->icmp_code = v.r->u.reject.code;
			return NF_EDGE_ICMP_ERROR;
		}
	}
	if (e != NULL && (c->hook == NF_HOOK_POSTROUTING || c->hook == NF_HOOK_INPUT)) {
		if (!(e->status & CT_S_SNAT_DONE)) {
			if (c->hook == NF_HOOK_POSTROUTING && !snat_decide(c, e, m, p)) {
				ct_kill(c->cw, e, c->w->now);
				return NF_EDGE_DROP_NAT_NO_PORT;
			}
			e->status |= CT_S_SNAT_DONE;
		}
		if ((e->status & (CT_S_SNAT | CT_S_DNAT)) &&
		    nat_apply(m, p, e, meta_dir(meta), NAT_MANIP_SRC, meta_related(meta)) < 0) {
			kill_if_new(c, e, meta);
			return NF_EDGE_DROP_TRUNCATED;
		}
		int rc;
		if (!(e->status & CT_S_CONFIRMED) && !meta_related(meta) &&
		    (rc = ct_confirm(c->cw, e)) < 0) {
			ct_kill(c->cw, e, c->w->now);
			return rc == -EEXIST ? NF_EDGE_DROP_CT_CLASH : NF_EDGE_DROP_CT_FULL;
		}
	}
	if (c->hook == NF_HOOK_OUTPUT && (meta->flags & PKT_META_F_LOCAL_DST))
		return NF_EDGE_LOCAL;
	return NF_EDGE_NEXT;
}

static uint16_t
nf_hook_slow(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs,
	     enum nf_hook hook, struct dp_worker *w, const struct nf_ruleset *rs)
{
	struct hook_ctx c = {
		.w = w,
		.rs = rs,
		.cw = rs->ct && w->nf != NULL ? w->nf->ct : NULL,
		.cnt = rs->cnt[w->id],
		.hook = hook,
	};
	const int32_t fb = rs->base[NF_TABLE_FILTER][hook];
	const struct nf_rt_chain *filter = fb >= 0 ? &rs->rt[fb] : NULL;
	const bool ct_in_hook = hook == NF_HOOK_PREROUTING || hook == NF_HOOK_OUTPUT;
	struct nf_pkt p[RTE_GRAPH_BURST_SIZE];
	struct nf_key keys[RTE_GRAPH_BURST_SIZE];
	const struct nf_key *kp[RTE_GRAPH_BURST_SIZE];
	uint32_t res[RTE_GRAPH_BURST_SIZE];
	uint16_t kidx[RTE_GRAPH_BURST_SIZE];
	rte_edge_t edge[RTE_GRAPH_BURST_SIZE];
	uint16_t nk = 0;

	const bool clamped = nb_objs > RTE_GRAPH_BURST_SIZE;
	if (unlikely(clamped))
		nb_objs = RTE_GRAPH_BURST_SIZE; /* a node never gets more in one call */

	/* 1: parse; conntrack's lookups for the whole burst at once. */
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct pkt_meta *meta = pkt_meta(objs[i]);
		edge[i] = NF_EDGE_NEXT;
		nf_pkt_parse(objs[i], &p[i]);
		if (ct_in_hook || c.cw == NULL) {
			/* Conntrack off: every packet is UNTRACKED, whatever
			 * an earlier hook left (or did not). */
			meta->ct_idx = CT_IDX_NONE;
			meta->ct_info = CT_ST_UNTRACKED;
			meta->nf_flags &= (uint8_t)~NF_PKT_F_CT_NEW;
		}
	}
	int found[RTE_GRAPH_BURST_SIZE];
	uint32_t fidx[RTE_GRAPH_BURST_SIZE];
	int fdir[RTE_GRAPH_BURST_SIZE];
	if (c.cw != NULL && ct_in_hook) {
		const struct ct_tuple *tk[RTE_GRAPH_BURST_SIZE];
		for (uint16_t i = 0; i < nb_objs; i++)
			tk[i] = &p[i].tuple;
		ct_lookup_burst(c.cw, tk, nb_objs, found, fidx, fdir);
	}

	/* 2: conntrack, DNAT; the keys of the packets the filter sees. */
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		struct pkt_meta *meta = pkt_meta(m);
		if (c.cw != NULL && ct_in_hook) {
			uint32_t idx;
			uint8_t info;
			bool created;
			switch (ct_in_found(c.cw, &p[i], w->now, found[i], fidx[i], fdir[i], &idx,
					    &info, &created)) {
			case CT_V_HANDOFF:
				if (meta->nf_flags & NF_PKT_F_HOP) {
					/* Handed over once, and the owner changed
					 * again meanwhile: give up on it. */
					edge[i] = NF_EDGE_DROP_CT_STALE;
					continue;
				}
				meta->ct_idx = idx;
				if (hook == NF_HOOK_OUTPUT)
					meta->nf_flags |= NF_PKT_F_OUTPUT;
				else
					meta->nf_flags &= (uint8_t)~NF_PKT_F_OUTPUT;
				edge[i] = NF_EDGE_HANDOFF;
				continue;
			case CT_V_FULL:
				edge[i] = NF_EDGE_DROP_CT_FULL;
				continue;
			case CT_V_OK:
			default:
				break;
			}
			meta->ct_idx = idx;
			meta->ct_info = info;
			if (created)
				meta->nf_flags |= NF_PKT_F_CT_NEW;
			if (idx != CT_IDX_NONE) {
				struct ct_entry *e = ct_entry_at(c.cw->t, idx);
				meta->ct_gen = e->gen;
				if (!(e->status & CT_S_DNAT_DONE)) {
					e->in_port = meta->in_port;
					if (hook == NF_HOOK_PREROUTING)
						dnat_decide(&c, e, m, &p[i]);
					e->status |= CT_S_DNAT_DONE;
				}
				if (e->status & (CT_S_SNAT | CT_S_DNAT)) {
					int rc = nat_apply(m, &p[i], e, meta_dir(meta), NAT_MANIP_DST,
							   meta_related(meta));
					if (rc < 0) {
						kill_if_new(&c, e, meta);
						edge[i] = NF_EDGE_DROP_TRUNCATED;
						continue;
					}
					if (rc > 0 && filter != NULL)
						nf_pkt_parse(m, &p[i]); /* what the filter sees */
				}
			}
		} else if (c.cw != NULL) {
			bool stale;
			meta_entry(&c, meta, &stale);
			if (unlikely(stale)) {
				edge[i] = NF_EDGE_DROP_CT_STALE;
				continue;
			}
		}
		if (filter != NULL) {
			nf_key_build(&keys[nk], &p[i], meta, hook);
			kp[nk] = &keys[nk];
			kidx[i] = nk++;
		}
	}

	/* 3: the filter chain, the whole burst in one classification. */
	if (filter != NULL && nk > 0)
		nf_chain_classify(filter, kp, res, nk);

	/* 4: verdicts, SNAT, confirmation; the edges go out together (the
	 * whole stream moves at once when every packet takes one edge). */
	rte_edge_t out[RTE_GRAPH_BURST_SIZE];
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		if (edge[i] != NF_EDGE_NEXT)
			out[i] = edge[i];
		else if (filter != NULL)
			out[i] = finish_one(&c, filter, objs[i], &p[i], &keys[kidx[i]], res[kidx[i]]);
		else
			out[i] = finish_one(&c, NULL, objs[i], &p[i], NULL, 0);
		graph_burst_add(&b, out[i]);
	}
	if (likely(!clamped))
		graph_burst_send(graph, node, objs, out, nb_objs, &b);
	else
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, out[i], objs[i]);
	return nb_objs;
}

uint16_t
nf_hook_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs,
		enum nf_hook hook)
{
	struct dp_worker *w = dp_worker_of(node);
	const struct nf_ruleset *rs = w->nf_rs;
	if (likely(rs == NULL || !(rs->hooks & (1u << hook))))
		return nf_pass(graph, node, objs, nb_objs, hook);
	return nf_hook_slow(graph, node, objs, nb_objs, hook, w, rs);
}

GRAPH_DROP_NODE(ct_table_full);
GRAPH_DROP_NODE(ct_clash);
GRAPH_DROP_NODE(ct_stale);
GRAPH_DROP_NODE(nat_no_port);
GRAPH_DROP_NODE(nf_truncated);
