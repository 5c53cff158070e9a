/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_IO_TXQ_H
#define CAV_IO_TXQ_H

/*
 * A worker's TX queue on one port: the lib/sched qdisc over mbufs, and
 * the transmit step that keeps what the NIC refuses at the head of the
 * qdisc instead of dropping it.
 *
 *   port_tx (node): txq_enqueue() each frame, then txq_xmit() the ports
 *                   it touched
 *   worker loop:    dp_qdisc_sync() at the start of an iteration (take a
 *                   newly published qdisc), dp_qdisc_service() after the
 *                   graph walk (transmit what a backlog or the shaper
 *                   still holds, publish stats)
 *   main lcore:     dp_qdisc_publish() (startup, `cavctl qdisc set`),
 *                   dp_qdisc_stats() (`cavctl qdisc show -s`)
 *
 * The mbuf glue is here too: the flow hash (5-tuple, or the NIC's RSS
 * hash), DSCP, and ECN CE marking with an incremental checksum update.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "qdisc.h"

#define TXQ_BURST 32
/* Bursts one txq_xmit() sends at most, so one busy port cannot hold the
 * worker for long. */
#define TXQ_MAX_BURSTS 8
/* Stats are published at most this often (and once more when idle). */
#define TXQ_PUBLISH_NS UINT64_C(1000000)

/* rte_eth_tx_burst's shape; a test passes a stub. */
typedef uint16_t (*txq_tx_fn)(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **pkts,
			      uint16_t n);

struct txq {
	struct qdisc *q;
	uint64_t gen; /* dp_qdisc_pub.gen of q */
	uint16_t ethdev;
	uint16_t queue;
	bool dirty;	  /* counters changed since the last publish */
	uint64_t pub_ns;  /* when they were last published */
	txq_tx_fn tx;
	struct dp_port_stats *ps; /* the worker's tx_packets / tx_bytes of this port */
	/* Published for the main lcore: written by the owner with relaxed
	 * stores word by word, read the same way (lib/util/counter.h). */
	struct {
		uint64_t gen; /* the qdisc these belong to */
		struct qdisc_stats st;
	} pub __rte_cache_aligned;
};

/* ---- mbuf glue (data at the Ethernet header) ---- */

/* qdisc_ops over mbufs: rte_pktmbuf_free, txq_mbuf_mark_ce, txq_mbuf_classify. */
extern const struct qdisc_ops txq_mbuf_ops;

/*
 * RFC 3168 §5 / RFC 6040: set CE in an IPv4 header if the packet is
 * ECN-capable (ECT(0) or ECT(1)), updating the header checksum
 * incrementally (RFC 1624 eqn. 3) unless `csum` is false (the NIC will
 * compute it). True if the header now carries CE (also when it did
 * already); false for Not-ECT, which must be dropped instead.
 */
bool txq_ip4_set_ce(struct rte_ipv4_hdr *ip, bool csum);

/* CE-mark a frame (IPv4 only; the header must be writable: a direct,
 * unshared mbuf). */
bool txq_mbuf_mark_ce(void *pkt);

/*
 * Flow hash and DSCP of a frame. The hash is the NIC's RSS hash when the
 * PMD set one, else a jhash of the 5-tuple (addresses and protocol only
 * for fragments, which carry no ports after the first); 0 for non-IPv4.
 */
void txq_mbuf_classify(void *pkt, uint32_t *hash, uint8_t *dscp);

/* The 5-tuple hash alone (data at the Ethernet header, IPv4 at l3_off). */
uint32_t txq_flow_hash_ip4(const struct rte_mbuf *m, uint32_t l3_off,
			   const struct rte_ipv4_hdr *ip);

/* ---- one TX queue (owning worker only) ---- */

/* Queue a frame; drops (freed, counted in the qdisc) are returned. */
static inline int
txq_enqueue(struct txq *t, struct rte_mbuf *m, uint64_t now_ns)
{
	t->dirty = true;
	return qdisc_enqueue(t->q, m, rte_pktmbuf_pkt_len(m), now_ns);
}

/*
 * Transmit what the qdisc (and its shaper) lets go, in bursts, until it
 * is empty, the shaper says wait, the NIC takes less than a burst (the
 * rest goes back to the head of the qdisc), or TXQ_MAX_BURSTS went.
 * Returns the packets the NIC took.
 */
uint32_t txq_xmit(struct txq *t, uint64_t now_ns);

/* Copy the qdisc's counters to t->pub. */
void txq_publish(struct txq *t, uint64_t now_ns);

/* ---- per worker ---- */

/* Allocate the worker's txq of every port (no qdisc yet: see sync). 0 or -ENOMEM. */
int dp_qdisc_worker_init(struct dp_worker *w, int socket);
/* Free the txqs, their qdiscs and every packet still queued. */
void dp_qdisc_worker_fini(struct dp_worker *w);

/* The slow part of dp_qdisc_sync(): the generation changed. */
void dp_qdisc_take(struct dp_worker *w, uint64_t gen, uint64_t now_ns);

/*
 * Start of a loop iteration: if the main lcore published a new qdisc for
 * a port, take this worker's instance of it, move the old one's backlog
 * into it and free the old one.
 */
static inline void
dp_qdisc_sync(struct dp_worker *w, uint64_t now_ns)
{
	/* Pairs with the release increment in dp_qdisc_publish(). */
	uint64_t gen = __atomic_load_n(&w->sh->qdisc_gen, __ATOMIC_ACQUIRE);

	if (unlikely(gen != w->qdisc_gen))
		dp_qdisc_take(w, gen, now_ns);
}

/* After the graph walk: transmit backlogs, publish stale stats. Returns packets sent. */
uint32_t dp_qdisc_service(struct dp_worker *w, uint64_t now_ns);

/* ---- main lcore ---- */

/*
 * Validate `conf`, build one instance per worker, publish it for `port`
 * and free the previous publication once no worker can see it (an RCU
 * grace period when workers run). 0, or -EINVAL (message in err; nothing
 * changed) or -ENOMEM.
 */
int dp_qdisc_publish(struct dp_shared *sh, unsigned int port, const struct qdisc_conf *conf,
		     char *err, size_t errlen);

/* Free every publication (at teardown, workers stopped). */
void dp_qdisc_unpublish_all(struct dp_shared *sh);

/* Sum of the stats every worker published for `port` under its current qdisc. */
void dp_qdisc_stats(const struct dp_shared *sh, unsigned int port, struct qdisc_stats *st);

#endif
