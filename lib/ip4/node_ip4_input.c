/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_input: validate a received datagram (RFC 1812 §5.2.2, ip4_check.c),
 * trim the link-layer padding, then hand it to the PREROUTING hook
 * (nf_prerouting), which hands it to the route lookup (ip4_route).
 *
 * When PREROUTING has nothing to do in this walk (dp_worker.nf_busy), the
 * hook would only pass the burst on: ip4_input makes the route decision
 * itself (ip4_stage.h, the same as ip4_route's) and hands the datagram to
 * ip4_forward, nf_input or icmp_error, two node hops fewer. ip4_forward
 * stays a node of its own: its packet counter is what `cavctl stats`
 * shows as forwarded. Traced packets always take every node, so that
 * `cavctl trace` shows each stage.
 *
 * When conntrack is on (w->nf_defrag), fragments are reassembled first
 * (ip4_defrag), as Linux's nf_defrag_ipv4 does: conntrack, NAT and the
 * port matches of the rules need the transport header, which only the
 * first fragment has. Otherwise fragments go on as they are: a forwarded
 * datagram is not reassembled, a local one is in ip4_local.
 */
#include <rte_ether.h>

#include "eth.h"
#include "graph.h"
#include "ip4.h"
#include "ip4_check.h"
#include "ip4_reasm.h"
#include "ip4_stage.h"
#include "route.h"

enum {
	IP4_INPUT_NEXT_PREROUTING,
	IP4_INPUT_NEXT_DEFRAG,
	IP4_INPUT_DROP_TRUNCATED,
	IP4_INPUT_DROP_BAD_VERSION,
	IP4_INPUT_DROP_BAD_IHL,
	IP4_INPUT_DROP_BAD_CHECKSUM,
	IP4_INPUT_DROP_BAD_LENGTH,
	IP4_INPUT_DROP_MARTIAN_SRC,
	IP4_INPUT_DROP_MARTIAN_DST,
	IP4_INPUT_DROP_MULTICAST,
	/* PREROUTING idle: the route lookup's outcomes */
	IP4_INPUT_NEXT_LOCAL,
	IP4_INPUT_NEXT_FORWARD,
	IP4_INPUT_NEXT_ICMP_ERROR,
	IP4_INPUT_NB_EDGES,
};

/* What the route lookup behind an idle PREROUTING decides, as ip4_input's
 * edges. */
static inline rte_edge_t
ip4_input_route(const struct route_table *rt, struct rte_mbuf *m)
{
	switch (ip4_route_decide(rt, m)) {
	case IP4_ROUTE_LOCAL:
		return IP4_INPUT_NEXT_LOCAL;
	case IP4_ROUTE_FORWARD:
		return IP4_INPUT_NEXT_FORWARD;
	case IP4_ROUTE_UNREACHABLE:
	default:
		return IP4_INPUT_NEXT_ICMP_ERROR;
	}
}

static const rte_edge_t verdict_edge[] = {
	[IP4_INPUT_TRUNCATED] = IP4_INPUT_DROP_TRUNCATED,
	[IP4_INPUT_BAD_VERSION] = IP4_INPUT_DROP_BAD_VERSION,
	[IP4_INPUT_BAD_IHL] = IP4_INPUT_DROP_BAD_IHL,
	[IP4_INPUT_BAD_CHECKSUM] = IP4_INPUT_DROP_BAD_CHECKSUM,
	[IP4_INPUT_BAD_LENGTH] = IP4_INPUT_DROP_BAD_LENGTH,
	[IP4_INPUT_MARTIAN_SRC] = IP4_INPUT_DROP_MARTIAN_SRC,
	[IP4_INPUT_MARTIAN_DST] = IP4_INPUT_DROP_MARTIAN_DST,
	[IP4_INPUT_MULTICAST] = IP4_INPUT_DROP_MULTICAST,
};

static inline rte_edge_t
ip4_input_one(const struct route_table *rt, const struct route_addrs *addrs, bool defrag,
	      bool fold, bool traced, struct rte_mbuf *m)
{
	enum ip4_input_verdict v = ip4_input_check_fast(m);
	if (unlikely(v != IP4_INPUT_OK))
		return verdict_edge[v];

	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t tot = rte_be_to_cpu_16(h->total_length);
	/* Ethernet pads short frames: the datagram ends at its total length.
	 * Padding is short and in the last segment; anything else is not a
	 * datagram we want. */
	if (unlikely(rte_pktmbuf_pkt_len(m) > tot) &&
	    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - tot)) != 0)
		return IP4_INPUT_DROP_BAD_LENGTH;

	/* §5.3.7 again: a directed broadcast of one of our subnets is no
	 * source either (the table knows our subnets, ip4_check does not). */
	if (unlikely(route_addrs_broadcast(addrs, rte_be_to_cpu_32(h->src_addr))))
		return IP4_INPUT_DROP_MARTIAN_SRC;

	if (unlikely(defrag) && ip4_is_fragment(h))
		return IP4_INPUT_NEXT_DEFRAG;
	if (likely(fold) && (likely(!traced) || pkt_meta(m)->trace_id == 0))
		return ip4_input_route(rt, m);
	return IP4_INPUT_NEXT_PREROUTING;
}

