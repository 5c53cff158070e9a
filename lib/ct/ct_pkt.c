/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing a datagram for the hooks, and conntrack's decision for it.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "counter.h"
#include "ct_pkt.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO 8
#define ICMP_TIMESTAMP 13
#define ICMP_TIMESTAMP_REPLY 14

/* TCP options (RFC 9293 §3.1, RFC 7323, RFC 2018) from the header at
 * `off` (hl bytes long): window scale, highest SACK edge, MSS position. */
static void
tcp_options(const struct rte_mbuf *m, uint32_t off, uint32_t hl, struct nf_pkt *p)
{
	uint8_t buf[40];
	uint32_t n = hl - sizeof(struct rte_tcp_hdr);
	const uint8_t *o = rte_pktmbuf_read(m, off + sizeof(struct rte_tcp_hdr), n, buf);
	if (o == NULL)
		return;
	for (uint32_t i = 0; i < n;) {
		uint8_t kind = o[i];
		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* no-op */
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			break; /* malformed: stop reading, keep what we have */
		uint8_t len = o[i + 1];
		if (kind == 2 && len == 4 && (p->tcp_flags & RTE_TCP_SYN_FLAG)) {
			p->mss_off = (uint16_t)(off + sizeof(struct rte_tcp_hdr) + i + 2);
		} else if (kind == 3 && len == 3 && (p->tcp_flags & RTE_TCP_SYN_FLAG)) {
			p->seg.wscale = (int8_t)(o[i + 2] > 14 ? 14 : o[i + 2]);
		} else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
			/* SACK blocks: what the receiver holds beyond ack. */
			for (uint32_t b = i + 2; b + 8 <= (uint32_t)(i + len); b += 8) {
				uint32_t right = (uint32_t)o[b + 4] << 24 | (uint32_t)o[b + 5] << 16 |
						 (uint32_t)o[b + 6] << 8 | o[b + 7];
				if ((int32_t)(right - p->seg.sack) > 0)
					p->seg.sack = right;
			}
		}
		i += len;
	}
}

/* The quoted datagram of an ICMP error at `off` (its IPv4 header). */
static void
parse_quoted(const struct rte_mbuf *m, uint32_t off, struct nf_pkt *p)
{
	struct rte_ipv4_hdr ibuf;
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_read(m, off, sizeof(ibuf), &ibuf);
	if (ih == NULL || (ih->version_ihl >> 4) != 4 || (ih->version_ihl & 0xf) < 5)
		return;
	uint32_t ihl = rte_ipv4_hdr_len(ih);
	uint32_t l4 = off + ihl;
	if (l4 + 8 > p->ip_len)
		return; /* RFC 792: at least 8 bytes of it must be there */
	uint8_t b[8];
	const uint8_t *t = rte_pktmbuf_read(m, l4, 8, b);
	if (t == NULL)
		return;
	struct ct_tuple *q = &p->inner;
	memset(q, 0, sizeof(*q));
	q->src = ih->src_addr;
	q->dst = ih->dst_addr;
	q->proto = ih->next_proto_id;
	switch (q->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		memcpy(&q->sport, t, 2);
		memcpy(&q->dport, t + 2, 2);
		break;
	case IPPROTO_ICMP:
		/* Only a query has a connection: an error about an echo. */
		if (t[0] != ICMP_ECHO && t[0] != ICMP_ECHO_REPLY)
			return;
		memcpy(&q->sport, t + 4, 2);
		q->dport = q->sport;
		break;
	default:
		break;
	}
	p->inner_off = (uint16_t)off;
	p->inner_l4_off = (uint16_t)l4;
	p->inner_l4_len = (uint16_t)(p->ip_len - l4);
	p->icmp_err = 1;
}

