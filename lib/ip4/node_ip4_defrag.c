/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_defrag: fragments, reassembled before the PREROUTING hook when
 * conntrack is on (ip4_input sends them here only then), as Linux's
 * nf_defrag_ipv4 does: conntrack, NAT and the rules see whole datagrams,
 * whose transport header is known. The worker's reassembly table is the one
 * ip4_local uses (a datagram is reassembled once: ip4_local sees it whole).
 * A forwarded datagram reassembled here leaves as one datagram, fragmented
 * again by ip4_mtu if it does not fit the out port's MTU.
 */
#include "graph.h"
#include "ip4.h"
#include "ip4_reasm.h"
#include "ip4_reasm_node.h"

enum {
	IP4_DEFRAG_NEXT_PREROUTING,
	IP4_DEFRAG_DROP_REASM_FAILED,
	IP4_DEFRAG_DROP_REASM_TIMEOUT,
	IP4_DEFRAG_DROP_REASM_TOO_BIG,
	IP4_DEFRAG_DROP_REASM_BAD_FRAGMENT,
	IP4_DEFRAG_DROP_REASM_DUPLICATE,
	IP4_DEFRAG_DROP_REASM_TOO_MANY_FRAGS,
	IP4_DEFRAG_DROP_REASM_EVICTED,
	IP4_DEFRAG_NB_EDGES,
};

static const rte_edge_t reasm_drop_edge[IP4_REASM_DROP_NB] = {
	[IP4_REASM_DROP_BAD_FRAGMENT] = IP4_DEFRAG_DROP_REASM_BAD_FRAGMENT,
	[IP4_REASM_DROP_DUPLICATE] = IP4_DEFRAG_DROP_REASM_DUPLICATE,
	[IP4_REASM_DROP_TOO_BIG] = IP4_DEFRAG_DROP_REASM_TOO_BIG,
	[IP4_REASM_DROP_TOO_MANY_FRAGS] = IP4_DEFRAG_DROP_REASM_TOO_MANY_FRAGS,
	[IP4_REASM_DROP_EVICTED] = IP4_DEFRAG_DROP_REASM_EVICTED,
	[IP4_REASM_DROP_TIMEOUT] = IP4_DEFRAG_DROP_REASM_TIMEOUT,
};

static uint16_t
ip4_defrag_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct ip4_reasm_tbl *tbl = w->reasm;
	struct ip4_reasm_sink_ctx ctx = {.graph = graph, .node = node, .edge = reasm_drop_edge};
	const struct ip4_reasm_sink sink = {.drop = ip4_reasm_node_drop, .ctx = &ctx};

	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		if (unlikely(tbl == NULL)) {
			graph_next(graph, node, IP4_DEFRAG_DROP_REASM_FAILED, m);
			continue;
		}
		/* Held, or dropped through the sink (which also abandons the
		 * expired datagrams first). */
		if (ip4_reasm(tbl, &m, w->now, &sink) == IP4_REASM_COMPLETE)
			graph_next(graph, node, IP4_DEFRAG_NEXT_PREROUTING, m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_defrag_node = {
	.name = "ip4_defrag",
	.process = ip4_defrag_process,
	.nb_edges = IP4_DEFRAG_NB_EDGES,
	.next_nodes =
		{
			[IP4_DEFRAG_NEXT_PREROUTING] = "nf_prerouting",
			[IP4_DEFRAG_DROP_REASM_FAILED] = "drop_ip4_reasm_failed",
			[IP4_DEFRAG_DROP_REASM_TIMEOUT] = "drop_ip4_reasm_timeout",
			[IP4_DEFRAG_DROP_REASM_TOO_BIG] = "drop_ip4_reasm_too_big",
			[IP4_DEFRAG_DROP_REASM_BAD_FRAGMENT] = "drop_ip4_reasm_bad_fragment",
			[IP4_DEFRAG_DROP_REASM_DUPLICATE] = "drop_ip4_reasm_duplicate",
			[IP4_DEFRAG_DROP_REASM_TOO_MANY_FRAGS] = "drop_ip4_reasm_too_many_frags",
			[IP4_DEFRAG_DROP_REASM_EVICTED] = "drop_ip4_reasm_evicted",
		},
};
RTE_NODE_REGISTER(ip4_defrag_node);