static uint16_t
ip4_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_worker *w = dp_worker_of(node);
	const struct route_table *rt = w->sh->routes;
	const bool defrag = w->nf_defrag;
	/* Conntrack on (defrag) always makes PREROUTING busy. */
	const bool fold = !(w->nf_busy & DP_NF_PREROUTING);
	const bool traced = w->walk_traced != 0;
	const struct route_addrs *addrs = route_addrs_get(rt);
	rte_edge_t edges[RTE_GRAPH_BURST_SIZE];
	const bool burst = nb_objs <= RTE_GRAPH_BURST_SIZE;
	struct graph_burst b = GRAPH_BURST_INIT;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		pkt_meta(m)->nf_flags = 0; /* the hooks' (lib/filter) */
		rte_edge_t e = ip4_input_one(rt, addrs, defrag, fold, traced, m);
		if (likely(burst)) {
			edges[i] = e;
			graph_burst_add(&b, e);
		} else { /* a stream longer than a burst: one by one */
			graph_next(graph, node, e, m);
		}
	}
	if (likely(burst))
		graph_burst_send(graph, node, objs, edges, nb_objs, &b);
	return nb_objs;
}

static struct rte_node_register ip4_input_node = {
	.name = "ip4_input",
	.process = ip4_input_process,
	.nb_edges = IP4_INPUT_NB_EDGES,
	.next_nodes =
		{
			[IP4_INPUT_NEXT_PREROUTING] = "nf_prerouting",
			[IP4_INPUT_NEXT_DEFRAG] = "ip4_defrag",
			[IP4_INPUT_DROP_TRUNCATED] = "drop_ip4_truncated",
			[IP4_INPUT_DROP_BAD_VERSION] = "drop_ip4_bad_version",
			[IP4_INPUT_DROP_BAD_IHL] = "drop_ip4_bad_ihl",
			[IP4_INPUT_DROP_BAD_CHECKSUM] = "drop_ip4_bad_checksum",
			[IP4_INPUT_DROP_BAD_LENGTH] = "drop_ip4_bad_length",
			[IP4_INPUT_DROP_MARTIAN_SRC] = "drop_ip4_martian_src",
			[IP4_INPUT_DROP_MARTIAN_DST] = "drop_ip4_martian_dst",
			[IP4_INPUT_DROP_MULTICAST] = "drop_ip4_multicast",
			[IP4_INPUT_NEXT_LOCAL] = "nf_input",
			[IP4_INPUT_NEXT_FORWARD] = "ip4_forward",
			[IP4_INPUT_NEXT_ICMP_ERROR] = "icmp_error",
		},
};
RTE_NODE_REGISTER(ip4_input_node);

GRAPH_DROP_NODE(ip4_truncated);
GRAPH_DROP_NODE(ip4_bad_version);
GRAPH_DROP_NODE(ip4_bad_ihl);
GRAPH_DROP_NODE(ip4_bad_checksum);
GRAPH_DROP_NODE(ip4_bad_length);
GRAPH_DROP_NODE(ip4_martian_src);
GRAPH_DROP_NODE(ip4_martian_dst);
GRAPH_DROP_NODE(ip4_multicast);

RTE_INIT(ip4_input_init)
{
	eth_input_register(RTE_ETHER_TYPE_IPV4, "ip4_input");
}
