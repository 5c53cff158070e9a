/* SPDX-License-Identifier: BSD-3-Clause */
#include "arp.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "route.h"

bool
arp_valid(const struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_arp_hdr))
		return false;
	const struct rte_arp_hdr *a = rte_pktmbuf_mtod(m, const struct rte_arp_hdr *);
	return a->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
	       a->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	       a->arp_hlen == RTE_ETHER_ADDR_LEN && a->arp_plen == 4 &&
	       (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) ||
		a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY));
}

/* Build an ARP frame into a new mbuf, ready for port_tx. */
static struct rte_mbuf *
arp_build(struct arp_ctl *c, uint16_t port, uint16_t op, const struct rte_ether_addr *eth_dst,
	  uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->sh->pool);
	if (m == NULL)
		return NULL;
	struct rte_ether_hdr *eh =
		(struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(struct rte_arp_hdr));
	const struct rte_ether_addr *own = &c->sh->ports[port].mac;
	eh->dst_addr = *eth_dst;
	eh->src_addr = *own;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *own;
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	a->arp_data.arp_tha = *tha;
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	struct pkt_meta *pm = pkt_meta(m);
	memset(pm, 0, sizeof(*pm));
	pm->out_port = port;
	pm->in_port = port;
	pm->flags = PKT_META_F_L2_READY | PKT_META_F_LOCAL_OUT;
	return m;
}

static void
send_frame(struct arp_ctl *c, struct rte_mbuf *m)
{
	if (m == NULL || c->xmit(c->xmit_ctx, m) != 0)
		c->st.tx_failed++;
}

static void
send_request(struct arp_ctl *c, const struct neigh_entry *e, bool unicast)
{
	static const struct rte_ether_addr bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;
	uint32_t sip = route_port_addr_for(c->sh->routes, e->port, e->ip);
	send_frame(c, arp_build(c, e->port, RTE_ARP_OP_REQUEST, unicast ? &e->mac : &bcast, sip,
				&zero, e->ip));
	c->st.tx_requests++;
}

void
arp_ctl_gratuitous(struct arp_ctl *c, uint16_t port, uint32_t addr)
{
	static const struct rte_ether_addr bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;
	/* A request with sender = target = our address (RFC 5227 §3). */
	send_frame(c, arp_build(c, port, RTE_ARP_OP_REQUEST, &bcast, addr, &zero, addr));
	c->st.tx_gratuitous++;
}

/* Send held packets on (the entry is usable) or drop them. */
static void
release_hold(struct arp_ctl *c, struct neigh_entry *e, bool send)
{
	for (unsigned int i = 0; i < e->n_hold; i++) {
		struct rte_mbuf *m = e->hold[i];
		struct pkt_meta *pm = pkt_meta(m);
		if (send) {
			pm->flags |= PKT_META_F_HELD;
			send_frame(c, m);
		} else if (!(pm->flags & PKT_META_F_LOCAL_OUT)) {
			/* RFC 1812 §4.3.3.1: a forwarded packet whose next hop
			 * does not answer gets ICMP host unreachable. */
			pm->flags = (uint16_t)((pm->flags | PKT_META_F_ICMP_ERR) & ~PKT_META_F_HELD);
			pm->icmp_type = 3;
			pm->icmp_code = 1;
			c->st.unreach_sent++;
			c->st.resolve_failed++;
			send_frame(c, m);
		} else {
			c->st.resolve_failed++;
			rte_pktmbuf_free(m);
		}
	}
	c->t->n_hold -= e->n_hold;
	e->n_hold = 0;
}

static void
apply(struct arp_ctl *c, struct neigh_entry *e, unsigned int act)
{
	if (act & NEIGH_ACT_PUBLISH)
		neigh_publish(e);
	if (act & NEIGH_ACT_SEND_BROADCAST)
		send_request(c, e, false);
	if (act & NEIGH_ACT_SEND_UNICAST)
		send_request(c, e, true);
	if (act & NEIGH_ACT_FLUSH_HOLD)
		release_hold(c, e, true);
	if (act & (NEIGH_ACT_DROP_HOLD | NEIGH_ACT_DELETE))
		release_hold(c, e, false);
	if (act & NEIGH_ACT_DELETE)
		neigh_delete(c->t, e);
}