void
nf_pkt_parse(const struct rte_mbuf *m, struct nf_pkt *p)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hl = rte_ipv4_hdr_len(h);

	/* Every field a reader may use is set here (no memset of the whole
	 * struct: this runs at each hook for each packet); `inner` is set
	 * with icmp_err, `seg` for TCP. */
	p->tuple = (struct ct_tuple){.src = h->src_addr, .dst = h->dst_addr,
				     .proto = h->next_proto_id};
	p->ip_len = rte_be_to_cpu_16(h->total_length);
	p->l4_off = (uint16_t)hl;
	p->dscp = h->type_of_service >> 2;
	p->ttl = h->time_to_live;
	p->frag = 0;
	p->l4_ok = 0;
	p->tcp_flags = 0;
	p->icmp_type = 0;
	p->icmp_code = 0;
	p->icmp_err = 0;
	p->mss_off = 0;
	if (h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) {
		p->frag = 1;
		return;
	}
	uint32_t l4len = p->ip_len > hl ? p->ip_len - hl : 0;

	switch (p->tuple.proto) {
	case IPPROTO_TCP: {
		struct rte_tcp_hdr tb;
		const struct rte_tcp_hdr *th;
		if (l4len < sizeof(tb) || (th = rte_pktmbuf_read(m, hl, sizeof(tb), &tb)) == NULL)
			return;
		uint32_t thl = (uint32_t)(th->data_off >> 4) * 4;
		if (thl < sizeof(tb) || thl > l4len)
			return;
		p->tuple.sport = th->src_port;
		p->tuple.dport = th->dst_port;
		p->tcp_flags = th->tcp_flags;
		p->seg.wscale = -1;
		p->seg.seq = rte_be_to_cpu_32(th->sent_seq);
		p->seg.ack = rte_be_to_cpu_32(th->recv_ack);
		p->seg.sack = p->seg.ack;
		p->seg.win = rte_be_to_cpu_16(th->rx_win);
		p->seg.flags = th->tcp_flags;
		p->seg.len = l4len - thl;
		if (thl > sizeof(tb))
			tcp_options(m, hl, thl, p);
		p->l4_ok = 1;
		break;
	}
	case IPPROTO_UDP: {
		struct rte_udp_hdr ub;
		const struct rte_udp_hdr *uh;
		if (l4len < sizeof(ub) || (uh = rte_pktmbuf_read(m, hl, sizeof(ub), &ub)) == NULL)
			return;
		p->tuple.sport = uh->src_port;
		p->tuple.dport = uh->dst_port;
		p->l4_ok = 1;
		break;
	}
	case IPPROTO_ICMP: {
		struct rte_icmp_hdr ib;
		const struct rte_icmp_hdr *ic;
		if (l4len < sizeof(ib) || (ic = rte_pktmbuf_read(m, hl, sizeof(ib), &ib)) == NULL)
			return;
		p->icmp_type = ic->icmp_type;
		p->icmp_code = ic->icmp_code;
		p->l4_ok = 1;
		if (nf_icmp_is_error(ic->icmp_type)) {
			parse_quoted(m, hl + sizeof(ib), p);
		} else {
			/* Queries: the identifier is the "port" both ways. */
			p->tuple.sport = ic->icmp_ident;
			p->tuple.dport = ic->icmp_ident;
		}
		break;
	}
	default:
		p->l4_ok = 1; /* nothing to read */
		break;
	}
}

/* ---- conntrack's decision ---- */

static inline bool
expired(const struct ct_entry *e, uint64_t now)
{
	return (int64_t)(now - e->expires) >= 0;
}

static inline uint8_t
est_info(const struct ct_entry *e, int dir)
{
	if (dir == CT_DIR_REPLY)
		return CT_ST_ESTABLISHED | CT_INFO_REPLY;
	return (e->status & CT_S_SEEN_REPLY) ? CT_ST_ESTABLISHED : CT_ST_NEW;
}

/* May this packet start a connection? (TCP: a SYN, or an ACK with
 * tcp_loose; ICMP: a query; the rest: anything.) */
static bool
may_start(const struct ct_table *t, const struct nf_pkt *p)
{
	switch (p->tuple.proto) {
	case IPPROTO_TCP: {
		enum ct_tcp_class c = ct_tcp_classify(p->tcp_flags);
		return ct_tcp_flags_valid(p->tcp_flags) &&
		       (c == CT_TCP_C_SYN || (c == CT_TCP_C_ACK && t->tcp_loose));
	}
	case IPPROTO_ICMP:
		return p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_TIMESTAMP;
	default:
		return true;
	}
}

/* An existing entry's protocol says yes (a state), ignore, or invalid. */
enum track { TRACK_OK, TRACK_IGNORE, TRACK_INVALID, TRACK_REOPEN };

static enum track
track(struct ct_entry *e, int dir, const struct nf_pkt *p)
{
	switch (p->tuple.proto) {
	case IPPROTO_TCP: {
		unsigned int next = ct_tcp_track(e, dir, &p->seg);
		if (next == CT_TCP_INVALID)
			return TRACK_INVALID;
		if (next == CT_TCP_IGNORE)
			return TRACK_IGNORE;
		if (next == CT_TCP_SYN_SENT && e->state >= CT_TCP_TIME_WAIT)
			return TRACK_REOPEN;
		/* Two-way and through the handshake: never early-dropped. */
		if (next == CT_TCP_ESTABLISHED && e->state != CT_TCP_ESTABLISHED &&
		    (e->status & CT_S_SEEN_REPLY))
			e->status |= CT_S_ASSURED;
		e->state = (uint8_t)next;
		return TRACK_OK;
	}
	case IPPROTO_ICMP:
		/* The request goes one way, the reply the other. */
		if (p->icmp_type != (dir == CT_DIR_ORIG ? ICMP_ECHO : ICMP_ECHO_REPLY) &&
		    p->icmp_type != (dir == CT_DIR_ORIG ? ICMP_TIMESTAMP : ICMP_TIMESTAMP_REPLY))
			return TRACK_INVALID;
		return TRACK_OK;
	case IPPROTO_UDP:
	default:
		if (dir == CT_DIR_ORIG && (e->status & CT_S_SEEN_REPLY))
			e->status |= CT_S_ASSURED; /* a stream: both ways, then more */
		return TRACK_OK;
	}
}

