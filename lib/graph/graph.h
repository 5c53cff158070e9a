/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_GRAPH_H
#define CAV_GRAPH_H

/*
 * Helpers for the pipeline stages, which are rte_graph nodes: one node per
 * file, a local enum of next edges, every drop reason its own node (so the
 * graph's own per-node counters are the drop counters), and a packet trace
 * that costs one branch per packet when off.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_graph.h>
#include <rte_graph_worker.h>

#include "dp.h"

/* Record one step of a traced packet (slow path, out of line); marks the
 * walk as carrying traced packets (dp_worker.walk_traced). A source node
 * calls it for every traced packet it brings into a walk. */
void trace_record(struct dp_worker *w, const struct rte_node *node, struct rte_mbuf *m,
		  uint16_t edge);

/* Send one packet down an edge. */
static inline void
graph_next(struct rte_graph *graph, struct rte_node *node, rte_edge_t edge, struct rte_mbuf *m)
{
	if (unlikely(pkt_meta(m)->trace_id != 0))
		trace_record(dp_worker_of(node), node, m, edge);
	rte_node_enqueue_x1(graph, node, edge, m);
}

/*
 * Send a node's whole stream on, packet i down edges[i]. When every packet
 * takes the same edge (the common case) the stream moves to the next node
 * at once (rte_node_next_stream_move: a pointer swap when the next stream is
 * empty) instead of packet by packet. Only for a node working on its own
 * stream (objs == node->objs); traced packets are recorded either way.
 *
 * A node gathers what that needs in its own loop, graph_burst_add() for
 * each packet as its edge is decided, then calls graph_burst_send(): no
 * second loop over the burst. All edges are equal when their OR equals
 * their AND. Trace ids are read only when the walk may carry a traced
 * packet (dp_worker.walk_traced): not one load per packet and stage
 * otherwise.
 */
struct graph_burst {
	rte_edge_t any; /* OR of the edges */
	rte_edge_t all; /* AND of the edges */
};
#define GRAPH_BURST_INIT {.any = 0, .all = (rte_edge_t)~0}

static inline void
graph_burst_add(struct graph_burst *b, rte_edge_t e)
{
	b->any |= e;
	b->all &= e;
}

static inline void
graph_burst_send(struct rte_graph *graph, struct rte_node *node, void **objs,
		 const rte_edge_t *edges, uint16_t n, const struct graph_burst *b)
{
	if (unlikely(n == 0))
		return;
	struct dp_worker *w = dp_worker_of(node);
	if (unlikely(w->walk_traced != 0))
		for (uint16_t i = 0; i < n; i++)
			if (pkt_meta(objs[i])->trace_id != 0)
				trace_record(w, node, objs[i], edges[i]);
	if (likely(b->any == b->all)) {
		rte_node_next_stream_move(graph, node, b->any);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		rte_node_enqueue_x1(graph, node, edges[i], objs[i]);
}

/* The same for edges decided already. */
static inline void
graph_next_burst(struct rte_graph *graph, struct rte_node *node, void **objs,
		 const rte_edge_t *edges, uint16_t n)
{
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < n; i++)
		graph_burst_add(&b, edges[i]);
	graph_burst_send(graph, node, objs, edges, n, &b);
}

/* Mark a packet for tracing if a trace is armed (called by source nodes). */
static inline void
graph_trace_maybe_start(struct dp_worker *w, struct rte_mbuf *m)
{
	pkt_meta(m)->trace_id = 0;
	if (unlikely(__atomic_load_n(&w->sh->trace_budget, __ATOMIC_RELAXED) > 0)) {
		if (__atomic_fetch_sub(&w->sh->trace_budget, 1, __ATOMIC_RELAXED) > 0) {
			pkt_meta(m)->trace_id =
				__atomic_add_fetch(&w->sh->trace_next_id, 1, __ATOMIC_RELAXED);
			w->walk_traced = 1;
		}
	}
}

/* Process function of every drop node: count (graph stats) and free. */
uint16_t graph_drop_process(struct rte_graph *graph, struct rte_node *node, void **objs,
			    uint16_t nb_objs);

/*
 * Declare a drop reason: a node named "drop_<reason>" whose packet counter is
 * the drop counter for that reason. Name it in a stage's next_nodes.
 */
#define GRAPH_DROP_NODE(reason)                                                                    \
	static struct rte_node_register drop_##reason##_node = {                                   \
		.name = "drop_" #reason,                                                           \
		.process = graph_drop_process,                                                     \
		.nb_edges = 0,                                                                     \
	};                                                                                         \
	RTE_NODE_REGISTER(drop_##reason##_node)

/*
 * Hooks run on the main lcore after every node is registered and before any
 * graph is created: where dispatching stages add the edges that upper layers
 * registered (EtherType, IP protocol).
 */
typedef int (*graph_setup_hook_t)(void);
void graph_register_setup_hook(graph_setup_hook_t fn);
int graph_run_setup_hooks(void);

/* Add an edge from node `from` to node `to` at run-time setup; returns the
 * edge index or -1. */
int graph_add_edge(const char *from, const char *to);

/* Create the worker's graph from every registered node and point each node's
 * ctx at the worker. Returns 0 or -1 (rte_errno). */
int graph_worker_create(struct dp_worker *w, int socket);

/* Sum of a node's packet counter over every worker graph. */
uint64_t graph_node_packets(const struct dp_shared *sh, const char *node_name);

#endif
