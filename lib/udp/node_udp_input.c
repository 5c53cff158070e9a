/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_input: a UDP datagram for this host (from ip4_local: data at the UDP
 * header, the IPv4 header of m->l3_len bytes before it; a chain after
 * reassembly). RFC 768 / RFC 1122 §4.1.3: length and checksum checks
 * (a zero checksum means none), then the socket: the connected 4-tuple,
 * then the bound address and port, then INADDR_ANY and the port. A
 * datagram for no socket earns an ICMP port unreachable (RFC 1122
 * §4.1.3.1; rate-limited by icmp_error), except one sent to a broadcast or
 * multicast address (RFC 1122 §3.2.2). A broadcast to the port's
 * broadcast address goes to the socket bound to INADDR_ANY on that port.
 */
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "graph.h"
#include "ip4.h"
#include "ip4_check.h"
#include "route.h"
#include "session.h"
#include "udp.h"

enum {
	UDP_IN_NEXT_DELIVER,
	UDP_IN_NEXT_HANDOFF,
	UDP_IN_NEXT_ICMP_ERROR,
	UDP_IN_DROP_TRUNCATED,
	UDP_IN_DROP_BAD_LENGTH,
	UDP_IN_DROP_BAD_CHECKSUM,
	UDP_IN_DROP_NO_SOCKET_BCAST,
	UDP_IN_NB_EDGES,
};

static inline rte_edge_t
udp_input_one(const struct dp_worker *w, struct rte_mbuf *m)
{
	const struct dp_shared *sh = w->sh;
	if (unlikely(rte_pktmbuf_pkt_len(m) < UDP_HDR_LEN))
		return UDP_IN_DROP_TRUNCATED;
	struct rte_udp_hdr buf;
	const struct rte_udp_hdr *uh = rte_pktmbuf_read(m, 0, sizeof(buf), &buf);
	uint16_t ulen = rte_be_to_cpu_16(uh->dgram_len);
	uint16_t sport = rte_be_to_cpu_16(uh->src_port);
	uint16_t dport = rte_be_to_cpu_16(uh->dst_port);
	if (unlikely(ulen < UDP_HDR_LEN || ulen > rte_pktmbuf_pkt_len(m)))
		return UDP_IN_DROP_BAD_LENGTH;
	/* Bytes past the UDP length (the IPv4 length was checked already). */
	if (unlikely(ulen < rte_pktmbuf_pkt_len(m)) &&
	    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - ulen)) != 0)
		return UDP_IN_DROP_BAD_LENGTH;
	const struct rte_ipv4_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -(int)m->l3_len);
	if (unlikely(!udp_cksum_ok(m, ih, ulen)))
		return UDP_IN_DROP_BAD_CHECKSUM;

	uint32_t dst = rte_be_to_cpu_32(ih->dst_addr);
	uint32_t src = rte_be_to_cpu_32(ih->src_addr);
	bool bcast = ip4_addr_is_multicast(dst) || route_is_broadcast(sh->routes, dst);
	struct sess_sock *s = NULL;
	if (likely(sh->sess != NULL))
		s = bcast ? sess_lookup(sh->sess, 0, dport, 0, 0)
			  : sess_lookup(sh->sess, dst, dport, src, sport);
	if (s == NULL) {
		if (bcast)
			return UDP_IN_DROP_NO_SOCKET_BCAST;
		rte_pktmbuf_prepend(m, (uint16_t)m->l3_len);
		pkt_meta(m)->icmp_type = ICMP_DEST_UNREACH;
		pkt_meta(m)->icmp_code = ICMP_PORT_UNREACH;
		return UDP_IN_NEXT_ICMP_ERROR;
	}
	struct pkt_meta *meta = pkt_meta(m);
	meta->sock_id = s->id;
	/* Acquire: pairs with the release store at close. */
	meta->sock_gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	return s->owner == w->id ? UDP_IN_NEXT_DELIVER : UDP_IN_NEXT_HANDOFF;
}

static uint16_t
udp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	const struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, udp_input_one(w, m), m);
	}
	return nb_objs;
}

static struct rte_node_register udp_input_node = {
	.name = "udp_input",
	.process = udp_input_process,
	.nb_edges = UDP_IN_NB_EDGES,
	.next_nodes =
		{
			[UDP_IN_NEXT_DELIVER] = "udp_deliver",
			[UDP_IN_NEXT_HANDOFF] = "udp_handoff",
			[UDP_IN_NEXT_ICMP_ERROR] = "icmp_error",
			[UDP_IN_DROP_TRUNCATED] = "drop_udp_truncated",
			[UDP_IN_DROP_BAD_LENGTH] = "drop_udp_bad_length",
			[UDP_IN_DROP_BAD_CHECKSUM] = "drop_udp_bad_checksum",
			[UDP_IN_DROP_NO_SOCKET_BCAST] = "drop_udp_no_socket_bcast",
		},
};
RTE_NODE_REGISTER(udp_input_node);

GRAPH_DROP_NODE(udp_truncated);
GRAPH_DROP_NODE(udp_bad_length);
GRAPH_DROP_NODE(udp_bad_checksum);
GRAPH_DROP_NODE(udp_no_socket_bcast);

RTE_INIT(udp_input_init)
{
	ip4_local_register(IPPROTO_UDP, "udp_input");
}