void
arp_ctl_input(struct arp_ctl *c, struct rte_mbuf *m, uint64_t now)
{
	const struct rte_arp_hdr *a = rte_pktmbuf_mtod(m, const struct rte_arp_hdr *);
	uint16_t port = pkt_meta(m)->in_port;
	uint32_t sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	uint32_t tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	struct rte_ether_addr sha = a->arp_data.arp_sha;
	bool request = a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST);
	bool for_us = route_is_local_addr(c->sh->routes, port, tip);

	if (request)
		c->st.rx_requests++;
	else
		c->st.rx_replies++;

	/* RFC 826 "merge": update the sender if we have an entry; a request
	 * for our address also creates one (as Linux does). Probes with
	 * sender 0.0.0.0 (RFC 5227) teach nothing. */
	struct neigh_entry *e = sip != 0 ? neigh_find(c->t, port, sip) : NULL;
	if (e == NULL && sip != 0 && request && for_us) {
		e = neigh_get(c->t, port, sip);
		if (e == NULL)
			c->st.table_full++;
	}
	if (e != NULL && !e->is_static) {
		bool changed = !rte_is_same_ether_addr(&e->mac, &sha);
		e->mac = sha;
		unsigned int act = request ? neigh_sm_heard(&c->t->params, &e->sm, changed, now)
					   : neigh_sm_confirm(&c->t->params, &e->sm, now);
		apply(c, e, act | (changed ? NEIGH_ACT_PUBLISH : 0));
	} else if (e == NULL && !request) {
		c->st.rx_unsolicited++;
	}

	if (request) {
		if (for_us && sip != tip) {
			send_frame(c, arp_build(c, port, RTE_ARP_OP_REPLY, &sha, tip, &sha, sip));
			c->st.tx_replies++;
		} else if (!for_us) {
			c->st.rx_not_for_us++;
		}
	}
	rte_pktmbuf_free(m);
}

void
arp_ctl_resolve(struct arp_ctl *c, struct rte_mbuf *m, uint64_t now)
{
	struct pkt_meta *pm = pkt_meta(m);
	struct neigh_entry *e = neigh_get(c->t, pm->out_port, pm->nexthop);
	if (e == NULL) {
		c->st.table_full++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Hold first, then let the state machine decide: it may release at
	 * once (the entry became usable meanwhile) or drop (FAILED). */
	if (e->n_hold == NEIGH_HOLD_MAX || c->t->n_hold >= NEIGH_HOLD_TOTAL) {
		if (e->n_hold == 0) {
			c->st.hold_overflow++;
			rte_pktmbuf_free(m);
			return;
		}
		/* Drop the oldest (Linux's unres_qlen behaviour). */
		rte_pktmbuf_free(e->hold[0]);
		memmove(&e->hold[0], &e->hold[1], (e->n_hold - 1) * sizeof(e->hold[0]));
		e->n_hold--;
		c->t->n_hold--;
		c->st.hold_overflow++;
	}
	e->hold[e->n_hold++] = m;
	c->t->n_hold++;
	c->st.held++;
	apply(c, e, neigh_sm_resolve(&c->t->params, &e->sm, now));
}

struct timer_ctx {
	struct arp_ctl *c;
	uint64_t now;
};

static int
timer_one(struct neigh_entry *e, void *arg)
{
	struct timer_ctx *tc = arg;
	if (e->is_static)
		return 0;
	bool used = __atomic_load_n(&e->used, __ATOMIC_RELAXED) != 0;
	bool due = e->sm.timer != 0 && tc->now >= e->sm.timer;
	if (due || (e->sm.state == NEIGH_STALE && used)) {
		__atomic_store_n(&e->used, 0, __ATOMIC_RELAXED);
		apply(tc->c, e, neigh_sm_timer(&tc->c->t->params, &e->sm, used, tc->now));
	}
	return 0;
}

void
arp_ctl_timer(struct arp_ctl *c, uint64_t now)
{
	struct timer_ctx tc = {.c = c, .now = now};
	neigh_foreach(c->t, timer_one, &tc);
}

int
arp_ctl_add_static(struct arp_ctl *c, uint16_t port, uint32_t ip, const struct rte_ether_addr *mac)
{
	if (port >= c->sh->n_ports || ip == 0)
		return EINVAL;
	struct neigh_entry *e = neigh_get(c->t, port, ip);
	if (e == NULL)
		return ENOSPC;
	e->is_static = true;
	e->mac = *mac;
	e->sm.state = NEIGH_PERMANENT;
	e->sm.timer = 0;
	neigh_publish(e);
	release_hold(c, e, true);
	return 0;
}

int
arp_ctl_del(struct arp_ctl *c, uint16_t port, uint32_t ip)
{
	struct neigh_entry *e = neigh_find(c->t, port, ip);
	if (e == NULL)
		return ESRCH;
	release_hold(c, e, false);
	neigh_delete(c->t, e);
	return 0;
}

struct flush_ctx {
	struct arp_ctl *c;
	int port;
	unsigned int n;
};

static int
flush_one(struct neigh_entry *e, void *arg)
{
	struct flush_ctx *fc = arg;
	if (e->is_static || (fc->port >= 0 && e->port != fc->port))
		return 0;
	release_hold(fc->c, e, false);
	neigh_delete(fc->c->t, e);
	fc->n++;
	return 0;
}

unsigned int
arp_ctl_flush(struct arp_ctl *c, int port)
{
	struct flush_ctx fc = {.c = c, .port = port};
	neigh_foreach(c->t, flush_one, &fc);
	return fc.n;
}
