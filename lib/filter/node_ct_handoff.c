/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct_handoff and ct_handoff_rx: a packet whose conntrack entry another
 * worker owns (lib/ct ct.h: only the owner touches an entry) goes to that
 * worker's ring (multi-producer, single consumer), and the owner's
 * ct_handoff_rx source node takes it back into its own graph at the hook
 * it left (nf_prerouting, or nf_output: pkt_meta NF_PKT_F_OUTPUT). A
 * packet is handed over once at most (NF_PKT_F_HOP): if the owner changed
 * again meanwhile, it is dropped (drop_ct_stale at the hook).
 */
#include <rte_ring.h>

#include "counter.h"
#include "ct.h"
#include "graph.h"
#include "nf.h"

enum {
	CT_HANDOFF_DROP_RING_FULL,
	CT_HANDOFF_NB_EDGES,
};

static uint16_t
ct_handoff_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct ct_table *t = w->sh->nf->ct;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		struct pkt_meta *meta = pkt_meta(m);
		unsigned int owner = ct_owner_of(t, meta->ct_idx);
		meta->nf_flags |= NF_PKT_F_HOP;
		if (unlikely(meta->trace_id != 0))
			trace_record(w, node, m, TRACE_EDGE_END); /* goes on at the owner */
		if (unlikely(rte_ring_mp_enqueue(t->w[owner]->handoff, m) != 0)) {
			graph_next(graph, node, CT_HANDOFF_DROP_RING_FULL, m);
			continue;
		}
		counter_add(&w->nf->ct->st.handoff, 1);
	}
	return nb_objs;
}

static struct rte_node_register ct_handoff_node = {
	.name = "ct_handoff",
	.process = ct_handoff_process,
	.nb_edges = CT_HANDOFF_NB_EDGES,
	.next_nodes = {[CT_HANDOFF_DROP_RING_FULL] = "drop_ct_handoff_ring_full"},
};
RTE_NODE_REGISTER(ct_handoff_node);
GRAPH_DROP_NODE(ct_handoff_ring_full);

enum {
	CT_HANDOFF_RX_NEXT_PREROUTING,
	CT_HANDOFF_RX_NEXT_OUTPUT,
	CT_HANDOFF_RX_NB_EDGES,
};

static uint16_t
ct_handoff_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		      uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	if (w->nf == NULL || w->nf->ct == NULL)
		return 0;
	struct rte_mbuf *pkts[RTE_GRAPH_BURST_SIZE];
	unsigned int n = rte_ring_sc_dequeue_burst(w->nf->ct->handoff, (void **)pkts,
						   RTE_GRAPH_BURST_SIZE, NULL);
	for (unsigned int i = 0; i < n; i++)
		graph_next(graph, node,
			   (pkt_meta(pkts[i])->nf_flags & NF_PKT_F_OUTPUT) ? CT_HANDOFF_RX_NEXT_OUTPUT
									   : CT_HANDOFF_RX_NEXT_PREROUTING,
			   pkts[i]);
	w->rx_in_loop += n;
	return (uint16_t)n;
}

static struct rte_node_register ct_handoff_rx_node = {
	.name = "ct_handoff_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = ct_handoff_rx_process,
	.nb_edges = CT_HANDOFF_RX_NB_EDGES,
	.next_nodes =
		{
			[CT_HANDOFF_RX_NEXT_PREROUTING] = "nf_prerouting",
			[CT_HANDOFF_RX_NEXT_OUTPUT] = "nf_output",
		},
};
RTE_NODE_REGISTER(ct_handoff_rx_node);
