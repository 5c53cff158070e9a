/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_output: a datagram this host generated (data at a complete IPv4
 * header, checksum included; pkt_meta flags PKT_META_F_LOCAL_OUT). Route
 * the destination, then the MTU check that ip4_forward also makes, except
 * that a datagram too big with DF set is dropped: there is no sender to
 * tell yet (a socket will get EMSGSIZE once sockets exist), and an ICMP
 * error to ourselves would only be dropped later.
 *
 * A datagram to one of our own addresses goes straight to ip4_local (not
 * back through ip4_input, whose checks are for what the wire delivers: a
 * 127/8 source, for one, is a martian there). Its in_port becomes the port
 * that owns the address, as if it had arrived there.
 */
#include "graph.h"
#include "ip4_check.h"
#include "route.h"

enum {
	IP4_OUTPUT_NEXT_NEIGH,
	IP4_OUTPUT_NEXT_FRAGMENT,
	IP4_OUTPUT_NEXT_LOCAL,
	IP4_OUTPUT_DROP_NO_ROUTE,
	IP4_OUTPUT_DROP_TOO_BIG,
	IP4_OUTPUT_NB_EDGES,
};

static inline rte_edge_t
ip4_output_one(const struct dp_shared *sh, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);

	const struct nexthop *nh = route_lookup(sh->routes, dst);
	if (unlikely(nh == NULL))
		return IP4_OUTPUT_DROP_NO_ROUTE;
	if (unlikely(nh->type == NH_LOCAL)) {
		meta->in_port = nh->port;
		return IP4_OUTPUT_NEXT_LOCAL;
	}
	meta->out_port = nh->port;
	meta->nexthop = nh->type == NH_GATEWAY ? nh->gw : dst;

	switch (ip4_mtu_check(h, rte_pktmbuf_pkt_len(m), sh->ports[nh->port].mtu)) {
	case IP4_MTU_FITS:
		return IP4_OUTPUT_NEXT_NEIGH;
	case IP4_MTU_FRAGMENT:
		return IP4_OUTPUT_NEXT_FRAGMENT;
	case IP4_MTU_TOO_BIG:
	default:
		return IP4_OUTPUT_DROP_TOO_BIG;
	}
}

static uint16_t
ip4_output_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_shared *sh = dp_worker_of(node)->sh;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, ip4_output_one(sh, m), m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_output_node = {
	.name = "ip4_output",
	.process = ip4_output_process,
	.nb_edges = IP4_OUTPUT_NB_EDGES,
	.next_nodes =
		{
			[IP4_OUTPUT_NEXT_NEIGH] = "neigh_output",
			[IP4_OUTPUT_NEXT_FRAGMENT] = "ip4_fragment",
			[IP4_OUTPUT_NEXT_LOCAL] = "ip4_local",
			[IP4_OUTPUT_DROP_NO_ROUTE] = "drop_ip4_output_no_route",
			[IP4_OUTPUT_DROP_TOO_BIG] = "drop_ip4_output_too_big",
		},
};
RTE_NODE_REGISTER(ip4_output_node);

GRAPH_DROP_NODE(ip4_output_no_route);
GRAPH_DROP_NODE(ip4_output_too_big);
