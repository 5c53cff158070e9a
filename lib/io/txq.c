/* SPDX-License-Identifier: BSD-3-Clause */
/* TX queues: the qdisc over mbufs, transmit with head-of-line retention,
 * and the lock-free hand-over of a new qdisc from the main lcore. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "counter.h"
#include "log.h"
#include "txq.h"

/* ECN field, RFC 3168 §5. */
#define ECN_MASK 0x3
#define ECN_NOT_ECT 0x0
#define ECN_CE 0x3

_Static_assert(sizeof(struct qdisc_stats) % sizeof(uint64_t) == 0,
	       "qdisc_stats is published word by word");

/* ---- mbuf glue ---- */

bool
txq_ip4_set_ce(struct rte_ipv4_hdr *ip, bool csum)
{
	uint8_t tos = ip->type_of_service;

	if ((tos & ECN_MASK) == ECN_NOT_ECT)
		return false;
	if ((tos & ECN_MASK) == ECN_CE)
		return true;
	if (csum) {
		/*
		 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m is the
		 * 16-bit word holding version/IHL and TOS. One's complement
		 * sums are byte-order independent as long as all terms use
		 * the same order: host order here.
		 */
		uint16_t m = (uint16_t)(ip->version_ihl << 8 | tos);
		uint16_t m1 = (uint16_t)(m | ECN_CE);
		uint32_t sum = (uint16_t)~rte_be_to_cpu_16(ip->hdr_checksum);

		sum += (uint16_t)~m;
		sum += m1;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~sum);
	}
	ip->type_of_service = (uint8_t)(tos | ECN_CE);
	return true;
}

bool
txq_mbuf_mark_ce(void *pkt)
{
	struct rte_mbuf *m = pkt;
	struct rte_ether_hdr *eh;

	/* Only a header no one else sees may change (fragments share payload, not headers). */
	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
	    rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(struct rte_ipv4_hdr))
		return false;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return false;
	return txq_ip4_set_ce((struct rte_ipv4_hdr *)(eh + 1),
			      (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) == 0);
}

uint32_t
txq_flow_hash_ip4(const struct rte_mbuf *m, uint32_t l3_off, const struct rte_ipv4_hdr *ip)
{
	uint8_t proto = ip->next_proto_id;
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t ports = 0, buf;

	/* Ports only where every packet of the flow has them (Linux's flow dissector does the same). */
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    (frag & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) == 0) {
		const void *p = rte_pktmbuf_read(m, l3_off + rte_ipv4_hdr_len(ip), 4, &buf);

		/* memcpy: the ports sit at any alignment (14-byte Ethernet). */
		if (p != NULL)
			memcpy(&ports, p, sizeof(ports));
	}
	return rte_jhash_3words(ip->src_addr, ip->dst_addr, ports, proto);
}

