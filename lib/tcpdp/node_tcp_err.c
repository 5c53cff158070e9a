/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_err: an ICMP destination unreachable quoting a TCP segment we sent
 * (icmp_input hands it over, as it does UDP's to udp_err: data at the
 * ICMP header, checksum checked). The quoted IPv4 header and the first 8
 * bytes of TCP (RFC 792: ports and sequence number) name the connection:
 * its source is our address and port. Owned here → acted on (tcpdp_err.c
 * decides, as Linux's tcp_v4_err); owned by another worker → the owner's
 * handoff ring (tcp_handoff, the same ring segments take), whose
 * tcp_handoff_rx sends ICMP messages to tcp_err_owner.
 *
 * Outcomes, each its own node: tcp_err_pmtu (frag needed accepted by
 * tcp_pmtu_update: the MSS may be lower and what was in flight goes again
 * at the new size, through ip4_output), tcp_err_hard (a connect failed
 * with the error), tcp_err_soft (an error a synchronized connection
 * ignores, RFC 1122 4.2.3.9), tcp_err_ignored; drops: truncated, no
 * connection, out of window (the quoted sequence is not in flight: an
 * off-path forgery, Linux OutOfWindowIcmps), handoff loop.
 */
#include <netinet/in.h>

#include <rte_ip.h>

#include "counter.h"
#include "graph.h"
#include "icmp.h"
#include "tcpdp_err.h"
#include "tcpdp_priv.h"

#define ICMP_HDR 8u /* type, code, checksum, 4 bytes (frag needed: MTU in the last 2) */

enum {
	TCP_ERR_NEXT_OUTPUT,
	TCP_ERR_NEXT_HANDOFF,
	TCP_ERR_NEXT_PMTU,
	TCP_ERR_NEXT_HARD,
	TCP_ERR_NEXT_SOFT,
	TCP_ERR_NEXT_IGNORED,
	TCP_ERR_DROP_TRUNCATED,
	TCP_ERR_DROP_NO_CONN,
	TCP_ERR_DROP_OUT_OF_WINDOW,
	TCP_ERR_DROP_HANDOFF_LOOP,
	TCP_ERR_NB_EDGES,
};

static rte_edge_t
tcp_err_one(struct tcpdp_worker *tw, struct rte_mbuf *m, bool handed)
{
	/* ICMP header, the quoted IPv4 header (options included), 8 bytes
	 * of TCP. */
	uint8_t buf[ICMP_HDR + 60 + 8];
	const uint8_t *icmp = rte_pktmbuf_read(m, 0, ICMP_HDR + sizeof(struct rte_ipv4_hdr), buf);
	if (icmp == NULL)
		return TCP_ERR_DROP_TRUNCATED;
	const struct rte_ipv4_hdr *q = (const struct rte_ipv4_hdr *)(icmp + ICMP_HDR);
	uint32_t qhl = rte_ipv4_hdr_len(q);
	if (qhl < sizeof(*q) || (q->version_ihl >> 4) != 4)
		return TCP_ERR_DROP_TRUNCATED;
	uint8_t tbuf[8];
	const uint8_t *th = rte_pktmbuf_read(m, ICMP_HDR + qhl, sizeof(tbuf), tbuf);
	if (th == NULL)
		return TCP_ERR_DROP_TRUNCATED;
	uint8_t type = icmp[0], code = icmp[1];
	uint16_t mtu = (uint16_t)(icmp[6] << 8 | icmp[7]);
	uint16_t sport = (uint16_t)(th[0] << 8 | th[1]);
	uint16_t dport = (uint16_t)(th[2] << 8 | th[3]);
	uint32_t seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	/* The quoted segment went from us to the peer. */
	struct tcp_tuple tu = {.laddr = rte_be_to_cpu_32(q->src_addr),
			       .raddr = rte_be_to_cpu_32(q->dst_addr),
			       .lport = sport,
			       .rport = dport};
	struct tcpdp_conn *c = tcpdp_lookup(tw->t, &tu);
	if (c == NULL)
		return TCP_ERR_DROP_NO_CONN;
	if (c->owner != tw->w->id) {
		if (handed)
			return TCP_ERR_DROP_HANDOFF_LOOP;
		pkt_meta(m)->sock_id = c->owner;
		return TCP_ERR_NEXT_HANDOFF;
	}
	/* Only the owner frees: check the index still names this tuple. */
	if (!c->used || memcmp(&c->pcb.tuple, &tu, sizeof(tu)) != 0)
		return TCP_ERR_DROP_NO_CONN;
	struct tcp_pcb *pcb = &c->pcb;
	int err;
	switch (tcpdp_err_classify(pcb, type, code, seq, &err)) {
	case TCPDP_ERR_PMTU:
		/* IP_MTU_DISCOVER DONT / INTERFACE / OMIT: not heeded (Linux
		 * tcp_v4_mtu_reduced); counted on the node all the same. */
		if (c->pmtu_ignore)
			return TCP_ERR_NEXT_PMTU;
		if (tcp_pmtu_update(&tw->st, pcb, seq, mtu, tw->now_us) < 0)
			return TCP_ERR_DROP_OUT_OF_WINDOW; /* counted as pmtu_rejected too */
		/* Below the floor: the core sends 552-byte packets, which this
		 * path cannot carry whole; without DF a router fragments them
		 * (Linux: a locked route MTU clears DF, ip_dont_fragment). */
		if (mtu != 0 && mtu < TCP_MIN_PMTU)
			c->pmtu_locked = true;
		return TCP_ERR_NEXT_PMTU;
	case TCPDP_ERR_OUT_OF_WINDOW:
		return TCP_ERR_DROP_OUT_OF_WINDOW;
	case TCPDP_ERR_HARD:
		/* As the core's own failures (tcp_fail): the error first, for
		 * so_error and the socket's event bits, then CLOSED. */
		pcb->so_error = err;
		tcpdp_ops.event(&tw->st, pcb, TCP_EV_ERROR, err);
		tcp_set_state(&tw->st, pcb, TCPS_CLOSED);
		return TCP_ERR_NEXT_HARD;
	case TCPDP_ERR_DROP_EMBRYO:
		/* Linux inet_csk_reqsk_queue_drop: no RST, no error to anyone. */
		tcp_set_state(&tw->st, pcb, TCPS_CLOSED);
		return TCP_ERR_NEXT_HARD;
	case TCPDP_ERR_SOFT:
		return TCP_ERR_NEXT_SOFT;
	case TCPDP_ERR_IGNORE:
	default:
		return TCP_ERR_NEXT_IGNORED;
	}
}

static uint16_t
tcp_err_run(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs,
	    bool handed)
{
	struct tcpdp_worker *tw = tcpdp_w(dp_worker_of(node));
	if (unlikely(tw == NULL)) { /* no TCP in this process (tests) */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, TCP_ERR_DROP_NO_CONN, objs[i]);
		return nb_objs;
	}
	tcpdp_begin(tw);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		rte_edge_t e = tcp_err_one(tw, m, handed);
		if (e == TCP_ERR_NEXT_HANDOFF)
			counter_add(&tw->ctr[TCPDP_C_HANDOFF], 1);
		graph_next(graph, node, e, m);
	}
	tcpdp_end(tw, graph, node, TCP_ERR_NEXT_OUTPUT);
	return nb_objs;
}