enum ct_verdict
ct_in(struct ct_worker *cw, const struct nf_pkt *p, uint64_t now, uint32_t *idx, uint8_t *info,
      bool *created)
{
	uint32_t i = 0;
	int dir = 0;
	int found = ct_lookup(cw->t, &p->tuple, &i, &dir);
	return ct_in_found(cw, p, now, found, i, dir, idx, info, created);
}

enum ct_verdict
ct_in_found(struct ct_worker *cw, const struct nf_pkt *p, uint64_t now, int found, uint32_t i,
	    int dir, uint32_t *idx, uint8_t *info, bool *created)
{
	struct ct_table *t = cw->t;

	*idx = CT_IDX_NONE;
	*created = false;
	if (unlikely(!p->l4_ok || p->frag)) {
		/* Cut short, or a later fragment (reassembly is on whenever
		 * conntrack is: only a broken datagram gets here). */
		*info = CT_ST_INVALID;
		counter_add(&cw->st.invalid, 1);
		return CT_V_OK;
	}
	if (unlikely(p->tuple.proto == IPPROTO_ICMP && nf_icmp_is_error(p->icmp_type))) {
		/* RELATED: the connection the quoted datagram belongs to,
		 * which travelled the other way. */
		struct ct_tuple k = ct_tuple_invert(&p->inner);
		if (!p->icmp_err || ct_lookup(t, &k, &i, &dir) != 0) {
			*info = CT_ST_INVALID;
			counter_add(&cw->st.invalid, 1);
			return CT_V_OK;
		}
		if (ct_owner_of(t, i) != cw->id) {
			*idx = i;
			return CT_V_HANDOFF;
		}
		struct ct_entry *e = ct_entry_at(t, i);
		if (!(e->status & CT_S_IN_USE) || expired(e, now)) {
			*info = CT_ST_INVALID;
			counter_add(&cw->st.invalid, 1);
			return CT_V_OK;
		}
		*idx = i;
		*info = (uint8_t)(CT_ST_RELATED | (dir == CT_DIR_REPLY ? CT_INFO_REPLY : 0));
		counter_add(&cw->st.related, 1);
		return CT_V_OK;
	}

	if (found == 0) {
		if (ct_owner_of(t, i) != cw->id) {
			*idx = i;
			return CT_V_HANDOFF;
		}
		struct ct_entry *e = ct_entry_at(t, i);
		if (unlikely(!(e->status & CT_S_IN_USE) ||
			     !ct_tuple_eq(&e->t[dir], &p->tuple)))
			/* A lookup made for the whole burst, before an earlier
			 * packet of it removed or replaced this entry: again. */
			return ct_in(cw, p, now, idx, info, created);
		if (expired(e, now)) {
			ct_kill(cw, e, now);
			counter_add(&cw->st.expired, 1);
		} else {
			switch (track(e, dir, p)) {
			case TRACK_INVALID:
				*info = CT_ST_INVALID;
				counter_add(&cw->st.invalid, 1);
				return CT_V_OK;
			case TRACK_IGNORE:
				*idx = i;
				*info = est_info(e, dir);
				counter_add(&cw->st.found, 1);
				return CT_V_OK;
			case TRACK_REOPEN:
				/* A SYN on a closed connection's tuple: a new one. */
				ct_kill(cw, e, now);
				counter_add(&cw->st.reopened, 1);
				break;
			case TRACK_OK:
			default:
				ct_seen(cw, e, dir, p->ip_len);
				ct_refresh(t, e, now);
				*idx = i;
				*info = est_info(e, dir);
				counter_add(&cw->st.found, 1);
				return CT_V_OK;
			}
		}
	}

	/* A new connection. */
	if (!may_start(t, p)) {
		*info = CT_ST_INVALID;
		counter_add(&cw->st.invalid, 1);
		return CT_V_OK;
	}
	uint32_t clash;
	struct ct_entry *e = ct_create(cw, &p->tuple, now, &clash);
	if (e == NULL) {
		if (clash != CT_IDX_NONE && ct_owner_of(t, clash) != cw->id) {
			/* Another worker created it meanwhile: it is the owner. */
			*idx = clash;
			return CT_V_HANDOFF;
		}
		if (clash != CT_IDX_NONE && found != 0) {
			/* An earlier packet of this burst created it after the
			 * burst's lookup: it exists now. */
			return ct_in(cw, p, now, idx, info, created);
		}
		return CT_V_FULL;
	}
	if (p->tuple.proto == IPPROTO_TCP && !ct_tcp_new(e, &p->seg, t->tcp_loose)) {
		ct_kill(cw, e, now); /* may_start said yes: cannot happen */
		*info = CT_ST_INVALID;
		return CT_V_OK;
	}
	ct_seen(cw, e, CT_DIR_ORIG, p->ip_len);
	ct_refresh(t, e, now);
	*idx = (uint32_t)(e - t->e);
	*info = CT_ST_NEW;
	*created = true;
	return CT_V_OK;
}
