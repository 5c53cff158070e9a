/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * session_tx: source node. Polls the TX ring of every socket this worker
 * owns (it is their single consumer), and turns each datagram into an
 * IPv4/UDP packet for ip4_output. The record is validated (lib/shm) and
 * its bytes copied into mbufs before anything else looks at them; an
 * impossible index or record marks the client as violating and its
 * sockets are skipped from then on (the main lcore drops it).
 *
 * Stream sockets are lib/tcpdp's: its tcp_tx source node serves their TX
 * rings (new bytes, shutdown requests) through the TCP core.
 */
#include <rte_ip.h>

#include "counter.h"
#include "graph.h"
#include "route.h"
#include "session.h"
#include "udp.h"

enum {
	SESSION_TX_NEXT_OUTPUT,
	SESSION_TX_NB_EDGES,
};

/* Datagrams per socket per call, and per call in all: fairness, and a
 * bound on the work one graph walk does. */
#define TX_PER_SOCK 32
#define TX_PER_CALL 256

/* Source address for dst when the socket is bound to INADDR_ANY: ours on
 * the way there (the destination itself if it is one of ours). */
static inline uint32_t
source_for(const struct route_table *rt, uint32_t dst)
{
	const struct nexthop *nh = route_lookup(rt, dst);
	if (nh == NULL)
		return 0;
	return nh->type == NH_LOCAL ? dst : route_port_addr_for(rt, nh->port, dst);
}

static unsigned int
tx_sock(struct rte_graph *graph, struct rte_node *node, struct dp_worker *w, struct sess_sock *s,
	unsigned int budget)
{
	struct sess_client *c = s->client;
	unsigned int n = 0;
	while (n < budget) {
		struct cav_dg_hdr h;
		const uint8_t *data;
		int st = cav_dg_peek(&s->tx, &h, &data, CAV_UDP_MAX_PAYLOAD);
		if (st == CAV_SHM_EMPTY)
			break;
		if (unlikely(st != CAV_SHM_OK)) {
			sess_violation(c, SESS_V_TX_RING);
			break;
		}
		uint64_t lw = __atomic_load_n(&s->local_w, __ATOMIC_RELAXED);
		uint32_t dst = rte_be_to_cpu_32(h.addr);
		uint16_t dport = rte_be_to_cpu_16(h.port);
		if (dst == 0 && dport == 0) {
			uint64_t rw = __atomic_load_n(&s->remote_w, __ATOMIC_RELAXED);
			dst = sess_w_addr(rw);
			dport = sess_w_port(rw);
		}
		uint32_t src = sess_w_addr(lw);
		if (src == 0 && dst != 0)
			src = source_for(w->sh->routes, dst);
		struct rte_mbuf *m = NULL;
		if (dst != 0 && src != 0) {
			m = udp_build(w->sh->pool, src, sess_w_port(lw), dst, dport, data, h.len,
				      w->sess->ip_id++);
			if (m == NULL)
				break; /* pool empty: the record stays for the next walk */
		}
		/* Copied out: hand the room back. */
		cav_dg_consume(&s->tx, h.len);
		n++;
		if (m == NULL) {
			counter_add(&s->tx_drops, 1);
			continue;
		}
		counter_add(&s->tx_dgrams, 1);
		counter_add(&s->tx_bytes, h.len);
		struct pkt_meta *meta = pkt_meta(m);
		memset(meta, 0, sizeof(*meta));
		meta->flags = PKT_META_F_LOCAL_OUT;
		graph_trace_maybe_start(w, m);
		graph_next(graph, node, SESSION_TX_NEXT_OUTPUT, m);
	}
	if (n > 0)
		sess_wake(c); /* a sender may wait for room */
	return n;
}

static uint16_t
session_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)objs;
	(void)nb_objs;
	struct dp_worker *w = dp_worker_of(node);
	struct sess_worker *sw = w->sess;
	if (unlikely(sw == NULL))
		return 0;
	/* Acquire: pairs with the main lcore's release stores of own[]. */
	uint32_t hw = __atomic_load_n(&sw->n_own, __ATOMIC_ACQUIRE);
	unsigned int total = 0;
	for (uint32_t i = 0; i < hw && total < TX_PER_CALL; i++) {
		struct sess_sock *s = __atomic_load_n(&sw->own[i], __ATOMIC_ACQUIRE);
		if (s == NULL || s->proto != SESS_P_UDP || !sess_client_ok(s->client))
			continue; /* stream sockets: lib/tcpdp's tcp_tx */
		/* Cheap emptiness test first: one load of the client's index. */
		if (cav_ring_peer_prod(&s->tx) == s->tx.local)
			continue;
		unsigned int budget = TX_PER_CALL - total;
		total += tx_sock(graph, node, w, s, budget < TX_PER_SOCK ? budget : TX_PER_SOCK);
	}
	w->rx_in_loop += total;
	return (uint16_t)total;
}

static struct rte_node_register session_tx_node = {
	.name = "session_tx",
	.flags = RTE_NODE_SOURCE_F,
	.process = session_tx_process,
	.nb_edges = SESSION_TX_NB_EDGES,
	.next_nodes =
		{
			[SESSION_TX_NEXT_OUTPUT] = "ip4_output",
		},
};
RTE_NODE_REGISTER(session_tx_node);
