/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_STAGE_H
#define CAV_IP4_STAGE_H

/*
 * The per-packet work of the route lookup (ip4_route) and of forwarding
 * (ip4_forward), private to lib/ip4. Each node calls its own; ip4_input
 * also makes the route decision when PREROUTING has nothing to do in this
 * walk (dp_worker.nf_busy), and ip4_forward skips the idle hooks and
 * ip4_mtu behind it, so that a forwarded datagram crosses three nodes
 * (ip4_input, ip4_forward, neigh_output) instead of eight: the same
 * decisions in the same order, without the node hops (docs/architecture.md,
 * "Measured choices").
 */

#include <netinet/ip_icmp.h>

#include <rte_ip.h>

#include "dp.h"
#include "ip4_check.h"
#include "route.h"

enum ip4_route_verdict {
	IP4_ROUTE_LOCAL,       /* ours or a broadcast: the INPUT hook */
	IP4_ROUTE_FORWARD,     /* pkt_meta out_port and nexthop set */
	IP4_ROUTE_UNREACHABLE, /* no route: pkt_meta icmp_type/code set */
};

/*
 * The FIB lookup of a received datagram (data at the IPv4 header). A
 * directed broadcast of one of our subnets falls in a connected route;
 * 255.255.255.255 may fall in the default route or in none. Both are for
 * us (RFC 1812 §5.3.5.1: we do not forward directed broadcasts, as Linux
 * by default). No route: destination unreachable, net unreachable (RFC
 * 1812 §5.2.7.1).
 */
static inline enum ip4_route_verdict
ip4_route_decide(const struct route_table *rt, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);
	const struct nexthop *nh = route_lookup(rt, dst);
	if (likely(nh != NULL) && nh->type == NH_GATEWAY && likely(dst != UINT32_MAX)) {
		/* The common case of a router, first: via a gateway. */
		meta->out_port = nh->port;
		meta->nexthop = nh->gw;
		return IP4_ROUTE_FORWARD;
	}
	if (nh != NULL && nh->type == NH_LOCAL)
		return IP4_ROUTE_LOCAL;
	if ((nh == NULL || nh->type == NH_CONNECTED || dst == UINT32_MAX) &&
	    route_is_broadcast(rt, dst))
		return IP4_ROUTE_LOCAL;
	if (nh == NULL) {
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_NET_UNREACH;
		return IP4_ROUTE_UNREACHABLE;
	}
	meta->out_port = nh->port;
	meta->nexthop = nh->type == NH_GATEWAY ? nh->gw : dst;
	return IP4_ROUTE_FORWARD;
}

/*
 * A routed datagram (ip4_route_decide said FORWARD): RFC 1812 §5.3.1's
 * TTL check and the out port's MTU, on the header as it arrived so that an
 * error quotes it unchanged. OK and FRAGMENT decrement the TTL (RFC 1624
 * incremental checksum; every fragment inherits it); TTL_EXPIRED and
 * TOO_BIG set pkt_meta's ICMP type, code (and the MTU, RFC 1191 §4).
 */
static inline enum ip4_forward_verdict
ip4_forward_decide(const struct dp_shared *sh, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint16_t mtu = sh->ports[meta->out_port].mtu;
	enum ip4_forward_verdict v = ip4_forward_check(h, rte_pktmbuf_pkt_len(m), mtu);

	switch (v) {
	case IP4_FORWARD_OK:
	case IP4_FORWARD_FRAGMENT:
		ip4_ttl_decrement(h);
		break;
	case IP4_FORWARD_TTL_EXPIRED:
		meta->icmp_type = ICMP_TIME_EXCEEDED;
		meta->icmp_code = ICMP_EXC_TTL;
		break;
	case IP4_FORWARD_TOO_BIG:
	default:
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_FRAG_NEEDED;
		meta->icmp_mtu = mtu;
		break;
	}
	return v;
}

#endif
