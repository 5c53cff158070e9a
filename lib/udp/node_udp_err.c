/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_err: an ICMP destination unreachable quoting a UDP datagram we sent
 * (icmp_input hands it over: data at the ICMP header, checksum checked).
 * RFC 1122 §4.1.3.3: UDP passes ICMP errors to the application. As Linux
 * does without IP_RECVERR, only a connected socket gets it: the error goes
 * in its SO_ERROR and its next call fails with it (ECONNREFUSED for port
 * unreachable). The quoted header says which socket: its source is our
 * address and port, its destination the peer.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "graph.h"
#include "icmp.h"
#include "icmp_build.h"
#include "session.h"

enum {
	UDP_ERR_DONE,
	UDP_ERR_DROP_NO_SOCKET,
	UDP_ERR_DROP_TRUNCATED,
	UDP_ERR_NB_EDGES,
};

/* Linux's icmp_err_convert[] for destination unreachable codes 0..15. */
static const int unreach_errno[16] = {
	ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
	ENETUNREACH, EHOSTDOWN,	   ENONET,	ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
	EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
};

static inline rte_edge_t
udp_err_one(struct dp_worker *w, struct rte_mbuf *m)
{
	uint8_t buf[ICMP_HDR_LEN + 60 + 8];
	const uint8_t *icmp = rte_pktmbuf_read(m, 0, ICMP_HDR_LEN + sizeof(struct rte_ipv4_hdr), buf);
	if (icmp == NULL)
		return UDP_ERR_DROP_TRUNCATED;
	const struct rte_ipv4_hdr *q = (const struct rte_ipv4_hdr *)(icmp + ICMP_HDR_LEN);
	uint32_t qhl = rte_ipv4_hdr_len(q);
	if (qhl < sizeof(*q))
		return UDP_ERR_DROP_TRUNCATED;
	struct rte_udp_hdr ubuf;
	const struct rte_udp_hdr *uh = rte_pktmbuf_read(m, ICMP_HDR_LEN + qhl, sizeof(ubuf), &ubuf);
	if (uh == NULL)
		return UDP_ERR_DROP_TRUNCATED;
	uint8_t code = icmp[1];
	if (code >= RTE_DIM(unreach_errno) || code == 4)
		return UDP_ERR_DROP_NO_SOCKET; /* frag needed: a path MTU matter, not an error */
	struct sess_table *t = w->sh->sess;
	struct sess_sock *s =
		t == NULL ? NULL
			  : sess_lookup_connected(t, rte_be_to_cpu_32(q->src_addr),
						  rte_be_to_cpu_16(uh->src_port),
						  rte_be_to_cpu_32(q->dst_addr),
						  rte_be_to_cpu_16(uh->dst_port));
	if (s == NULL || s->client == NULL)
		return UDP_ERR_DROP_NO_SOCKET;
	sess_set_error(s, unreach_errno[code]);
	return UDP_ERR_DONE;
}

static uint16_t
udp_err_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, udp_err_one(w, m), m);
	}
	return nb_objs;
}

static struct rte_node_register udp_err_node = {
	.name = "udp_err",
	.process = udp_err_process,
	.nb_edges = UDP_ERR_NB_EDGES,
	.next_nodes =
		{
			[UDP_ERR_DONE] = "udp_err_delivered",
			[UDP_ERR_DROP_NO_SOCKET] = "drop_udp_err_no_socket",
			[UDP_ERR_DROP_TRUNCATED] = "drop_udp_err_truncated",
		},
};
RTE_NODE_REGISTER(udp_err_node);

static struct rte_node_register udp_err_delivered_node = {
	.name = "udp_err_delivered",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(udp_err_delivered_node);
GRAPH_DROP_NODE(udp_err_no_socket);
GRAPH_DROP_NODE(udp_err_truncated);

RTE_INIT(udp_err_init)
{
	icmp_error_register(IPPROTO_UDP, "udp_err");
}
