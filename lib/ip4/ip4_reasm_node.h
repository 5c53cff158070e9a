/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IP4_REASM_NODE_H
#define CAV_IP4_REASM_NODE_H

/*
 * What the two nodes that reassemble (ip4_local, and ip4_defrag when
 * conntrack is on) share: the reassembler's sink, which sends every
 * fragment it gives up down the drop edge of its reason, so that it is
 * counted like every other drop. Each node lists the same drop nodes
 * (drop_ip4_reasm_*) as its own edges and passes their indices here.
 */

#include "graph.h"
#include "ip4_reasm.h"

struct ip4_reasm_sink_ctx {
	struct rte_graph *graph;
	struct rte_node *node;
	const rte_edge_t *edge; /* [enum ip4_reasm_drop] -> the node's drop edge */
};

static void
ip4_reasm_node_drop(void *ctx, struct rte_mbuf *m, enum ip4_reasm_drop why)
{
	struct ip4_reasm_sink_ctx *c = ctx;
	graph_next(c->graph, c->node, c->edge[why], m);
}

#endif
