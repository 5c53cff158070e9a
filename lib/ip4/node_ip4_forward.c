/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_forward: a datagram routed through us (pkt_meta out_port and nexthop
 * set by ip4_route). RFC 1812 §5.3.1: TTL expired → ICMP time exceeded;
 * too big for the out port with DF set → ICMP fragmentation needed
 * carrying the MTU (RFC 1191 §4); otherwise the TTL is decremented and the
 * datagram goes to the FORWARD hook (nf_forward), then POSTROUTING and
 * ip4_mtu, which fragments it if it does not fit.
 *
 * Both checks come before the FORWARD hook, where Linux's ip_forward()
 * makes them: traceroute through a FORWARD policy of DROP still sees this
 * hop, and the errors quote the header as it arrived (TTL not yet
 * decremented, no SNAT yet).
 */
#include <netinet/ip_icmp.h>

#include "graph.h"
#include "ip4_check.h"

enum {
	IP4_FORWARD_NEXT_FORWARD_HOOK,
	IP4_FORWARD_NEXT_ICMP_ERROR,
	IP4_FORWARD_NB_EDGES,
};

static inline rte_edge_t
ip4_forward_one(const struct dp_shared *sh, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint16_t mtu = sh->ports[meta->out_port].mtu;

	switch (ip4_forward_check(h, rte_pktmbuf_pkt_len(m), mtu)) {
	case IP4_FORWARD_OK:
	case IP4_FORWARD_FRAGMENT: /* ip4_mtu cuts it: every fragment inherits the TTL */
		ip4_ttl_decrement(h); /* RFC 1624 incremental checksum */
		return IP4_FORWARD_NEXT_FORWARD_HOOK;
	case IP4_FORWARD_TTL_EXPIRED:
		meta->icmp_type = ICMP_TIME_EXCEEDED;
		meta->icmp_code = ICMP_EXC_TTL;
		return IP4_FORWARD_NEXT_ICMP_ERROR;
	case IP4_FORWARD_TOO_BIG:
	default:
		/* RFC 1191 §4: code 4 with the next-hop MTU. */
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_FRAG_NEEDED;
		meta->icmp_mtu = mtu;
		return IP4_FORWARD_NEXT_ICMP_ERROR;
	}
}

static uint16_t
ip4_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		    uint16_t nb_objs)
{
	const struct dp_shared *sh = dp_worker_of(node)->sh;
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst: one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, ip4_forward_one(sh, objs[i]), objs[i]);
		return nb_objs;
	}
	for (uint16_t i = 0; i < nb_objs; i++)
		edges[i] = ip4_forward_one(sh, objs[i]);
	graph_next_burst(graph, node, objs, edges, nb_objs);
	return nb_objs;
}

static struct rte_node_register ip4_forward_node = {
	.name = "ip4_forward",
	.process = ip4_forward_process,
	.nb_edges = IP4_FORWARD_NB_EDGES,
	.next_nodes =
		{
			[IP4_FORWARD_NEXT_FORWARD_HOOK] = "nf_forward",
			[IP4_FORWARD_NEXT_ICMP_ERROR] = "icmp_error",
		},
};
RTE_NODE_REGISTER(ip4_forward_node);
