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

/* The 48 bits of a MAC address in the low bits of a 64-bit word (the two
 * bytes after it are read and masked off: the caller makes sure they are
 * there). One compare instead of three. */
static inline uint64_t
mac48(const struct rte_ether_addr *a)
{
	uint64_t v;
	memcpy(&v, a, sizeof(v));
	return rte_le_to_cpu_64(v) & UINT64_C(0xffffffffffff);
}

/* Per call: our MAC per port as mac48() reads it, and the last EtherType
 * matched with its edge (a burst is mostly one EtherType). */
struct eth_ports {
	uint64_t mac[CAV_MAX_PORTS];
	unsigned int n;
	uint32_t last_type; /* network order; UINT32_MAX: none yet */
	rte_edge_t last_edge;
};

static inline rte_edge_t
classify(struct eth_ports *ports, struct rte_mbuf *m)
{
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)))
		return ETH_DROP_TRUNCATED;
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	/* The source address follows the destination: 8 bytes are there. */
	const uint64_t dst = mac48(&eh->dst_addr);
	const uint16_t in_port = pkt_meta(m)->in_port;
	if (unlikely(in_port >= ports->n || dst != ports->mac[in_port])) {
		if (dst == UINT64_C(0xffffffffffff))
			; /* broadcast */
		else if (rte_is_multicast_ether_addr(&eh->dst_addr))
			return ETH_DROP_MULTICAST; /* no group joined */
		else
			return ETH_DROP_OTHER_HOST;
	}
	uint16_t type = eh->ether_type;
	if (unlikely(type != ports->last_type)) {
		if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ))
			return ETH_DROP_VLAN; /* tagged frames are not supported (docs/unsupported.md) */
		unsigned int i;
		for (i = 0; i < n_types && types[i].type_be != type; i++)
			;
		if (i == n_types)
			return ETH_DROP_UNKNOWN_TYPE;
		ports->last_type = type;
		ports->last_edge = types[i].edge;
	}
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	return ports->last_edge;
}

static uint16_t
eth_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_shared *sh = dp_worker_of(node)->sh;
	struct eth_ports ports = {.last_type = UINT32_MAX};
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	ports.n = sh->n_ports;
	for (unsigned int p = 0; p < ports.n; p++) {
		uint64_t v = 0;
		memcpy(&v, &sh->ports[p].mac, sizeof(sh->ports[p].mac));
		ports.mac[p] = rte_le_to_cpu_64(v);
	}
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst (many ports): one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, classify(&ports, objs[i]), objs[i]);
		return nb_objs;
	}
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		edges[i] = classify(&ports, objs[i]);
		graph_burst_add(&b, edges[i]);
	}
	graph_burst_send(graph, node, objs, edges, nb_objs, &b);
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
