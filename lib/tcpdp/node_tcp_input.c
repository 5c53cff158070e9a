/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_input: a TCP segment for this host (from ip4_local: data at the TCP
 * header, the IPv4 header m->l3_len bytes before it). Checksum (RFC 9293
 * §3.1; the PMD's verdict for a single-segment packet, software
 * otherwise), parse (tcp_parse), then:
 *   - a connection of the 4-tuple: owned here → the core's tcp_input;
 *     owned elsewhere → tcp_handoff (the owner's ring);
 *   - else a listener (the session table, TCP port space) → the core's
 *     tcp_listen_input (a SYN creates the connection on this worker);
 *   - else tcp_closed_input: the RST of RFC 9293 §3.10.7.1.
 * Segments the core emits meanwhile go to ip4_output at the end of the
 * burst. Every drop reason is its own node (drop_tcp_*), the core's
 * reasons included.
 *
 * tcp_input_owner is the same stage for segments another worker handed
 * over (tcp_handoff_rx): found owned elsewhere again (the connection was
 * freed and reused meanwhile), they are dropped rather than bounced.
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_ring.h>

#include "counter.h"
#include "graph.h"
#include "ip4.h"
#include "ip4_check.h"
#include "route.h"
#include "tcpdp_priv.h"

enum {
	TCP_IN_NEXT_OUTPUT,
	TCP_IN_NEXT_HANDOFF,
	TCP_IN_NEXT_DONE,
	TCP_IN_NEXT_RST,
	TCP_IN_DROP_BAD_CHECKSUM,
	TCP_IN_DROP_BCAST,
	TCP_IN_DROP_RST_NO_CONN,
	TCP_IN_DROP_HANDOFF_LOOP,
	TCP_IN_DROP_BASE, /* + enum tcp_drop */
	TCP_IN_NB_EDGES = TCP_IN_DROP_BASE + TCP_DROP__COUNT,
};

static inline rte_edge_t
drop(enum tcp_drop r)
{
	return (rte_edge_t)(TCP_IN_DROP_BASE + (r < TCP_DROP__COUNT ? r : TCP_DROP_STATE));
}

static rte_edge_t
verdict(enum tcp_in_result res, enum tcp_drop why)
{
	switch (res) {
	case TCP_IN_OK:
		return TCP_IN_NEXT_DONE;
	case TCP_IN_RST:
		return TCP_IN_NEXT_RST;
	default:
		return drop(why != TCP_DROP_NONE ? why : TCP_DROP_STATE);
	}
}

/* A segment for no connection: a listener's, or an RST back. */
static rte_edge_t
no_conn(struct tcpdp_worker *tw, struct rte_mbuf *m, struct tcp_seg *seg,
	const struct tcp_tuple *tu)
{
	struct sess_table *sess = tw->w->sh->sess;
	struct sess_sock *lst = sess != NULL ? sess_lookup_listener(sess, tu->laddr, tu->lport)
					     : NULL;
	if (lst != NULL && __atomic_load_n(&lst->phase, __ATOMIC_RELAXED) == SESS_TCP_LISTEN &&
	    lst->client != NULL && sess_client_ok(lst->client)) {
		struct tcpdp_lst *e = tcpdp_lst_view(tw, lst, pkt_meta(m)->in_port);
		struct tcp_pcb *np = NULL;
		enum tcp_drop why = TCP_DROP_NONE;
		enum tcp_in_result res =
			tcp_listen_input(&tw->st, &e->l, seg, tu, tw->now_us, &np, &why);
		return verdict(res, why);
	}
	struct tcp_out out;
	if (!tcp_closed_input(&tw->st, seg, tu, &out))
		return TCP_IN_DROP_RST_NO_CONN; /* RFC 9293: an RST to nothing is dropped */
	tcpdp_ops.emit(&tw->st, NULL, &out);
	return TCP_IN_NEXT_RST;
}

static rte_edge_t
tcp_input_one(struct tcpdp_worker *tw, struct rte_mbuf *m, bool handed)
{
	struct dp_worker *w = tw->w;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (unlikely(len < TCP_HDR_MIN))
		return drop(TCP_DROP_HDR_SHORT);
	const struct rte_ipv4_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -(int)m->l3_len);
	if (!handed && unlikely(!tcpdp_cksum_ok(m, ih, len)))
		return TCP_IN_DROP_BAD_CHECKSUM;
	uint8_t hbuf[TCP_HDR_MAX];
	const void *h = rte_pktmbuf_read(m, 0, len < TCP_HDR_MAX ? len : TCP_HDR_MAX, hbuf);
	struct tcp_seg seg;
	enum tcp_drop why = tcp_parse(h, len, &seg);
	if (unlikely(why != TCP_DROP_NONE)) {
		counter_add(&tw->st.stats.in_errs, 1);
		return drop(why);
	}
	seg.payload = m;
	/* RFC 3168 §5: the ECN field's CE codepoint (11) says a router on
	 * the way was congested; the core echoes it (ECE) on an ECN
	 * connection and ignores it otherwise. */
	seg.ce = (ih->type_of_service & RTE_IPV4_HDR_ECN_MASK) == RTE_IPV4_HDR_ECN_CE;
	uint32_t dst = rte_be_to_cpu_32(ih->dst_addr);
	uint32_t src = rte_be_to_cpu_32(ih->src_addr);
	/* RFC 1122 §4.2.3.10: a segment to a broadcast or multicast
	 * address is dropped (and never answered). */
	if (unlikely(ip4_addr_is_multicast(dst) || route_is_broadcast(w->sh->routes, dst)))
		return TCP_IN_DROP_BCAST;
	struct tcp_tuple tu = {.laddr = dst, .raddr = src, .lport = seg.dport, .rport = seg.sport};
	struct tcpdp_conn *c = tcpdp_lookup(tw->t, &tu);
	if (c == NULL)
		return no_conn(tw, m, &seg, &tu);
	if (c->owner != w->id) {
		if (handed)
			return TCP_IN_DROP_HANDOFF_LOOP;
		pkt_meta(m)->sock_id = c->owner;
		return TCP_IN_NEXT_HANDOFF;
	}
	/* Ours: the lookup raced with nothing (only we free it), but the
	 * index may name a connection reused for another tuple since the
	 * key was read: check. */
	if (!c->used || memcmp(&c->pcb.tuple, &tu, sizeof(tu)) != 0)
		return no_conn(tw, m, &seg, &tu);
	/* Its socket went away under it (a client dropped without a graceful
	 * close: SESS_CMD_DETACH is on its way): the core must not copy into
	 * rings unmapped after this walk; reset it now, as DETACH would. */
	if (c->sock_id != TCPDP_SOCK_NONE && tcpdp_conn_sock(tw, c) == NULL) {
		tcpdp_detach(tw, c, NULL);
		counter_add(&tw->ctr[TCPDP_C_DETACHED], 1);
		tcp_abort(&tw->st, &c->pcb, tw->now_us);
		return TCP_IN_NEXT_RST;
	}
	if (c->pcb.state == TCPS_SYN_RCVD && !tcpdp_lst_refresh(tw, c)) {
		/* Its listener closed: Linux resets the embryonic connection. */
		tcp_abort(&tw->st, &c->pcb, tw->now_us);
		return TCP_IN_NEXT_RST;
	}
	enum tcp_in_result res = tcp_input(&tw->st, &c->pcb, &seg, tw->now_us, &why);
	if (c->abort_pending) {
		c->abort_pending = false;
		tcp_abort(&tw->st, &c->pcb, tw->now_us);
	}
	if (res == TCP_IN_TW_REUSE) {
		/* The TIME_WAIT connection is closed (unhashed at its CLOSED
		 * event); a listener may take the SYN (seg.isn set). */
		return no_conn(tw, m, &seg, &tu);
	}
	return verdict(res, why);
}

