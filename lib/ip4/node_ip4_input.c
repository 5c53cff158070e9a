/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_input: validate a received datagram (RFC 1812 §5.2.2, ip4_check.c),
 * trim the link-layer padding, then route it: ours or broadcast → ip4_local,
 * elsewhere → ip4_forward with pkt_meta out_port and nexthop set, nowhere →
 * icmp_error (destination unreachable, net unreachable).
 */
#include <netinet/ip_icmp.h>

#include <rte_ether.h>

#include "eth.h"
#include "graph.h"
#include "ip4.h"
#include "ip4_check.h"
#include "route.h"

enum {
	IP4_INPUT_NEXT_LOCAL,
	IP4_INPUT_NEXT_FORWARD,
	IP4_INPUT_NEXT_ICMP_ERROR,
	IP4_INPUT_DROP_TRUNCATED,
	IP4_INPUT_DROP_BAD_VERSION,
	IP4_INPUT_DROP_BAD_IHL,
	IP4_INPUT_DROP_BAD_CHECKSUM,
	IP4_INPUT_DROP_BAD_LENGTH,
	IP4_INPUT_DROP_MARTIAN_SRC,
	IP4_INPUT_DROP_MARTIAN_DST,
	IP4_INPUT_DROP_MULTICAST,
	IP4_INPUT_NB_EDGES,
};

static const rte_edge_t verdict_edge[] = {
	[IP4_INPUT_TRUNCATED] = IP4_INPUT_DROP_TRUNCATED,
	[IP4_INPUT_BAD_VERSION] = IP4_INPUT_DROP_BAD_VERSION,
	[IP4_INPUT_BAD_IHL] = IP4_INPUT_DROP_BAD_IHL,
	[IP4_INPUT_BAD_CHECKSUM] = IP4_INPUT_DROP_BAD_CHECKSUM,
	[IP4_INPUT_BAD_LENGTH] = IP4_INPUT_DROP_BAD_LENGTH,
	[IP4_INPUT_MARTIAN_SRC] = IP4_INPUT_DROP_MARTIAN_SRC,
	[IP4_INPUT_MARTIAN_DST] = IP4_INPUT_DROP_MARTIAN_DST,
	[IP4_INPUT_MULTICAST] = IP4_INPUT_DROP_MULTICAST,
};

static inline rte_edge_t
ip4_input_one(const struct route_table *rt, struct rte_mbuf *m)
{
	enum ip4_input_verdict v = ip4_input_check(m);
	if (unlikely(v != IP4_INPUT_OK))
		return verdict_edge[v];

	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t tot = rte_be_to_cpu_16(h->total_length);
	/* Ethernet pads short frames: the datagram ends at its total length.
	 * Padding is short and in the last segment; anything else is not a
	 * datagram we want. */
	if (unlikely(rte_pktmbuf_pkt_len(m) > tot) &&
	    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - tot)) != 0)
		return IP4_INPUT_DROP_BAD_LENGTH;

	/* §5.3.7 again: a directed broadcast of one of our subnets is no
	 * source either (the table knows our subnets, ip4_check does not). */
	if (unlikely(route_is_broadcast(rt, rte_be_to_cpu_32(h->src_addr))))
		return IP4_INPUT_DROP_MARTIAN_SRC;

	struct pkt_meta *meta = pkt_meta(m);
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);
	const struct nexthop *nh = route_lookup(rt, dst);
	if (nh != NULL && nh->type == NH_LOCAL)
		return IP4_INPUT_NEXT_LOCAL;
	/* A directed broadcast of one of our subnets falls in a connected
	 * route; 255.255.255.255 may fall in the default route or in none.
	 * Both are for us (RFC 1812 §5.3.5.1: we do not forward directed
	 * broadcasts, as Linux by default). */
	if ((nh == NULL || nh->type == NH_CONNECTED || dst == UINT32_MAX) &&
	    route_is_broadcast(rt, dst))
		return IP4_INPUT_NEXT_LOCAL;
	if (nh == NULL) {
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_NET_UNREACH;
		return IP4_INPUT_NEXT_ICMP_ERROR;
	}
	meta->out_port = nh->port;
	meta->nexthop = nh->type == NH_GATEWAY ? nh->gw : dst;
	return IP4_INPUT_NEXT_FORWARD;
}

static uint16_t
ip4_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct route_table *rt = dp_worker_of(node)->sh->routes;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, ip4_input_one(rt, m), m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_input_node = {
	.name = "ip4_input",
	.process = ip4_input_process,
	.nb_edges = IP4_INPUT_NB_EDGES,
	.next_nodes =
		{
			[IP4_INPUT_NEXT_LOCAL] = "ip4_local",
			[IP4_INPUT_NEXT_FORWARD] = "ip4_forward",
			[IP4_INPUT_NEXT_ICMP_ERROR] = "icmp_error",
			[IP4_INPUT_DROP_TRUNCATED] = "drop_ip4_truncated",
			[IP4_INPUT_DROP_BAD_VERSION] = "drop_ip4_bad_version",
			[IP4_INPUT_DROP_BAD_IHL] = "drop_ip4_bad_ihl",
			[IP4_INPUT_DROP_BAD_CHECKSUM] = "drop_ip4_bad_checksum",
			[IP4_INPUT_DROP_BAD_LENGTH] = "drop_ip4_bad_length",
			[IP4_INPUT_DROP_MARTIAN_SRC] = "drop_ip4_martian_src",
			[IP4_INPUT_DROP_MARTIAN_DST] = "drop_ip4_martian_dst",
			[IP4_INPUT_DROP_MULTICAST] = "drop_ip4_multicast",
		},
};
RTE_NODE_REGISTER(ip4_input_node);

GRAPH_DROP_NODE(ip4_truncated);
GRAPH_DROP_NODE(ip4_bad_version);
GRAPH_DROP_NODE(ip4_bad_ihl);
GRAPH_DROP_NODE(ip4_bad_checksum);
GRAPH_DROP_NODE(ip4_bad_length);
GRAPH_DROP_NODE(ip4_martian_src);
GRAPH_DROP_NODE(ip4_martian_dst);
GRAPH_DROP_NODE(ip4_multicast);

RTE_INIT(ip4_input_init)
{
	eth_input_register(RTE_ETHER_TYPE_IPV4, "ip4_input");
}
