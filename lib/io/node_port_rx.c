/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_rx: the source node. Polls this worker's RX queue on every port
 * (rte_eth_rx_burst), stamps the packet metadata (input port, trace) and
 * hands the burst to eth_input.
 */
#include <rte_ethdev.h>

#include "counter.h"
#include "graph.h"

/* Packets received per port per walk. Every node and the worker loop
 * have per-burst costs (dispatch, stream moves, polling the other sources,
 * RCU): 64 spreads them over twice testpmd's default 32 (forward benchmark:
 * 518 instructions per packet at 32, 492 at 64, 479 at 128). Four busy
 * ports still fit in one graph burst (RTE_GRAPH_BURST_SIZE, 256), beyond
 * which the nodes fall back to per-packet enqueues; DPDK's own ethdev_rx
 * node receives a whole graph burst from one queue. */
#define RX_BURST 64

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
		/* Receive straight into eth_input's stream: no copy of the
		 * pointers, as DPDK's own ethdev_rx node does. */
		struct rte_mbuf **pkts =
			(struct rte_mbuf **)rte_node_next_stream_get(graph, node, RX_TO_ETH, RX_BURST);
		uint16_t n = rte_eth_rx_burst(sh->ports[p].ethdev, w->queue, pkts, RX_BURST);
		if (n == 0)
			continue;
		const bool tracing = __atomic_load_n(&sh->trace_budget, __ATOMIC_RELAXED) > 0;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			*pkt_meta(m) = (struct pkt_meta){.in_port = (uint16_t)p};
			bytes += rte_pktmbuf_pkt_len(m);
			if (unlikely(tracing)) {
				graph_trace_maybe_start(w, m);
				if (pkt_meta(m)->trace_id != 0)
					trace_record(w, node, m, RX_TO_ETH);
			}
		}
		rte_node_next_stream_put(graph, node, RX_TO_ETH, n);
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
