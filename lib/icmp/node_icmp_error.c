/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_error: a datagram some stage refused (data at its IPv4 header;
 * pkt_meta icmp_type, icmp_code, icmp_mtu say why). Unless the rules of
 * RFC 1812 §4.3.2.7 forbid it or the rate limit (§4.3.2.8,
 * icmp_ratelimit.h) says no, a new datagram carries the error back to its
 * source → ip4_output. The offending datagram always ends here, in the drop
 * node that says what became of it.
 */
#include <rte_ip.h>
#include <rte_random.h>

#include "graph.h"
#include "icmp.h"
#include "icmp_build.h"
#include "icmp_ratelimit.h"
#include "route.h"

enum {
	ICMP_ERROR_NEXT_OUTPUT,
	ICMP_ERROR_DROP_SENT, /* the offender, once its error is on its way */
	ICMP_ERROR_DROP_SUPPRESSED,
	ICMP_ERROR_DROP_RATELIMITED,
	ICMP_ERROR_DROP_NO_SOURCE,
	ICMP_ERROR_DROP_NOMEM,
	ICMP_ERROR_NB_EDGES,
};

static uint16_t
icmp_error_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	const struct route_table *rt = w->sh->routes;

	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		const struct pkt_meta *om = pkt_meta(m);
		const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		uint32_t src = rte_be_to_cpu_32(h->src_addr);
		uint32_t dst = rte_be_to_cpu_32(h->dst_addr);

		if (icmp_error_check(m, route_is_broadcast(rt, dst), route_is_broadcast(rt, src)) !=
		    ICMP_ERROR_SEND) {
			graph_next(graph, node, ICMP_ERROR_DROP_SUPPRESSED, m);
			continue;
		}
		if (icmp_ratelimit_applies(om->icmp_type, om->icmp_code) &&
		    (w->icmp_rl == NULL || !icmp_ratelimit_allow(w->icmp_rl, src, w->now))) {
			graph_next(graph, node, ICMP_ERROR_DROP_RATELIMITED, m);
			continue;
		}
		/* From our address on the port it came in by, in the sender's
		 * subnet if we have one there (what the sender can route). */
		uint32_t from = route_port_addr_for(rt, om->in_port, src);
		if (unlikely(from == 0)) {
			graph_next(graph, node, ICMP_ERROR_DROP_NO_SOURCE, m);
			continue;
		}
		/* The IP id of an unfragmented datagram only has to differ
		 * from recent ones to the same peer (RFC 6864 §4.1). */
		struct rte_mbuf *e = icmp_error_build(w->sh->pool, m, om->icmp_type, om->icmp_code,
						      om->icmp_mtu, from, (uint16_t)rte_rand());
		if (unlikely(e == NULL)) {
			graph_next(graph, node, ICMP_ERROR_DROP_NOMEM, m);
			continue;
		}
		struct pkt_meta *em = pkt_meta(e);
		memset(em, 0, sizeof(*em));
		em->flags = PKT_META_F_LOCAL_OUT;
		em->in_port = om->in_port;
		em->trace_id = om->trace_id;
		graph_next(graph, node, ICMP_ERROR_NEXT_OUTPUT, e);
		graph_next(graph, node, ICMP_ERROR_DROP_SENT, m);
	}
	return nb_objs;
}

static struct rte_node_register icmp_error_node = {
	.name = "icmp_error",
	.process = icmp_error_process,
	.nb_edges = ICMP_ERROR_NB_EDGES,
	.next_nodes =
		{
			[ICMP_ERROR_NEXT_OUTPUT] = "ip4_output",
			[ICMP_ERROR_DROP_SENT] = "drop_icmp_error_sent",
			[ICMP_ERROR_DROP_SUPPRESSED] = "drop_icmp_error_suppressed",
			[ICMP_ERROR_DROP_RATELIMITED] = "drop_icmp_error_ratelimited",
			[ICMP_ERROR_DROP_NO_SOURCE] = "drop_icmp_error_no_source",
			[ICMP_ERROR_DROP_NOMEM] = "drop_icmp_error_nomem",
		},
};
RTE_NODE_REGISTER(icmp_error_node);

GRAPH_DROP_NODE(icmp_error_sent);
GRAPH_DROP_NODE(icmp_error_suppressed);
GRAPH_DROP_NODE(icmp_error_ratelimited);
GRAPH_DROP_NODE(icmp_error_no_source);
GRAPH_DROP_NODE(icmp_error_nomem);

int
icmp_worker_init(struct dp_worker *w, int socket)
{
	w->icmp_rl = icmp_ratelimit_create(w->sh->tsc_hz, socket);
	return w->icmp_rl == NULL ? -1 : 0;
}

void
icmp_worker_fini(struct dp_worker *w)
{
	icmp_ratelimit_free(w->icmp_rl);
	w->icmp_rl = NULL;
}
