/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_tx: frames (Ethernet header built, pkt_meta out_port set) to the
 * wire on this worker's TX queue of each port. Until the scheduler stage
 * exists, what the TX ring does not take is dropped and counted.
 */
#include <rte_ethdev.h>

#include "counter.h"
#include "graph.h"

static uint16_t
port_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)graph;
	struct dp_worker *w = dp_worker_of(node);
	const struct dp_shared *sh = w->sh;
	struct rte_mbuf *burst[CAV_MAX_PORTS][RTE_GRAPH_BURST_SIZE];
	uint16_t count[CAV_MAX_PORTS] = {0};
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;

	/* Group by port, in chunks that fit the per-port arrays. */
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t p = pkt_meta(m)->out_port;
		if (unlikely(pkt_meta(m)->trace_id != 0))
			trace_record(w, node, m, TRACE_EDGE_END);
		burst[p][count[p]++] = m;
		if (count[p] == RTE_GRAPH_BURST_SIZE || i == nb_objs - 1) {
			for (unsigned int q = 0; q < sh->n_ports; q++) {
				if (count[q] == 0)
					continue;
				uint64_t bytes = 0;
				for (uint16_t k = 0; k < count[q]; k++)
					bytes += rte_pktmbuf_pkt_len(burst[q][k]);
				uint16_t sent = rte_eth_tx_burst(sh->ports[q].ethdev, w->queue,
								 burst[q], count[q]);
				for (uint16_t k = sent; k < count[q]; k++)
					bytes -= rte_pktmbuf_pkt_len(burst[q][k]);
				counter_add(&w->port_stats[q].tx_packets, sent);
				counter_add(&w->port_stats[q].tx_bytes, bytes);
				if (sent < count[q]) {
					counter_add(&w->port_stats[q].tx_dropped, count[q] - sent);
					rte_pktmbuf_free_bulk(&burst[q][sent], count[q] - sent);
				}
				count[q] = 0;
			}
		}
	}
	return nb_objs;
}

static struct rte_node_register port_tx_node = {
	.name = "port_tx",
	.process = port_tx_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(port_tx_node);