static uint16_t
tcp_input_run(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs,
	      bool handed)
{
	struct dp_worker *w = dp_worker_of(node);
	struct tcpdp_worker *tw = tcpdp_w(w);
	if (unlikely(tw == NULL)) { /* no TCP in this process (tests) */
		for (uint16_t i = 0; i < nb_objs; i++)
			graph_next(graph, node, drop(TCP_DROP_STATE), objs[i]);
		return nb_objs;
	}
	tcpdp_begin(tw);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		rte_edge_t e = tcp_input_one(tw, m, handed);
		if (e == TCP_IN_NEXT_HANDOFF)
			counter_add(&tw->ctr[TCPDP_C_HANDOFF], 1);
		graph_next(graph, node, e, m);
	}
	tcpdp_end(tw, graph, node, TCP_IN_NEXT_OUTPUT);
	return nb_objs;
}

static uint16_t
tcp_input_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	return tcp_input_run(graph, node, objs, nb_objs, false);
}

static uint16_t
tcp_input_owner_process(struct rte_graph *graph, struct rte_node *node, void **objs,
			uint16_t nb_objs)
{
	return tcp_input_run(graph, node, objs, nb_objs, true);
}

#define TCP_IN_NEXT_NODES                                                                          \
	{                                                                                          \
		[TCP_IN_NEXT_OUTPUT] = "ip4_output",                                               \
		[TCP_IN_NEXT_HANDOFF] = "tcp_handoff",                                             \
		[TCP_IN_NEXT_DONE] = "tcp_consumed",                                               \
		[TCP_IN_NEXT_RST] = "tcp_answered_rst",                                            \
		[TCP_IN_DROP_BAD_CHECKSUM] = "drop_tcp_bad_checksum",                              \
		[TCP_IN_DROP_BCAST] = "drop_tcp_bcast",                                            \
		[TCP_IN_DROP_RST_NO_CONN] = "drop_tcp_rst_no_conn",                                \
		[TCP_IN_DROP_HANDOFF_LOOP] = "drop_tcp_handoff_loop",                              \
		[TCP_IN_DROP_BASE + TCP_DROP_NONE] = "drop_tcp_state",                             \
		[TCP_IN_DROP_BASE + TCP_DROP_HDR_SHORT] = "drop_tcp_hdr_short",                    \
		[TCP_IN_DROP_BASE + TCP_DROP_HDR_DOFF] = "drop_tcp_hdr_doff",                      \
		[TCP_IN_DROP_BASE + TCP_DROP_OPT_BAD] = "drop_tcp_opt_bad",                        \
		[TCP_IN_DROP_BASE + TCP_DROP_BAD_FLAGS] = "drop_tcp_bad_flags",                    \
		[TCP_IN_DROP_BASE + TCP_DROP_NOT_SYN] = "drop_tcp_not_syn",                        \
		[TCP_IN_DROP_BASE + TCP_DROP_SYNQ_FULL] = "drop_tcp_synq_full",                    \
		[TCP_IN_DROP_BASE + TCP_DROP_ACCEPTQ_FULL] = "drop_tcp_acceptq_full",              \
		[TCP_IN_DROP_BASE + TCP_DROP_NO_PCB] = "drop_tcp_no_pcb",                          \
		[TCP_IN_DROP_BASE + TCP_DROP_OUT_OF_WINDOW] = "drop_tcp_out_of_window",            \
		[TCP_IN_DROP_BASE + TCP_DROP_RST_OUT_OF_WINDOW] = "drop_tcp_rst_out_of_window",    \
		[TCP_IN_DROP_BASE + TCP_DROP_BAD_ACK] = "drop_tcp_bad_ack",                        \
		[TCP_IN_DROP_BASE + TCP_DROP_OLD_ACK] = "drop_tcp_old_ack",                        \
		[TCP_IN_DROP_BASE + TCP_DROP_OOO_FULL] = "drop_tcp_ooo_full",                      \
		[TCP_IN_DROP_BASE + TCP_DROP_RCV_NO_BUF] = "drop_tcp_rcv_no_buf",                  \
		[TCP_IN_DROP_BASE + TCP_DROP_DATA_AFTER_CLOSE] = "drop_tcp_data_after_close",      \
		[TCP_IN_DROP_BASE + TCP_DROP_STATE] = "drop_tcp_state",                            \
		[TCP_IN_DROP_BASE + TCP_DROP_TW] = "drop_tcp_time_wait",                           \
	}

