/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_fragment: a datagram larger than the MTU of its out port, DF clear
 * (from ip4_mtu). Its fragments (ip4_frag.c) go to
 * neigh_output with the original's metadata; the original is then released
 * (its data lives on in the fragments' indirect mbufs until they are sent).
 */
#include "graph.h"
#include "ip4_frag.h"

enum {
	IP4_FRAGMENT_NEXT_NEIGH,
	IP4_FRAGMENT_DROP_FAILED,
	IP4_FRAGMENT_NB_EDGES,
};

static uint16_t
ip4_fragment_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		     uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct rte_mbuf *frags[IP4_FRAG_MAX_OUT];

	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		uint16_t mtu = w->sh->ports[pkt_meta(m)->out_port].mtu;
		int n = ip4_fragment(m, mtu, w->sh->pool, w->sh->indirect_pool, frags,
				     RTE_DIM(frags));
		if (unlikely(n < 0)) {
			graph_next(graph, node, IP4_FRAGMENT_DROP_FAILED, m);
			continue;
		}
		for (int k = 0; k < n; k++)
			graph_next(graph, node, IP4_FRAGMENT_NEXT_NEIGH, frags[k]);
		/* Consumed: the fragments carry it on (and its trace id). */
		rte_pktmbuf_free(m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_fragment_node = {
	.name = "ip4_fragment",
	.process = ip4_fragment_process,
	.nb_edges = IP4_FRAGMENT_NB_EDGES,
	.next_nodes =
		{
			[IP4_FRAGMENT_NEXT_NEIGH] = "neigh_output",
			[IP4_FRAGMENT_DROP_FAILED] = "drop_ip4_frag_failed",
		},
};
RTE_NODE_REGISTER(ip4_fragment_node);

GRAPH_DROP_NODE(ip4_frag_failed);
