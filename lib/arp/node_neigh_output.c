/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh_output: IPv4 packet (data at the IPv4 header, pkt_meta out_port and
 * nexthop set) to Ethernet frame. A resolved neighbour gives the destination
 * MAC; otherwise the packet goes to the control plane, which holds it while
 * it resolves (or answers with ICMP host unreachable when that fails).
 */
#include <stdbool.h>
#include <string.h>

#include <rte_ether.h>

#include "graph.h"
#include "neigh.h"

enum {
	NEIGH_TO_TX,
	NEIGH_TO_CONTROL,
	NEIGH_DROP_NO_HEADROOM,
	NEIGH_NB_EDGES,
};

static uint16_t
neigh_output_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		     uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct neigh_table *t = w->sh->neigh;
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	/* A burst mostly goes to one next hop: look each one up once, and
	 * build its Ethernet header once (copied whole into each frame). */
	uint16_t last_port = UINT16_MAX;
	uint32_t last_hop = 0;
	bool last_found = false;
	struct rte_ether_hdr hdr = {.ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4)};
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		const struct pkt_meta *pm = pkt_meta(m);
		rte_edge_t e;
		if (pm->out_port != last_port || pm->nexthop != last_hop) {
			last_port = pm->out_port;
			last_hop = pm->nexthop;
			last_found = neigh_lookup(t, last_port, last_hop, &hdr.dst_addr);
			if (last_found)
				hdr.src_addr = w->sh->ports[last_port].mac;
		}
		if (!last_found) {
			e = NEIGH_TO_CONTROL;
		} else {
			struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(
				m, sizeof(struct rte_ether_hdr));
			if (unlikely(eh == NULL)) {
				e = NEIGH_DROP_NO_HEADROOM;
			} else {
				/* No l2_len: no stage asks a PMD for TX
				 * offloads (RTE_MBUF_F_TX_*), the only
				 * reader of the mbuf's header lengths. */
				memcpy(eh, &hdr, sizeof(hdr));
				e = NEIGH_TO_TX;
			}
		}
		if (likely(nb_objs <= RTE_GRAPH_BURST_SIZE)) {
			edges[i] = e;
			graph_burst_add(&b, e);
		} else { /* longer than a burst (fragments): one by one */
			graph_next(graph, node, e, m);
		}
	}
	if (likely(nb_objs <= RTE_GRAPH_BURST_SIZE))
		graph_burst_send(graph, node, objs, edges, nb_objs, &b);
	return nb_objs;
}

static struct rte_node_register neigh_output_node = {
	.name = "neigh_output",
	.process = neigh_output_process,
	.nb_edges = NEIGH_NB_EDGES,
	.next_nodes =
		{
			[NEIGH_TO_TX] = "port_tx",
			[NEIGH_TO_CONTROL] = "control_punt",
			[NEIGH_DROP_NO_HEADROOM] = "drop_neigh_no_headroom",
		},
};
RTE_NODE_REGISTER(neigh_output_node);
GRAPH_DROP_NODE(neigh_no_headroom);
