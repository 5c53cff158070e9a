/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_forward: a datagram routed through us (pkt_meta out_port and nexthop
 * set by ip4_route). RFC 1812 §5.3.1: TTL expired → ICMP time exceeded;
 * too big for the out port with DF set → ICMP fragmentation needed
 * carrying the MTU (RFC 1191 §4); otherwise the TTL is decremented and the
 * datagram goes to the FORWARD hook (nf_forward), then POSTROUTING and
 * ip4_mtu, which fragments it if it does not fit.
 *
 * Both checks come before the FORWARD hook, where Linux's ip_forward()
 * makes them: traceroute through a FORWARD policy of DROP still sees this
 * hop, and the errors quote the header as it arrived (TTL not yet
 * decremented, no SNAT yet).
 *
 * When FORWARD has nothing to do in this walk (dp_worker.nf_busy) the
 * datagram goes straight to POSTROUTING; when POSTROUTING is idle too,
 * straight to the neighbour (it fits: ip4_mtu would pass it) or to
 * ip4_fragment. Traced packets take every node.
 */
#include "graph.h"
#include "ip4_stage.h"

enum {
	IP4_FORWARD_NEXT_FORWARD_HOOK,
	IP4_FORWARD_NEXT_ICMP_ERROR,
	IP4_FORWARD_NEXT_POSTROUTING, /* FORWARD idle */
	IP4_FORWARD_NEXT_NEIGH,	      /* FORWARD and POSTROUTING idle, fits */
	IP4_FORWARD_NEXT_FRAGMENT,    /* FORWARD and POSTROUTING idle, DF clear */
	IP4_FORWARD_NB_EDGES,
};

/* What a walk's packets share, read once per call: the worker's fields
 * would otherwise be loaded again after every header write. */
struct fwd_walk {
	const struct dp_shared *sh;
	uint32_t busy; /* dp_worker.nf_busy */
	bool traced;   /* dp_worker.walk_traced */
};

static inline rte_edge_t
ip4_forward_one(const struct fwd_walk *fw, struct rte_mbuf *m)
{
	enum ip4_forward_verdict v = ip4_forward_decide(fw->sh, m);
	if (unlikely(v == IP4_FORWARD_TTL_EXPIRED || v == IP4_FORWARD_TOO_BIG))
		return IP4_FORWARD_NEXT_ICMP_ERROR;
	if ((fw->busy & DP_NF_FORWARD) || unlikely(fw->traced && pkt_meta(m)->trace_id != 0))
		return IP4_FORWARD_NEXT_FORWARD_HOOK;
	if (fw->busy & DP_NF_POSTROUTING)
		return IP4_FORWARD_NEXT_POSTROUTING;
	return v == IP4_FORWARD_OK ? IP4_FORWARD_NEXT_NEIGH : IP4_FORWARD_NEXT_FRAGMENT;
}

static uint16_t
ip4_forward_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		    uint16_t nb_objs)
{
	const struct dp_worker *w = dp_worker_of(node);
	const struct fwd_walk fw = {.sh = w->sh, .busy = w->nf_busy, .traced = w->walk_traced != 0};
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst: one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, ip4_forward_one(&fw, objs[i]), objs[i]);
		return nb_objs;
	}
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		edges[i] = ip4_forward_one(&fw, objs[i]);
		graph_burst_add(&b, edges[i]);
	}
	graph_burst_send(graph, node, objs, edges, nb_objs, &b);
	return nb_objs;
}

static struct rte_node_register ip4_forward_node = {
	.name = "ip4_forward",
	.process = ip4_forward_process,
	.nb_edges = IP4_FORWARD_NB_EDGES,
	.next_nodes =
		{
			[IP4_FORWARD_NEXT_FORWARD_HOOK] = "nf_forward",
			[IP4_FORWARD_NEXT_ICMP_ERROR] = "icmp_error",
			[IP4_FORWARD_NEXT_POSTROUTING] = "nf_postrouting",
			[IP4_FORWARD_NEXT_NEIGH] = "neigh_output",
			[IP4_FORWARD_NEXT_FRAGMENT] = "ip4_fragment",
		},
};
RTE_NODE_REGISTER(ip4_forward_node);
