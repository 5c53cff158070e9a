/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_output: a datagram this host generated (data at a complete IPv4
 * header, checksum included; pkt_meta flags PKT_META_F_LOCAL_OUT). Route
 * the destination, then the OUTPUT hook (nf_output), which hands it to
 * POSTROUTING and ip4_mtu, as Linux's ip_local_out() does: the route comes
 * first, the hook sees where the datagram goes.
 *
 * A datagram to one of our own addresses is flagged PKT_META_F_LOCAL_DST:
 * nf_output sends it to the INPUT hook and ip4_local (not back through
 * ip4_input, whose checks are for what the wire delivers: a 127/8 source,
 * for one, is a martian there). Its in_port becomes the port that owns the
 * address, as if it had arrived there.
 */
#include <rte_ip.h>

#include "graph.h"
#include "route.h"

enum {
	IP4_OUTPUT_NEXT_OUTPUT_HOOK,
	IP4_OUTPUT_DROP_NO_ROUTE,
	IP4_OUTPUT_NB_EDGES,
};

static inline rte_edge_t
ip4_output_one(const struct dp_shared *sh, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t dst = rte_be_to_cpu_32(h->dst_addr);

	const struct nexthop *nh = route_lookup(sh->routes, dst);
	if (unlikely(nh == NULL))
		return IP4_OUTPUT_DROP_NO_ROUTE;
	if (unlikely(nh->type == NH_LOCAL)) {
		meta->in_port = nh->port;
		meta->flags |= PKT_META_F_LOCAL_DST;
		return IP4_OUTPUT_NEXT_OUTPUT_HOOK;
	}
	meta->flags &= (uint16_t)~PKT_META_F_LOCAL_DST;
	meta->out_port = nh->port;
	meta->nexthop = nh->type == NH_GATEWAY ? nh->gw : dst;
	return IP4_OUTPUT_NEXT_OUTPUT_HOOK;
}

static uint16_t
ip4_output_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_shared *sh = dp_worker_of(node)->sh;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		pkt_meta(m)->nf_flags = 0; /* the hooks' (lib/filter) */
		graph_next(graph, node, ip4_output_one(sh, m), m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_output_node = {
	.name = "ip4_output",
	.process = ip4_output_process,
	.nb_edges = IP4_OUTPUT_NB_EDGES,
	.next_nodes =
		{
			[IP4_OUTPUT_NEXT_OUTPUT_HOOK] = "nf_output",
			[IP4_OUTPUT_DROP_NO_ROUTE] = "drop_ip4_output_no_route",
		},
};
RTE_NODE_REGISTER(ip4_output_node);

GRAPH_DROP_NODE(ip4_output_no_route);
