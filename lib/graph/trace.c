/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet trace: each worker appends to its own ring of records; the control
 * plane reads them after the fact (`cavctl trace show`). */
#include "graph.h"

void
trace_record(struct dp_worker *w, const struct rte_node *node, struct rte_mbuf *m, uint16_t edge)
{
	w->walk_traced = 1;
	uint32_t i = w->trace_head % TRACE_RECS;
	w->trace[i].pkt_id = pkt_meta(m)->trace_id;
	w->trace[i].node_id = (uint16_t)node->id;
	w->trace[i].edge = edge;
	w->trace[i].tsc = rte_rdtsc();
	/* Release: a reader that sees the new head sees the record. */
	__atomic_store_n(&w->trace_head, w->trace_head + 1, __ATOMIC_RELEASE);
}
