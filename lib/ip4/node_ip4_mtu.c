/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_mtu: the last IPv4 stage before the neighbour, after POSTROUTING,
 * for forwarded and locally generated datagrams alike (pkt_meta out_port
 * and nexthop set). Fits the out port's MTU → neigh_output; too big with
 * DF clear → ip4_fragment (RFC 791 §2.3); too big with DF set: a local
 * datagram is dropped (there is no sender to tell: a socket gets EMSGSIZE
 * before it gets here), a forwarded one gets ICMP fragmentation needed.
 * ip4_forward already sent that error for every datagram that arrived too
 * big; what reaches it here grew on the way (reassembled by ip4_defrag
 * from fragments that had DF set).
 */
#include <netinet/ip_icmp.h>

#include "graph.h"
#include "ip4_check.h"

enum {
	IP4_MTU_NEXT_NEIGH,
	IP4_MTU_NEXT_FRAGMENT,
	IP4_MTU_NEXT_ICMP_ERROR,
	IP4_MTU_DROP_LOCAL_TOO_BIG,
	IP4_MTU_NB_EDGES,
};

static inline rte_edge_t
ip4_mtu_one(const struct dp_shared *sh, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint16_t mtu = sh->ports[meta->out_port].mtu;

	switch (ip4_mtu_check(h, rte_pktmbuf_pkt_len(m), mtu)) {
	case IP4_MTU_FITS:
		return IP4_MTU_NEXT_NEIGH;
	case IP4_MTU_FRAGMENT:
		return IP4_MTU_NEXT_FRAGMENT;
	case IP4_MTU_TOO_BIG:
	default:
		if (meta->flags & PKT_META_F_LOCAL_OUT)
			return IP4_MTU_DROP_LOCAL_TOO_BIG;
		meta->icmp_type = ICMP_DEST_UNREACH;
		meta->icmp_code = ICMP_FRAG_NEEDED;
		meta->icmp_mtu = mtu;
		return IP4_MTU_NEXT_ICMP_ERROR;
	}
}

static uint16_t
ip4_mtu_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_shared *sh = dp_worker_of(node)->sh;
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	if (unlikely(nb_objs > RTE_GRAPH_BURST_SIZE)) {
		/* A stream longer than a burst: one by one. */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, ip4_mtu_one(sh, objs[i]), objs[i]);
		return nb_objs;
	}
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		edges[i] = ip4_mtu_one(sh, objs[i]);
		graph_burst_add(&b, edges[i]);
	}
	graph_burst_send(graph, node, objs, edges, nb_objs, &b);
	return nb_objs;
}

static struct rte_node_register ip4_mtu_node = {
	.name = "ip4_mtu",
	.process = ip4_mtu_process,
	.nb_edges = IP4_MTU_NB_EDGES,
	.next_nodes =
		{
			[IP4_MTU_NEXT_NEIGH] = "neigh_output",
			[IP4_MTU_NEXT_FRAGMENT] = "ip4_fragment",
			[IP4_MTU_NEXT_ICMP_ERROR] = "icmp_error",
			/* The name it had when ip4_output made this check. */
			[IP4_MTU_DROP_LOCAL_TOO_BIG] = "drop_ip4_output_too_big",
		},
};
RTE_NODE_REGISTER(ip4_mtu_node);
GRAPH_DROP_NODE(ip4_output_too_big);