void
txq_mbuf_classify(void *pkt, uint32_t *hash, uint8_t *dscp)
{
	const struct rte_mbuf *m = pkt;
	struct rte_ether_hdr eh_buf;
	struct rte_ipv4_hdr ip_buf;
	const struct rte_ether_hdr *eh = rte_pktmbuf_read(m, 0, sizeof(eh_buf), &eh_buf);
	const struct rte_ipv4_hdr *ip;

	*hash = 0;
	*dscp = 0;
	if (eh == NULL || eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	ip = rte_pktmbuf_read(m, sizeof(*eh), sizeof(ip_buf), &ip_buf);
	if (ip == NULL)
		return;
	*dscp = ip->type_of_service >> 2;
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		*hash = m->hash.rss;
	else
		*hash = txq_flow_hash_ip4(m, sizeof(*eh), ip);
}

static void
txq_mbuf_free(void *pkt)
{
	rte_pktmbuf_free(pkt);
}

const struct qdisc_ops txq_mbuf_ops = {
	.free = txq_mbuf_free,
	.mark_ce = txq_mbuf_mark_ce,
	.classify = txq_mbuf_classify,
};

/* ---- one TX queue ---- */

uint32_t
txq_xmit(struct txq *t, uint64_t now_ns)
{
	struct rte_mbuf *pkts[TXQ_BURST];
	uint32_t lens[TXQ_BURST];
	uint64_t bytes = 0;
	uint32_t total = 0;

	for (unsigned int b = 0; b < TXQ_MAX_BURSTS; b++) {
		uint16_t n = 0, sent;

		while (n < TXQ_BURST &&
		       (pkts[n] = qdisc_dequeue(t->q, now_ns, &lens[n])) != NULL)
			n++;
		if (n == 0)
			break;
		t->dirty = true;
		sent = t->tx(t->ethdev, t->queue, pkts, n);
		for (uint16_t k = 0; k < sent; k++)
			bytes += lens[k];
		total += sent;
		if (sent < n) {
			/* The ring is full: the rest waits at the head, in order. */
			unsigned int kept = qdisc_requeue(t->q, (void *const *)&pkts[sent],
							  &lens[sent], n - sent);
			if (unlikely(kept < (unsigned int)(n - sent))) {
				/* Cannot happen with n <= QDISC_REQUEUE_MAX; counted if it does. */
				rte_pktmbuf_free_bulk(&pkts[sent + kept], n - sent - kept);
				qdisc_count_drops(t->q, n - sent - kept);
			}
			break;
		}
		if (n < TXQ_BURST)
			break;
	}
	if (total != 0) {
		counter_add(&t->ps->tx_packets, total);
		counter_add(&t->ps->tx_bytes, bytes);
	}
	return total;
}

void
txq_publish(struct txq *t, uint64_t now_ns)
{
	struct qdisc_stats st;
	const uint64_t *src = (const uint64_t *)&st;
	uint64_t *dst = (uint64_t *)&t->pub.st;
	size_t words;

	qdisc_stats_get(t->q, &st);
	words = (offsetof(struct qdisc_stats, band) + st.n_bands * sizeof(st.band[0])) /
		sizeof(uint64_t);
	for (size_t i = 0; i < words; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	__atomic_store_n(&t->pub.gen, t->gen, __ATOMIC_RELAXED);
	t->dirty = false;
	t->pub_ns = now_ns;
}

/* ---- per worker ---- */

static uint16_t
txq_eth_tx(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port_id, queue_id, pkts, n);
}

int
dp_qdisc_worker_init(struct dp_worker *w, int socket)
{
	for (unsigned int p = 0; p < w->sh->n_ports; p++) {
		struct txq *t = rte_zmalloc_socket("txq", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);

		if (t == NULL)
			return -ENOMEM;
		t->ethdev = w->sh->ports[p].ethdev;
		t->queue = w->queue;
		t->tx = txq_eth_tx;
		t->ps = &w->port_stats[p];
		w->txq[p] = t;
	}
	return 0;
}

void
dp_qdisc_worker_fini(struct dp_worker *w)
{
	for (unsigned int p = 0; p < CAV_MAX_PORTS; p++) {
		if (w->txq[p] == NULL)
			continue;
		qdisc_free(w->txq[p]->q); /* frees what is still queued */
		rte_free(w->txq[p]);
		w->txq[p] = NULL;
	}
}

void
dp_qdisc_take(struct dp_worker *w, uint64_t gen, uint64_t now_ns)
{
	for (unsigned int p = 0; p < w->sh->n_ports; p++) {
		struct txq *t = w->txq[p];
		/* Pairs with the release store in dp_qdisc_publish(). */
		struct dp_qdisc_pub *pub = __atomic_load_n(&w->sh->qdisc[p], __ATOMIC_ACQUIRE);
		struct qdisc *q;

		if (t == NULL || pub == NULL || pub->gen == t->gen)
			continue;
		/* Ours alone: the main lcore frees only what no worker took. */
		q = __atomic_exchange_n(&pub->inst[w->id], NULL, __ATOMIC_ACQ_REL);
		if (q == NULL)
			continue;
		if (t->q != NULL) {
			qdisc_migrate(t->q, q, now_ns);
			qdisc_free(t->q);
		}
		t->q = q;
		t->gen = pub->gen;
		txq_publish(t, now_ns);
	}
	w->qdisc_gen = gen;
}

uint32_t
dp_qdisc_service(struct dp_worker *w, uint64_t now_ns)
{
	uint32_t sent = 0;

	for (unsigned int p = 0; p < w->sh->n_ports; p++) {
		struct txq *t = w->txq[p];

		if (t == NULL || t->q == NULL)
			continue;
		if (qdisc_backlog(t->q, NULL) != 0)
			sent += txq_xmit(t, now_ns);
		if (t->dirty && now_ns - t->pub_ns >= TXQ_PUBLISH_NS)
			txq_publish(t, now_ns);
	}
	return sent;
}

/* ---- main lcore ---- */

static void
pub_free(struct dp_qdisc_pub *pub)
{
	if (pub == NULL)
		return;
	for (unsigned int i = 0; i < CAV_MAX_WORKERS; i++)
		qdisc_free(pub->inst[i]);
	free(pub);
}

int
dp_qdisc_publish(struct dp_shared *sh, unsigned int port, const struct qdisc_conf *conf,
		 char *err, size_t errlen)
{
	struct dp_qdisc_pub *pub, *old;
	uint64_t now_ns = dp_tsc_to_ns(rte_rdtsc(), sh->tsc_hz);
	uint32_t overhead = rte_pktmbuf_data_room_size(sh->pool);

	if (port >= sh->n_ports) {
		snprintf(err, errlen, "no port %u", port);
		return -EINVAL;
	}
	if (qdisc_conf_check(conf, err, errlen) != 0)
		return -EINVAL;
	pub = calloc(1, sizeof(*pub));
	if (pub == NULL)
		goto nomem;
	pub->gen = sh->qdisc_gen + 1; /* the main lcore is the only writer */
	pub->conf = *conf;
	for (unsigned int i = 0; i < sh->n_workers; i++) {
		pub->inst[i] = qdisc_create(conf, &txq_mbuf_ops, overhead, now_ns);
		if (pub->inst[i] == NULL)
			goto nomem;
	}
	if (conf->shaper.rate_bps != 0) {
		/* One bucket for the port, whichever worker sends. */
		if (shaper_shared_init(&sh->port_shaper[port], conf->shaper.rate_bps,
				       conf->shaper.burst_bytes, now_ns) != 0) {
			pub_free(pub);
			snprintf(err, errlen, "bad shaper rate or burst");
			return -EINVAL;
		}
		for (unsigned int i = 0; i < sh->n_workers; i++)
			qdisc_share_shaper(pub->inst[i], &sh->port_shaper[port]);
	}
	old = sh->qdisc[port];
	/* Pairs with the acquire loads in dp_qdisc_sync() and dp_qdisc_take(). */
	__atomic_store_n(&sh->qdisc[port], pub, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sh->qdisc_gen, 1, __ATOMIC_RELEASE);
	if (old != NULL) {
		/* After a grace period no worker still reads `old`; what it
		 * holds in inst[] no worker took (superseded before use). */
		uint64_t t0 = rte_rdtsc();
		if (sh->rcu != NULL)
			rte_rcu_qsbr_synchronize(sh->rcu, RTE_QSBR_THRID_INVALID);
		uint64_t ms = (rte_rdtsc() - t0) * 1000 / sh->tsc_hz;
		if (ms >= 100) /* a worker did not loop for that long: say so */
			CAV_LOG(WARNING, "qdisc of port %u: workers took %lu ms to let go of the old one",
				port, (unsigned long)ms);
		pub_free(old);
	}
	return 0;
nomem:
	pub_free(pub);
	snprintf(err, errlen, "out of memory building the qdisc");
	return -ENOMEM;
}

void
dp_qdisc_unpublish_all(struct dp_shared *sh)
{
	for (unsigned int p = 0; p < CAV_MAX_PORTS; p++) {
		pub_free(sh->qdisc[p]);
		sh->qdisc[p] = NULL;
	}
}

void
dp_qdisc_stats(const struct dp_shared *sh, unsigned int port, struct qdisc_stats *st)
{
	const struct dp_qdisc_pub *pub = sh->qdisc[port];

	memset(st, 0, sizeof(*st));
	if (pub == NULL)
		return;
	for (unsigned int w = 0; w < sh->n_workers; w++) {
		const struct txq *t = sh->workers[w]->txq[port];
		struct qdisc_stats one = {0};
		const uint64_t *src;
		uint64_t *dst = (uint64_t *)&one;

		if (t == NULL || __atomic_load_n(&t->pub.gen, __ATOMIC_RELAXED) != pub->gen)
			continue; /* not running this qdisc yet: nothing to add */
		src = (const uint64_t *)&t->pub.st;
		for (size_t i = 0; i < sizeof(one) / sizeof(uint64_t); i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		st->sent_bytes += one.sent_bytes;
		st->sent_packets += one.sent_packets;
		st->dropped += one.dropped;
		st->overlimits += one.overlimits;
		st->requeues += one.requeues;
		st->backlog_bytes += one.backlog_bytes;
		st->backlog_packets += one.backlog_packets;
		if (one.n_bands > PRIO_BANDS_MAX)
			continue;
		st->n_bands = one.n_bands;
		for (unsigned int b = 0; b < one.n_bands; b++) {
			struct fq_codel_stats *a = &st->band[b];
			const struct fq_codel_stats *o = &one.band[b];

			a->sent_bytes += o->sent_bytes;
			a->sent_packets += o->sent_packets;
			a->dropped += o->dropped;
			a->ecn_mark += o->ecn_mark;
			a->drop_overlimit += o->drop_overlimit;
			a->drop_overmemory += o->drop_overmemory;
			a->new_flow_count += o->new_flow_count;
			a->backlog_bytes += o->backlog_bytes;
			a->memory_usage += o->memory_usage;
			a->backlog_packets += o->backlog_packets;
			a->new_flows_len += o->new_flows_len;
			a->old_flows_len += o->old_flows_len;
			if (o->maxpacket > a->maxpacket)
				a->maxpacket = o->maxpacket;
		}
	}
}