static uint16_t
tcp_err_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return tcp_err_run(graph, node, objs, nb_objs, false);
}

static uint16_t
tcp_err_owner_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		      uint16_t nb_objs)
{
	return tcp_err_run(graph, node, objs, nb_objs, true);
}

#define TCP_ERR_NEXT_NODES                                                                         \
	{                                                                                          \
		[TCP_ERR_NEXT_OUTPUT] = "ip4_output",                                              \
		[TCP_ERR_NEXT_HANDOFF] = "tcp_handoff",                                            \
		[TCP_ERR_NEXT_PMTU] = "tcp_err_pmtu",                                              \
		[TCP_ERR_NEXT_HARD] = "tcp_err_hard",                                              \
		[TCP_ERR_NEXT_SOFT] = "tcp_err_soft",                                              \
		[TCP_ERR_NEXT_IGNORED] = "tcp_err_ignored",                                        \
		[TCP_ERR_DROP_TRUNCATED] = "drop_tcp_err_truncated",                               \
		[TCP_ERR_DROP_NO_CONN] = "drop_tcp_err_no_conn",                                   \
		[TCP_ERR_DROP_OUT_OF_WINDOW] = "drop_tcp_err_out_of_window",                       \
		[TCP_ERR_DROP_HANDOFF_LOOP] = "drop_tcp_err_handoff_loop",                         \
	}

static struct rte_node_register tcp_err_node = {
	.name = "tcp_err",
	.process = tcp_err_process,
	.nb_edges = TCP_ERR_NB_EDGES,
	.next_nodes = TCP_ERR_NEXT_NODES,
};
RTE_NODE_REGISTER(tcp_err_node);

static struct rte_node_register tcp_err_owner_node = {
	.name = "tcp_err_owner",
	.process = tcp_err_owner_process,
	.nb_edges = TCP_ERR_NB_EDGES,
	.next_nodes = TCP_ERR_NEXT_NODES,
};
RTE_NODE_REGISTER(tcp_err_owner_node);

/* The ICMP messages taken: a node each, so the graph counts them. */
static struct rte_node_register tcp_err_pmtu_node = {
	.name = "tcp_err_pmtu",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_err_pmtu_node);
static struct rte_node_register tcp_err_hard_node = {
	.name = "tcp_err_hard",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_err_hard_node);
static struct rte_node_register tcp_err_soft_node = {
	.name = "tcp_err_soft",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_err_soft_node);
static struct rte_node_register tcp_err_ignored_node = {
	.name = "tcp_err_ignored",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_err_ignored_node);

GRAPH_DROP_NODE(tcp_err_truncated);
GRAPH_DROP_NODE(tcp_err_no_conn);
GRAPH_DROP_NODE(tcp_err_out_of_window);
GRAPH_DROP_NODE(tcp_err_handoff_loop);

RTE_INIT(tcp_err_init)
{
	icmp_error_register(IPPROTO_TCP, "tcp_err");
}
