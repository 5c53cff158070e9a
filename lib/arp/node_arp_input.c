/* SPDX-License-Identifier: BSD-3-Clause */
/* arp_input: validate and punt to the control plane, which owns ARP. */
#include <rte_ether.h>

#include "arp.h"
#include "eth.h"
#include "graph.h"

enum {
	ARP_TO_CONTROL,
	ARP_DROP_MALFORMED,
	ARP_NB_EDGES,
};

static uint16_t
arp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		rte_edge_t e = ARP_DROP_MALFORMED;
		if (arp_valid(m)) {
			pkt_meta(m)->flags |= PKT_META_F_ARP;
			e = ARP_TO_CONTROL;
		}
		graph_next(graph, node, e, m);
	}
	return nb_objs;
}

static struct rte_node_register arp_input_node = {
	.name = "arp_input",
	.process = arp_input_process,
	.nb_edges = ARP_NB_EDGES,
	.next_nodes =
		{
			[ARP_TO_CONTROL] = "control_punt",
			[ARP_DROP_MALFORMED] = "drop_arp_malformed",
		},
};
RTE_NODE_REGISTER(arp_input_node);
GRAPH_DROP_NODE(arp_malformed);

RTE_INIT(arp_input_register)
{
	eth_input_register(RTE_ETHER_TYPE_ARP, "arp_input");
}
