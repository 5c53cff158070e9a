/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_input: accept frames for us (our unicast MAC, broadcast; multicast
 * only for groups we joined, of which there are none yet), strip the
 * Ethernet header and dispatch on the EtherType through the table that upper
 * layers registered (eth_input_register).
 */
#include <rte_ether.h>

#include "eth.h"
#include "graph.h"

enum {
	ETH_DROP_TRUNCATED,
	ETH_DROP_OTHER_HOST,
	ETH_DROP_MULTICAST,
	ETH_DROP_VLAN,
	ETH_DROP_UNKNOWN_TYPE,
	ETH_NB_STATIC_EDGES, /* registered EtherTypes get the edges after these */
};

#define ETH_MAX_TYPES 8

static struct {
	uint16_t type_be; /* network order, compared with the header as is */
	char node[RTE_NODE_NAMESIZE];
	rte_edge_t edge;
} types[ETH_MAX_TYPES];
static unsigned int n_types;

void
eth_input_register(uint16_t ethertype, const char *node_name)
{
	if (n_types == ETH_MAX_TYPES)
		rte_panic("eth_input: too many EtherTypes\n");
	types[n_types].type_be = rte_cpu_to_be_16(ethertype);
	snprintf(types[n_types].node, sizeof(types[n_types].node), "%s", node_name);
	n_types++;
}

static int
eth_input_setup(void)
{
	for (unsigned int i = 0; i < n_types; i++) {
		int e = graph_add_edge("eth_input", types[i].node);
		if (e < 0)
			return -1;
		types[i].edge = (rte_edge_t)e;
	}
	return 0;
}

RTE_INIT(eth_input_init)
{
	graph_register_setup_hook(eth_input_setup);
}

static inline rte_edge_t
classify(const struct dp_worker *w, struct rte_mbuf *m)
{
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)))
		return ETH_DROP_TRUNCATED;
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct dp_port *p = &w->sh->ports[pkt_meta(m)->in_port];
	if (!rte_is_same_ether_addr(&eh->dst_addr, &p->mac)) {
		if (rte_is_broadcast_ether_addr(&eh->dst_addr))
			;
		else if (rte_is_multicast_ether_addr(&eh->dst_addr))
			return ETH_DROP_MULTICAST; /* no group joined */
		else
			return ETH_DROP_OTHER_HOST;
	}
	uint16_t type = eh->ether_type;
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ))
		return ETH_DROP_VLAN; /* tagged frames are not supported (docs/unsupported.md) */
	for (unsigned int i = 0; i < n_types; i++)
		if (types[i].type_be == type) {
			rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
			return types[i].edge;
		}
	return ETH_DROP_UNKNOWN_TYPE;
}

static uint16_t
eth_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_worker *w = dp_worker_of(node);
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst (many ports): one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, classify(w, objs[i]), objs[i]);
		return nb_objs;
	}
	for (uint16_t i = 0; i < nb_objs; i++)
		edges[i] = classify(w, objs[i]);
	graph_next_burst(graph, node, objs, edges, nb_objs);
	return nb_objs;
}

static struct rte_node_register eth_input_node = {
	.name = "eth_input",
	.process = eth_input_process,
	.nb_edges = ETH_NB_STATIC_EDGES,
	.next_nodes =
		{
			[ETH_DROP_TRUNCATED] = "drop_eth_truncated",
			[ETH_DROP_OTHER_HOST] = "drop_eth_other_host",
			[ETH_DROP_MULTICAST] = "drop_eth_multicast",
			[ETH_DROP_VLAN] = "drop_eth_vlan",
			[ETH_DROP_UNKNOWN_TYPE] = "drop_eth_unknown_type",
		},
};
RTE_NODE_REGISTER(eth_input_node);

GRAPH_DROP_NODE(eth_truncated);
GRAPH_DROP_NODE(eth_other_host);
GRAPH_DROP_NODE(eth_multicast);
GRAPH_DROP_NODE(eth_vlan);
GRAPH_DROP_NODE(eth_unknown_type);