static struct rte_node_register tcp_input_node = {
	.name = "tcp_input",
	.process = tcp_input_process,
	.nb_edges = TCP_IN_NB_EDGES,
	.next_nodes = TCP_IN_NEXT_NODES,
};
RTE_NODE_REGISTER(tcp_input_node);

static struct rte_node_register tcp_input_owner_node = {
	.name = "tcp_input_owner",
	.process = tcp_input_owner_process,
	.nb_edges = TCP_IN_NB_EDGES,
	.next_nodes = TCP_IN_NEXT_NODES,
};
RTE_NODE_REGISTER(tcp_input_owner_node);

_Static_assert(TCP_DROP__COUNT == 18, "a new core drop reason needs its drop node here");

/* Segments the core took (or that only carried what the core used). */
static struct rte_node_register tcp_consumed_node = {
	.name = "tcp_consumed",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_consumed_node);
/* Segments answered with an RST (closed port, bad ACK, ...). */
static struct rte_node_register tcp_answered_rst_node = {
	.name = "tcp_answered_rst",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(tcp_answered_rst_node);

GRAPH_DROP_NODE(tcp_bad_checksum);
GRAPH_DROP_NODE(tcp_bcast);
GRAPH_DROP_NODE(tcp_rst_no_conn);
GRAPH_DROP_NODE(tcp_handoff_loop);
GRAPH_DROP_NODE(tcp_hdr_short);
GRAPH_DROP_NODE(tcp_hdr_doff);
GRAPH_DROP_NODE(tcp_opt_bad);
GRAPH_DROP_NODE(tcp_bad_flags);
GRAPH_DROP_NODE(tcp_not_syn);
GRAPH_DROP_NODE(tcp_synq_full);
GRAPH_DROP_NODE(tcp_acceptq_full);
GRAPH_DROP_NODE(tcp_no_pcb);
GRAPH_DROP_NODE(tcp_out_of_window);
GRAPH_DROP_NODE(tcp_rst_out_of_window);
GRAPH_DROP_NODE(tcp_bad_ack);
GRAPH_DROP_NODE(tcp_old_ack);
GRAPH_DROP_NODE(tcp_ooo_full);
GRAPH_DROP_NODE(tcp_rcv_no_buf);
GRAPH_DROP_NODE(tcp_data_after_close);
GRAPH_DROP_NODE(tcp_state);
GRAPH_DROP_NODE(tcp_time_wait);

RTE_INIT(tcp_input_init)
{
	ip4_local_register(IPPROTO_TCP, "tcp_input");
}

/* ---- handoff between workers ---- */

enum {
	TCP_HANDOFF_DROP_FULL,
	TCP_HANDOFF_NB_EDGES,
};

static uint16_t
tcp_handoff_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		    uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		struct dp_worker *ow = w->sh->workers[pkt_meta(m)->sock_id % w->sh->n_workers];
		if (unlikely(pkt_meta(m)->trace_id != 0))
			trace_record(w, node, m, TRACE_EDGE_END);
		if (unlikely(rte_ring_mp_enqueue(tcpdp_w(ow)->handoff, m) != 0))
			rte_node_enqueue_x1(graph, node, TCP_HANDOFF_DROP_FULL, m);
	}
	return nb_objs;
}

