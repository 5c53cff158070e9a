/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_rx: the source node. Polls this worker's RX queue on every port
 * (rte_eth_rx_burst), stamps the packet metadata (input port, trace) and
 * hands the burst to eth_input.
 */
#include <rte_ethdev.h>

#include "counter.h"
#include "graph.h"

#define RX_BURST 32

enum {
	RX_TO_ETH,
	RX_NB_EDGES,
};

static uint16_t
port_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	const struct dp_shared *sh = w->sh;
	uint16_t total = 0;
	for (unsigned int p = 0; p < sh->n_ports; p++) {
		struct rte_mbuf *pkts[RX_BURST];
		uint16_t n = rte_eth_rx_burst(sh->ports[p].ethdev, w->queue, pkts, RX_BURST);
		if (n == 0)
			continue;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			struct pkt_meta *pm = pkt_meta(m);
			pm->in_port = (uint16_t)p;
			pm->out_port = 0;
			pm->nexthop = 0;
			pm->flags = 0;
			bytes += rte_pktmbuf_pkt_len(m);
			graph_trace_maybe_start(w, m);
			graph_next(graph, node, RX_TO_ETH, m);
		}
		counter_add(&w->port_stats[p].rx_packets, n);
		counter_add(&w->port_stats[p].rx_bytes, bytes);
		total += n;
	}
	w->rx_in_loop += total;
	return total;
}

static struct rte_node_register port_rx_node = {
	.name = "port_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = port_rx_process,
	.nb_edges = RX_NB_EDGES,
	.next_nodes = {[RX_TO_ETH] = "eth_input"},
};
RTE_NODE_REGISTER(port_rx_node);
