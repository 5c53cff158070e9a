/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_local: a datagram for this host, past the INPUT hook. Fragments are
 * reassembled first (the worker's table, ip4_reasm.c), unless ip4_defrag
 * did it before PREROUTING (conntrack on); then the protocol picks the transport node
 * that registered for it (ip4_local_register), which gets the data at its
 * own header. An unknown protocol gets an ICMP protocol unreachable (RFC
 * 1122 §3.2.2.1), unless it was a broadcast (RFC 1122 §3.2.2: no ICMP error
 * about a broadcast).
 *
 * Every fragment the reassembler gives up comes back through its sink and
 * goes down the drop edge of its reason, so that it is counted like every
 * other drop. Expired datagrams are swept at the start of each burst (and
 * by ip4_reasm itself before it touches the table). drop_ip4_reasm_failed
 * is left for a worker without a table (ip4_worker_init failed).
 */
#include <netinet/ip_icmp.h>

#include <rte_debug.h>

#include "graph.h"
#include "ip4.h"
#include "ip4_check.h"
#include "ip4_reasm.h"
#include "ip4_reasm_node.h"
#include "route.h"

enum {
	IP4_LOCAL_NEXT_ICMP_ERROR,
	IP4_LOCAL_DROP_UNKNOWN_PROTO,
	IP4_LOCAL_DROP_REASM_FAILED,
	IP4_LOCAL_DROP_REASM_TIMEOUT,
	IP4_LOCAL_DROP_REASM_TOO_BIG,
	IP4_LOCAL_DROP_REASM_BAD_FRAGMENT,
	IP4_LOCAL_DROP_REASM_DUPLICATE,
	IP4_LOCAL_DROP_REASM_TOO_MANY_FRAGS,
	IP4_LOCAL_DROP_REASM_EVICTED,
	IP4_LOCAL_NB_STATIC_EDGES, /* registered protocols get the edges after these */
};

/* Filled by constructors, then by the setup hook; read-only once graphs
 * exist. Edge 0 is a static edge, so 0 means "not registered". */
static struct {
	char node[RTE_NODE_NAMESIZE];
	rte_edge_t edge;
} protos[UINT8_MAX + 1];

void
ip4_local_register(uint8_t proto, const char *node_name)
{
	if (protos[proto].node[0] != '\0')
		rte_panic("ip4_local: protocol %u registered twice\n", proto);
	snprintf(protos[proto].node, sizeof(protos[proto].node), "%s", node_name);
}

static int
ip4_local_setup(void)
{
	for (unsigned int p = 0; p <= UINT8_MAX; p++) {
		if (protos[p].node[0] == '\0')
			continue;
		int e = graph_add_edge("ip4_local", protos[p].node);
		if (e < 0)
			return -1;
		protos[p].edge = (rte_edge_t)e;
	}
	return 0;
}

RTE_INIT(ip4_local_init)
{
	graph_register_setup_hook(ip4_local_setup);
}

static struct ip4_reasm_tbl *
reasm_tbl(const struct dp_worker *w)
{
	return w->reasm;
}

static void
set_reasm_tbl(struct dp_worker *w, struct ip4_reasm_tbl *t)
{
	w->reasm = t;
}

static const rte_edge_t reasm_drop_edge[IP4_REASM_DROP_NB] = {
	[IP4_REASM_DROP_BAD_FRAGMENT] = IP4_LOCAL_DROP_REASM_BAD_FRAGMENT,
	[IP4_REASM_DROP_DUPLICATE] = IP4_LOCAL_DROP_REASM_DUPLICATE,
	[IP4_REASM_DROP_TOO_BIG] = IP4_LOCAL_DROP_REASM_TOO_BIG,
	[IP4_REASM_DROP_TOO_MANY_FRAGS] = IP4_LOCAL_DROP_REASM_TOO_MANY_FRAGS,
	[IP4_REASM_DROP_EVICTED] = IP4_LOCAL_DROP_REASM_EVICTED,
	[IP4_REASM_DROP_TIMEOUT] = IP4_LOCAL_DROP_REASM_TIMEOUT,
};

static rte_edge_t
dispatch(const struct route_table *rt, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	rte_edge_t e = protos[h->next_proto_id].edge;
	if (likely(e != 0)) {
		/* The transport sees its header; ours stays just before. */
		m->l3_len = rte_ipv4_hdr_len(h);
		rte_pktmbuf_adj(m, m->l3_len);
		return e;
	}
	if (route_is_broadcast(rt, rte_be_to_cpu_32(h->dst_addr)))
		return IP4_LOCAL_DROP_UNKNOWN_PROTO;
	pkt_meta(m)->icmp_type = ICMP_DEST_UNREACH;
	pkt_meta(m)->icmp_code = ICMP_PROT_UNREACH;
	return IP4_LOCAL_NEXT_ICMP_ERROR;
}

static uint16_t
ip4_local_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct ip4_reasm_tbl *tbl = reasm_tbl(w);
	struct ip4_reasm_sink_ctx ctx = {.graph = graph, .node = node, .edge = reasm_drop_edge};
	const struct ip4_reasm_sink sink = {.drop = ip4_reasm_node_drop, .ctx = &ctx};

	/* Abandon datagrams older than the timeout (RFC 791 §3.2). */
	if (tbl != NULL)
		ip4_reasm_expire(tbl, w->now, &sink);

	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		if (unlikely(ip4_is_fragment(h))) {
			if (unlikely(tbl == NULL)) {
				graph_next(graph, node, IP4_LOCAL_DROP_REASM_FAILED, m);
				continue;
			}
			/* Held, or dropped through the sink. */
			if (ip4_reasm(tbl, &m, w->now, &sink) != IP4_REASM_COMPLETE)
				continue;
		}
		graph_next(graph, node, dispatch(w->sh->routes, m), m);
	}
	return nb_objs;
}

