/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_route: the FIB lookup of a received datagram, after PREROUTING (so a
 * DNAT there changes where it goes, as in Linux's ip_rcv_finish). Ours or
 * a broadcast → the INPUT hook (nf_input, then ip4_local); elsewhere →
 * ip4_forward with pkt_meta out_port and nexthop set; nowhere → icmp_error
 * (destination unreachable, net unreachable: RFC 1812 §5.2.7.1). The
 * decision is ip4_stage.h's, which ip4_input makes itself when PREROUTING
 * is idle.
 */
#include "graph.h"
#include "ip4_stage.h"

enum {
	IP4_ROUTE_NEXT_INPUT,
	IP4_ROUTE_NEXT_FORWARD,
	IP4_ROUTE_NEXT_ICMP_ERROR,
	IP4_ROUTE_NB_EDGES,
};

static inline rte_edge_t
ip4_route_one(const struct route_table *rt, struct rte_mbuf *m)
{
	switch (ip4_route_decide(rt, m)) {
	case IP4_ROUTE_LOCAL:
		return IP4_ROUTE_NEXT_INPUT;
	case IP4_ROUTE_FORWARD:
		return IP4_ROUTE_NEXT_FORWARD;
	case IP4_ROUTE_UNREACHABLE:
	default:
		return IP4_ROUTE_NEXT_ICMP_ERROR;
	}
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
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		edges[i] = ip4_route_one(rt, objs[i]);
		graph_burst_add(&b, edges[i]);
	}
	graph_burst_send(graph, node, objs, edges, nb_objs, &b);
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
