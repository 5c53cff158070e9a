/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_input: ICMP messages for this host (from ip4_local: data at the ICMP
 * header, m->l3_len bytes of IPv4 header before it; possibly a chain of
 * mbufs after reassembly). Echo requests are answered in place (RFC 1122
 * §3.2.2.6) → ip4_output, except those sent to a broadcast address, which
 * Linux ignores by default (icmp_echo_ignore_broadcasts = 1) and RFC 1122
 * §3.2.2.6 allows to ignore. Everything else is counted for now: errors
 * for sockets come with the sockets.
 */
#include <netinet/in.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include <rte_debug.h>

#include "graph.h"
#include "icmp.h"
#include "icmp_build.h"
#include "ip4.h"
#include "route.h"

enum {
	ICMP_INPUT_NEXT_OUTPUT,
	ICMP_INPUT_DROP_TRUNCATED,
	ICMP_INPUT_DROP_BAD_CHECKSUM,
	ICMP_INPUT_DROP_ECHO_BROADCAST,
	ICMP_INPUT_DROP_UNHANDLED,
	ICMP_INPUT_NB_EDGES, /* transports' error handlers get the edges after these */
};

/* Destination unreachable about protocol p → edge (icmp_error_register).
 * Filled by constructors and the setup hook; read-only once graphs exist. */
static struct {
	char node[RTE_NODE_NAMESIZE];
	rte_edge_t edge;
} err_protos[UINT8_MAX + 1];

void
icmp_error_register(uint8_t proto, const char *node_name)
{
	if (err_protos[proto].node[0] != '\0')
		rte_panic("icmp_input: error handler for protocol %u registered twice\n", proto);
	snprintf(err_protos[proto].node, sizeof(err_protos[proto].node), "%s", node_name);
}

static int
icmp_input_setup(void)
{
	for (unsigned int p = 0; p <= UINT8_MAX; p++) {
		if (err_protos[p].node[0] == '\0')
			continue;
		int e = graph_add_edge("icmp_input", err_protos[p].node);
		if (e < 0)
			return -1;
		err_protos[p].edge = (rte_edge_t)e;
	}
	return 0;
}

/* A destination unreachable quoting a protocol with a handler: its edge,
 * else 0 (a static edge, so never a handler's). */
static inline rte_edge_t
error_edge(const struct rte_mbuf *m, uint8_t type)
{
	if (type != 3) /* destination unreachable (RFC 792) */
		return 0;
	uint8_t proto;
	const uint8_t *p = rte_pktmbuf_read(m, ICMP_HDR_LEN + 9, 1, &proto);
	return p == NULL ? 0 : err_protos[*p].edge;
}

static inline rte_edge_t
icmp_input_one(const struct route_table *rt, struct rte_mbuf *m)
{
	if (unlikely(rte_pktmbuf_pkt_len(m) < ICMP_HDR_LEN))
		return ICMP_INPUT_DROP_TRUNCATED;
	/* RFC 792: the checksum covers the whole message. */
	if (unlikely(!icmp_cksum_ok(m)))
		return ICMP_INPUT_DROP_BAD_CHECKSUM;

	/* A chain may start with an empty segment (a reassembled datagram
	 * whose first fragment held only its IPv4 header). */
	uint8_t tbuf;
	uint8_t type = *(const uint8_t *)rte_pktmbuf_read(m, 0, 1, &tbuf);
	if (type != RTE_IP_ICMP_ECHO_REQUEST) {
		rte_edge_t e = error_edge(m, type);
		return e != 0 ? e : ICMP_INPUT_DROP_UNHANDLED;
	}

	const struct rte_ipv4_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -(int)m->l3_len);
	if (route_is_broadcast(rt, rte_be_to_cpu_32(ih->dst_addr)))
		return ICMP_INPUT_DROP_ECHO_BROADCAST;
	if (unlikely(icmp_echo_reply(m) != 0))
		return ICMP_INPUT_DROP_TRUNCATED;

	struct pkt_meta *meta = pkt_meta(m);
	meta->flags = PKT_META_F_LOCAL_OUT;
	meta->out_port = 0;
	meta->nexthop = 0;
	return ICMP_INPUT_NEXT_OUTPUT;
}

static uint16_t
icmp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct route_table *rt = dp_worker_of(node)->sh->routes;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, icmp_input_one(rt, m), m);
	}
	return nb_objs;
}

static struct rte_node_register icmp_input_node = {
	.name = "icmp_input",
	.process = icmp_input_process,
	.nb_edges = ICMP_INPUT_NB_EDGES,
	.next_nodes =
		{
			[ICMP_INPUT_NEXT_OUTPUT] = "ip4_output",
			[ICMP_INPUT_DROP_TRUNCATED] = "drop_icmp_truncated",
			[ICMP_INPUT_DROP_BAD_CHECKSUM] = "drop_icmp_bad_checksum",
			[ICMP_INPUT_DROP_ECHO_BROADCAST] = "drop_icmp_echo_broadcast",
			[ICMP_INPUT_DROP_UNHANDLED] = "drop_icmp_unhandled",
		},
};
RTE_NODE_REGISTER(icmp_input_node);

GRAPH_DROP_NODE(icmp_truncated);
GRAPH_DROP_NODE(icmp_bad_checksum);
GRAPH_DROP_NODE(icmp_echo_broadcast);
GRAPH_DROP_NODE(icmp_unhandled);

RTE_INIT(icmp_input_init)
{
	ip4_local_register(IPPROTO_ICMP, "icmp_input");
	graph_register_setup_hook(icmp_input_setup);
}