static struct rte_node_register ip4_local_node = {
	.name = "ip4_local",
	.process = ip4_local_process,
	.nb_edges = IP4_LOCAL_NB_STATIC_EDGES,
	.next_nodes =
		{
			[IP4_LOCAL_NEXT_ICMP_ERROR] = "icmp_error",
			[IP4_LOCAL_DROP_UNKNOWN_PROTO] = "drop_ip4_unknown_proto",
			[IP4_LOCAL_DROP_REASM_FAILED] = "drop_ip4_reasm_failed",
			[IP4_LOCAL_DROP_REASM_TIMEOUT] = "drop_ip4_reasm_timeout",
			[IP4_LOCAL_DROP_REASM_TOO_BIG] = "drop_ip4_reasm_too_big",
			[IP4_LOCAL_DROP_REASM_BAD_FRAGMENT] = "drop_ip4_reasm_bad_fragment",
			[IP4_LOCAL_DROP_REASM_DUPLICATE] = "drop_ip4_reasm_duplicate",
			[IP4_LOCAL_DROP_REASM_TOO_MANY_FRAGS] = "drop_ip4_reasm_too_many_frags",
			[IP4_LOCAL_DROP_REASM_EVICTED] = "drop_ip4_reasm_evicted",
		},
};
RTE_NODE_REGISTER(ip4_local_node);

GRAPH_DROP_NODE(ip4_unknown_proto);
GRAPH_DROP_NODE(ip4_reasm_failed);
GRAPH_DROP_NODE(ip4_reasm_timeout);
GRAPH_DROP_NODE(ip4_reasm_too_big);
GRAPH_DROP_NODE(ip4_reasm_bad_fragment);
GRAPH_DROP_NODE(ip4_reasm_duplicate);
GRAPH_DROP_NODE(ip4_reasm_too_many_frags);
GRAPH_DROP_NODE(ip4_reasm_evicted);

int
ip4_worker_init(struct dp_worker *w, int socket)
{
	struct ip4_reasm_tbl *t = ip4_reasm_table_create(w->sh->tsc_hz, socket);
	set_reasm_tbl(w, t);
	return t == NULL ? -1 : 0;
}

void
ip4_worker_fini(struct dp_worker *w)
{
	ip4_reasm_table_free(reasm_tbl(w));
	set_reasm_tbl(w, NULL);
}