static struct rte_node_register tcp_handoff_node = {
	.name = "tcp_handoff",
	.process = tcp_handoff_process,
	.nb_edges = TCP_HANDOFF_NB_EDGES,
	.next_nodes = {[TCP_HANDOFF_DROP_FULL] = "drop_tcp_handoff_full"},
};
RTE_NODE_REGISTER(tcp_handoff_node);
GRAPH_DROP_NODE(tcp_handoff_full);

enum {
	TCP_HANDOFF_RX_NEXT_INPUT,
	TCP_HANDOFF_RX_NEXT_ERR,
	TCP_HANDOFF_RX_NB_EDGES,
};

/* The ring carries segments (data at the TCP header) and ICMP errors about
 * our connections (data at the ICMP header, from tcp_err): the IPv4
 * header before the data tells which. */
static inline rte_edge_t
handoff_rx_edge(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -(int)m->l3_len);
	return ih->next_proto_id == IPPROTO_ICMP ? TCP_HANDOFF_RX_NEXT_ERR
						 : TCP_HANDOFF_RX_NEXT_INPUT;
}

static uint16_t
tcp_handoff_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		       uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	struct tcpdp_worker *tw = tcpdp_w(w);
	if (tw == NULL)
		return 0;
	void *pkts[RTE_GRAPH_BURST_SIZE];
	unsigned int n = rte_ring_sc_dequeue_burst(tw->handoff, pkts, RTE_GRAPH_BURST_SIZE, NULL);
	if (n == 0)
		return 0;
	for (unsigned int k = 0; k < n; k++)
		if (unlikely(pkt_meta(pkts[k])->trace_id != 0))
			trace_record(w, node, pkts[k], handoff_rx_edge(pkts[k]));
	/* Segments are the rule: one enqueue for a burst of them. */
	unsigned int i = 0;
	while (i < n && handoff_rx_edge(pkts[i]) == TCP_HANDOFF_RX_NEXT_INPUT)
		i++;
	if (i == n) {
		rte_node_enqueue(graph, node, TCP_HANDOFF_RX_NEXT_INPUT, pkts, (uint16_t)n);
	} else {
		for (i = 0; i < n; i++)
			rte_node_enqueue_x1(graph, node, handoff_rx_edge(pkts[i]), pkts[i]);
	}
	w->rx_in_loop += n;
	return (uint16_t)n;
}

static struct rte_node_register tcp_handoff_rx_node = {
	.name = "tcp_handoff_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = tcp_handoff_rx_process,
	.nb_edges = TCP_HANDOFF_RX_NB_EDGES,
	.next_nodes = {[TCP_HANDOFF_RX_NEXT_INPUT] = "tcp_input_owner",
		       [TCP_HANDOFF_RX_NEXT_ERR] = "tcp_err_owner"},
};
RTE_NODE_REGISTER(tcp_handoff_rx_node);
