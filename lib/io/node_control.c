/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two nodes between workers and the control plane (main lcore):
 *   control_punt   packets the control plane handles (ARP, packets waiting
 *                  for neighbour resolution) go on the multi-producer
 *                  control ring; the main lcore is woken through an eventfd.
 *   control_inject source node: what the control plane hands to this worker
 *                  (ARP frames, released packets) re-enters the graph.
 */
#include <unistd.h>

#include <rte_ring.h>

#include "graph.h"

enum {
	PUNT_DROP_RING_FULL,
	PUNT_NB_EDGES,
};

static uint16_t
control_punt_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		     uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++)
		if (unlikely(pkt_meta(objs[i])->trace_id != 0))
			trace_record(w, node, objs[i], TRACE_EDGE_END);
	unsigned int n = rte_ring_mp_enqueue_burst(w->sh->control_ring, objs, nb_objs, NULL);
	if (n > 0) {
		uint64_t one = 1;
		/* Slow path only (ARP, unresolved next hops): a syscall per
		 * burst is acceptable here and keeps the main lcore asleep
		 * otherwise. */
		if (write(w->sh->control_efd, &one, sizeof(one)) < 0) {
			/* counter overflow is impossible; EAGAIN means already signalled */
		}
	}
	if (n < nb_objs)
		rte_node_enqueue(graph, node, PUNT_DROP_RING_FULL, &objs[n], (uint16_t)(nb_objs - n));
	return nb_objs;
}

static struct rte_node_register control_punt_node = {
	.name = "control_punt",
	.process = control_punt_process,
	.nb_edges = PUNT_NB_EDGES,
	.next_nodes = {[PUNT_DROP_RING_FULL] = "drop_control_ring_full"},
};
RTE_NODE_REGISTER(control_punt_node);
GRAPH_DROP_NODE(control_ring_full);

enum {
	INJECT_TO_TX,
	INJECT_TO_NEIGH,
	INJECT_TO_ICMP_ERROR,
	INJECT_TO_IP4_OUTPUT,
	INJECT_NB_EDGES,
};

static uint16_t
control_inject_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		       uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	struct rte_mbuf *pkts[RTE_GRAPH_BURST_SIZE];
	unsigned int n = rte_ring_sc_dequeue_burst(w->inject_ring, (void **)pkts,
						   RTE_GRAPH_BURST_SIZE, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t f = pkt_meta(m)->flags;
		rte_edge_t e;
		if (f & PKT_META_F_L2_READY)
			e = INJECT_TO_TX;
		else if (f & PKT_META_F_ICMP_ERR)
			e = INJECT_TO_ICMP_ERROR;
		else if (f & PKT_META_F_HELD)
			e = INJECT_TO_NEIGH;
		else
			e = INJECT_TO_IP4_OUTPUT;
		graph_next(graph, node, e, m);
	}
	w->rx_in_loop += n;
	return (uint16_t)n;
}

static struct rte_node_register control_inject_node = {
	.name = "control_inject",
	.flags = RTE_NODE_SOURCE_F,
	.process = control_inject_process,
	.nb_edges = INJECT_NB_EDGES,
	.next_nodes =
		{
			[INJECT_TO_TX] = "port_tx",
			[INJECT_TO_NEIGH] = "neigh_output",
			[INJECT_TO_ICMP_ERROR] = "icmp_error",
			[INJECT_TO_IP4_OUTPUT] = "ip4_output",
		},
};
RTE_NODE_REGISTER(control_inject_node);
