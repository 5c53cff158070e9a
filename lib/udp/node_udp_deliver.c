/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_deliver: a datagram for a socket this worker owns (from udp_input,
 * or from another worker through udp_handoff_rx): copied into the
 * socket's RX ring (this worker is its single producer), then the mbuf is
 * done (udp_delivered). A socket whose receive buffer is full drops it
 * (counted per socket and in drop_udp_rcvbuf_full); a socket closed since
 * the lookup (stale generation) in drop_udp_socket_closed.
 *
 *   udp_handoff:    enqueue on the owner's handoff ring (MP/SC)
 *   udp_handoff_rx: source node, drains this worker's ring → udp_deliver
 */
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "counter.h"
#include "graph.h"
#include "session.h"
#include "udp.h"

enum {
	UDP_DELIVER_DONE,
	UDP_DELIVER_DROP_RCVBUF,
	UDP_DELIVER_DROP_CLOSED,
	UDP_DELIVER_DROP_CLIENT_BAD,
	UDP_DELIVER_NB_EDGES,
};

static inline rte_edge_t
deliver_one(struct dp_worker *w, struct rte_mbuf *m)
{
	struct sess_table *t = w->sh->sess;
	const struct pkt_meta *meta = pkt_meta(m);
	struct sess_sock *s = &t->socks[meta->sock_id % SESS_MAX_SOCKS];
	/* Acquire: pairs with the release store of gen at close. */
	if (unlikely(__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != meta->sock_gen ||
		     s->owner != w->id))
		return UDP_DELIVER_DROP_CLOSED;
	struct sess_client *c = s->client;
	if (unlikely(c == NULL || !sess_client_ok(c)))
		return UDP_DELIVER_DROP_CLIENT_BAD;

	const struct rte_ipv4_hdr *ih =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -(int)m->l3_len);
	struct rte_udp_hdr buf;
	const struct rte_udp_hdr *uh = rte_pktmbuf_read(m, 0, sizeof(buf), &buf);
	uint32_t len = rte_pktmbuf_pkt_len(m) - UDP_HDR_LEN;
	int st;
	uint8_t *p = cav_dg_reserve(&s->rx, len, __atomic_load_n(&s->rcvbuf, __ATOMIC_RELAXED),
				    &st);
	if (unlikely(p == NULL)) {
		if (st == CAV_SHM_CORRUPT) {
			sess_violation(c, SESS_V_RX_RING);
			return UDP_DELIVER_DROP_CLIENT_BAD;
		}
		counter_add(&s->rx_drops, 1);
		__atomic_store_n(&s->shm->rx_drops, s->rx_drops, __ATOMIC_RELAXED);
		return UDP_DELIVER_DROP_RCVBUF;
	}
	udp_copy_out(m, UDP_HDR_LEN, p, len);
	/* Publishes the record (release), then the wakeup check. */
	cav_dg_commit(&s->rx, len, ih->src_addr, uh->src_port);
	counter_add(&s->rx_dgrams, 1);
	counter_add(&s->rx_bytes, len);
	sess_wake(c);
	return UDP_DELIVER_DONE;
}

static uint16_t
udp_deliver_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		    uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		graph_next(graph, node, deliver_one(w, m), m);
	}
	return nb_objs;
}

static struct rte_node_register udp_deliver_node = {
	.name = "udp_deliver",
	.process = udp_deliver_process,
	.nb_edges = UDP_DELIVER_NB_EDGES,
	.next_nodes =
		{
			[UDP_DELIVER_DONE] = "udp_delivered",
			[UDP_DELIVER_DROP_RCVBUF] = "drop_udp_rcvbuf_full",
			[UDP_DELIVER_DROP_CLOSED] = "drop_udp_socket_closed",
			[UDP_DELIVER_DROP_CLIENT_BAD] = "drop_udp_client_dropped",
		},
};
RTE_NODE_REGISTER(udp_deliver_node);

/* The end of a delivered datagram's mbuf: counted (graph stats), freed. */
static struct rte_node_register udp_delivered_node = {
	.name = "udp_delivered",
	.process = graph_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(udp_delivered_node);

GRAPH_DROP_NODE(udp_rcvbuf_full);
GRAPH_DROP_NODE(udp_socket_closed);
GRAPH_DROP_NODE(udp_client_dropped);

/* ---- handoff between workers ---- */

enum {
	UDP_HANDOFF_DROP_FULL,
	UDP_HANDOFF_NB_EDGES,
};

static uint16_t
udp_handoff_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		    uint16_t nb_objs)
{
	struct dp_worker *w = dp_worker_of(node);
	struct sess_table *t = w->sh->sess;
	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		const struct sess_sock *s = &t->socks[pkt_meta(m)->sock_id % SESS_MAX_SOCKS];
		struct dp_worker *ow = w->sh->workers[s->owner % w->sh->n_workers];
		if (unlikely(pkt_meta(m)->trace_id != 0))
			trace_record(w, node, m, TRACE_EDGE_END);
		if (unlikely(rte_ring_mp_enqueue(ow->sess->handoff, m) != 0))
			rte_node_enqueue_x1(graph, node, UDP_HANDOFF_DROP_FULL, m);
	}
	return nb_objs;
}

static struct rte_node_register udp_handoff_node = {
	.name = "udp_handoff",
	.process = udp_handoff_process,
	.nb_edges = UDP_HANDOFF_NB_EDGES,
	.next_nodes = {[UDP_HANDOFF_DROP_FULL] = "drop_udp_handoff_full"},
};
RTE_NODE_REGISTER(udp_handoff_node);
GRAPH_DROP_NODE(udp_handoff_full);

enum {
	UDP_HANDOFF_RX_NEXT_DELIVER,
	UDP_HANDOFF_RX_NB_EDGES,
};

static uint16_t
udp_handoff_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
		       uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	if (w->sess == NULL)
		return 0;
	void *pkts[RTE_GRAPH_BURST_SIZE];
	unsigned int n = rte_ring_sc_dequeue_burst(w->sess->handoff, pkts, RTE_GRAPH_BURST_SIZE,
						   NULL);
	if (n == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (unlikely(pkt_meta(pkts[i])->trace_id != 0))
			trace_record(w, node, pkts[i], UDP_HANDOFF_RX_NEXT_DELIVER);
	rte_node_enqueue(graph, node, UDP_HANDOFF_RX_NEXT_DELIVER, pkts, (uint16_t)n);
	w->rx_in_loop += n;
	return (uint16_t)n;
}

static struct rte_node_register udp_handoff_rx_node = {
	.name = "udp_handoff_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = udp_handoff_rx_process,
	.nb_edges = UDP_HANDOFF_RX_NB_EDGES,
	.next_nodes = {[UDP_HANDOFF_RX_NEXT_DELIVER] = "udp_deliver"},
};
RTE_NODE_REGISTER(udp_handoff_rx_node);
