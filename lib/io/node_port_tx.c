/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_tx: frames (Ethernet header built, pkt_meta out_port set) into the
 * qdisc of this worker's TX queue on their port (txq.h), then as many out
 * on the wire as the qdisc, its shaper and the NIC allow. What the NIC
 * does not take stays at the head of the qdisc; the worker loop keeps
 * transmitting backlogs when no new packets arrive (dp_qdisc_service).
 * Drops are the qdisc's (overflow, CoDel): freed and counted in
 * `cavctl qdisc show -s`.
 */
#include "counter.h"
#include "graph.h"
#include "txq.h"

/* Frames to a port whose qdisc was empty: straight to the NIC (what it
 * refuses starts the queue). `bytes`: their length, counted before the
 * burst: what the PMD accepted is its own afterwards (net_null frees it
 * at once), only the refused rest is still ours to read. */
static void
bypass_xmit(struct txq *t, struct rte_mbuf **pkts, uint16_t n, uint64_t bytes, uint64_t now_ns)
{
	uint16_t sent = t->tx(t->ethdev, t->queue, pkts, n);
	for (uint16_t k = sent; k < n; k++)
		bytes -= rte_pktmbuf_pkt_len(pkts[k]);
	if (sent != 0) {
		qdisc_count_bypass(t->q, sent, bytes);
		counter_add(&t->ps->tx_packets, sent);
		counter_add(&t->ps->tx_bytes, bytes);
		t->dirty = true;
	}
	/* The ring is full: the rest is the queue now, in order. */
	for (uint16_t k = sent; k < n; k++)
		txq_enqueue(t, pkts[k], now_ns);
}

static inline uint64_t
burst_bytes(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;
	for (uint16_t k = 0; k < n; k++)
		bytes += rte_pktmbuf_pkt_len(pkts[k]);
	return bytes;
}

/*
 * The common case in one pass: every frame of the burst to one port whose
 * qdisc is empty and unshaped, none traced. Then the stream itself goes to
 * the NIC, without sorting it per port. Returns false (nothing done) for
 * anything else.
 */
static inline bool
port_tx_one_port(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now_ns)
{
	const uint16_t p = pkt_meta(pkts[0])->out_port;
	uint32_t other = 0;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		other |= (uint32_t)(pkt_meta(pkts[i])->out_port ^ p);
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	if (unlikely(w->walk_traced != 0))
		for (uint16_t i = 0; i < n; i++)
			other |= pkt_meta(pkts[i])->trace_id;
	if (unlikely(other != 0 || p >= CAV_MAX_PORTS))
		return false;
	struct txq *t = w->txq[p];
	if (unlikely(t == NULL || t->q == NULL) || !qdisc_can_bypass(t->q))
		return false;
	bypass_xmit(t, pkts, n, bytes, now_ns); /* what the NIC refuses queues */
	return true;
}

static uint16_t
port_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs, uint16_t nb_objs)
{
	(void)graph;
	struct dp_worker *w = dp_worker_of(node);
	const uint64_t now_ns = w->now_ns;
	if (likely(nb_objs != 0 && nb_objs <= RTE_GRAPH_BURST_SIZE) &&
	    port_tx_one_port(w, (struct rte_mbuf **)objs, nb_objs, now_ns))
		return nb_objs;
	uint32_t touched = 0; /* bit per port: packets went into its qdisc */
	uint32_t decided = 0; /* bit per port: bypass or queue chosen for this burst */
	uint32_t bypass = 0;  /* bit per port: its qdisc was empty: bypass it */
	struct rte_mbuf *direct[CAV_MAX_PORTS][RTE_GRAPH_BURST_SIZE];
	uint16_t n_direct[CAV_MAX_PORTS];

	for (uint16_t i = 0; i < nb_objs; i++) {
		struct rte_mbuf *m = objs[i];
		uint16_t p = pkt_meta(m)->out_port;
		struct txq *t = p < CAV_MAX_PORTS ? w->txq[p] : NULL;
		if (unlikely(pkt_meta(m)->trace_id != 0))
			trace_record(w, node, m, TRACE_EDGE_END);
		if (unlikely(t == NULL || t->q == NULL)) {
			/* No qdisc (a port out of range): nowhere to queue. */
			counter_add(&w->port_stats[p < CAV_MAX_PORTS ? p : 0].tx_dropped, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		const uint32_t bit = UINT32_C(1) << p;
		if (!(decided & bit)) {
			decided |= bit;
			if (qdisc_can_bypass(t->q)) {
				bypass |= bit;
				n_direct[p] = 0;
			}
		}
		if (bypass & bit) {
			direct[p][n_direct[p]++] = m;
			if (unlikely(n_direct[p] == RTE_GRAPH_BURST_SIZE)) {
				/* A stream longer than a burst: send this much now. */
				bypass_xmit(t, direct[p], n_direct[p],
					    burst_bytes(direct[p], n_direct[p]), now_ns);
				n_direct[p] = 0;
				if (!qdisc_can_bypass(t->q)) {
					/* The NIC refused some: the rest queues behind. */
					bypass &= ~bit;
					touched |= bit;
				}
			}
		} else {
			txq_enqueue(t, m, now_ns);
			touched |= bit;
		}
	}
	while (bypass != 0) {
		unsigned int p = (unsigned int)__builtin_ctz(bypass);
		bypass &= bypass - 1;
		if (n_direct[p] != 0)
			bypass_xmit(w->txq[p], direct[p], n_direct[p],
				    burst_bytes(direct[p], n_direct[p]), now_ns);
	}
	while (touched != 0) {
		unsigned int p = (unsigned int)__builtin_ctz(touched);
		touched &= touched - 1;
		txq_xmit(w->txq[p], now_ns);
	}
	return nb_objs;
}

static struct rte_node_register port_tx_node = {
	.name = "port_tx",
	.process = port_tx_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(port_tx_node);
