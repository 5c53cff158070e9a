/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_route: the FIB lookup of a received datagram, after PREROUTING (so a
 * DNAT there changes where it goes, as in Linux's ip_rcv_finish). Ours or
 * a broadcast → the INPUT hook (nf_input, then ip4_local); elsewhere →
 * ip4_forward with pkt_meta out_port and nexthop set; nowhere → icmp_error
 * (destination unreachable, net unreachable: RFC 1812 §5.2.7.1).
 */
#include <netinet/ip_icmp.h>

#include <rte_ip.h>

#include "graph.h"
#include "route.h"

enum {
	IP4_ROUTE_NEXT_INPUT,
	IP4_ROUTE_NEXT_FORWARD,
	IP4_ROUTE_NEXT_ICMP_ERROR,
	IP4_ROUTE_NB_EDGES,
};

static inline rte_edge_t
ip4_route_one(const struct route_table *rt, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);
	const struct nexthop *nh = route_lookup(rt, dst);
	if (nh != NULL && nh->type == NH_LOCAL)
		return IP4_ROUTE_NEXT_INPUT;
	/* A directed broadcast of one of our subnets falls in a connected
	 * route; 255.255.255.255 may fall in the default route or in none.
	 * Both are for us (RFC 1812 §5.3.5.1: we do not forward directed
	 * broadcasts, as Linux by default). */
	if ((nh == NULL || nh->type == NH_CONNECTED || dst == UINT32_MAX) &&
	    route_is_broadcast(rt, dst))
		return IP4_ROUTE_NEXT_INPUT;
	if (nh == NULL) {
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_NET_UNREACH;
		return IP4_ROUTE_NEXT_ICMP_ERROR;
	}
	meta->out_port = nh->port;
	meta->nexthop = nh->type == NH_GATEWAY ? nh->gw : dst;
	return IP4_ROUTE_NEXT_FORWARD;
}

static uint16_t
ip4_route_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct route_table *rt = dp_worker_of(node)->sh->routes;
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst: one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, ip4_route_one(rt, objs[i]), objs[i]);
		return nb_objs;
	}
	for (uint16_t i = 0; i < nb_objs; i++)
		edges[i] = ip4_route_one(rt, objs[i]);
	graph_next_burst(graph, node, objs, edges, nb_objs);
	return nb_objs;
}

static struct rte_node_register ip4_route_node = {
	.name = "ip4_route",
	.process = ip4_route_process,
	.nb_edges = IP4_ROUTE_NB_EDGES,
	.next_nodes =
		{
			[IP4_ROUTE_NEXT_INPUT] = "nf_input",
			[IP4_ROUTE_NEXT_FORWARD] = "ip4_forward",
			[IP4_ROUTE_NEXT_ICMP_ERROR] = "icmp_error",
		},
};
RTE_NODE_REGISTER(ip4_route_node);
