/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TX queue glue of lib/io (txq.c) on real mbufs: CE marking with the
 * incremental checksum update (checked against a full recomputation),
 * the flow hash and DSCP, head-of-line retention when the NIC takes less
 * than a burst (a stub TX function), and the hand-over of a published
 * qdisc to a worker with its backlog. Every test ends with the pool back
 * to zero mbufs in use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "eal_fixture.h"
#include "txq.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct rte_mempool *pool;

struct frame {
	uint8_t tos;
	uint8_t proto;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t frag; /* flags | offset, host order */
	uint8_t opt_words;
	uint16_t ether_type; /* 0: IPv4 */
	uint32_t id;	     /* written into the payload */
};

/* Ethernet + IPv4 (+ options) + 8 bytes of L4 (ports) + the id; checksum set. */
static struct rte_mbuf *
frame(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint16_t ihl = (uint16_t)(sizeof(struct rte_ipv4_hdr) + 4 * f->opt_words);
	uint16_t len = (uint16_t)(sizeof(struct rte_ether_hdr) + ihl + 8 + 4);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(d);
	memset(d, 0, len);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	eh->ether_type = rte_cpu_to_be_16(f->ether_type ? f->ether_type : RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = (uint8_t)(0x40 | (ihl / 4));
	ip->type_of_service = f->tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + 12));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->fragment_offset = rte_cpu_to_be_16(f->frag);
	ip->time_to_live = 64;
	ip->next_proto_id = f->proto ? f->proto : IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(f->src ? f->src : IP4(198, 18, 1, 2));
	ip->dst_addr = rte_cpu_to_be_32(f->dst ? f->dst : IP4(198, 18, 2, 2));
	memset(ip + 1, 1, 4u * f->opt_words); /* NOP options */
	uint8_t *l4 = (uint8_t *)ip + ihl;
	l4[0] = (uint8_t)(f->sport >> 8);
	l4[1] = (uint8_t)f->sport;
	l4[2] = (uint8_t)(f->dport >> 8);
	l4[3] = (uint8_t)f->dport;
	memcpy(l4 + 8, &f->id, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

static struct rte_ipv4_hdr *
ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

static uint32_t
id_of(struct rte_mbuf *m)
{
	uint32_t id;
	memcpy(&id, rte_pktmbuf_mtod_offset(m, uint8_t *, rte_pktmbuf_pkt_len(m) - 4), 4);
	return id;
}

static int
group_setup(void **state)
{
	(void)state;
	if (test_eal_init("txq") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("txq_pool", 1023, 0, PKT_META_PRIV_SIZE,
				       RTE_PKTMBUF_HEADROOM + 2048, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	test_eal_cleanup();
	return 0;
}

static int
pool_empty(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

/* ---- ECN ---- */

static void
test_ce_mark_updates_the_checksum_like_a_recomputation(void **state)
{
	(void)state;
	static const uint8_t dscps[] = {0, 8, 10, 46, 48, 63};
	for (unsigned int ecn = 1; ecn <= 2; ecn++) /* ECT(1), ECT(0) */
		for (size_t k = 0; k < sizeof(dscps); k++)
			for (uint8_t opt = 0; opt <= 2; opt += 2) {
				struct frame f = {.tos = (uint8_t)(dscps[k] << 2 | ecn),
						  .opt_words = opt,
						  .src = IP4(198, 18, 0, k)};
				struct rte_mbuf *m = frame(&f);
				struct rte_ipv4_hdr *ip = ip_of(m);
				assert_true(txq_mbuf_mark_ce(m));
				assert_int_equal(ip->type_of_service, dscps[k] << 2 | 3);
				uint16_t incremental = ip->hdr_checksum;
				ip->hdr_checksum = 0;
				assert_int_equal(incremental, rte_ipv4_cksum(ip));
				rte_pktmbuf_free(m);
			}
}

static void
test_not_ect_is_not_marked_and_ce_stays_ce(void **state)
{
	(void)state;
	struct rte_mbuf *m = frame(&(struct frame){.tos = 46 << 2});
	struct rte_ipv4_hdr before = *ip_of(m);
	assert_false(txq_mbuf_mark_ce(m));
	assert_memory_equal(ip_of(m), &before, sizeof(before));
	rte_pktmbuf_free(m);

	m = frame(&(struct frame){.tos = 3});
	before = *ip_of(m);
	assert_true(txq_mbuf_mark_ce(m)); /* already CE: still a congestion signal */
	assert_memory_equal(ip_of(m), &before, sizeof(before));
	rte_pktmbuf_free(m);
}

static void
test_mark_refuses_shared_and_non_ip_frames_and_leaves_offloaded_checksums(void **state)
{
	(void)state;
	struct rte_mbuf *m = frame(&(struct frame){.tos = 2, .ether_type = RTE_ETHER_TYPE_ARP});
	assert_false(txq_mbuf_mark_ce(m));
	rte_pktmbuf_free(m);

	m = frame(&(struct frame){.tos = 2});
	rte_mbuf_refcnt_update(m, 1); /* a clone shares the header */
	assert_false(txq_mbuf_mark_ce(m));
	assert_int_equal(ip_of(m)->type_of_service, 2);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);

	/* The NIC computes the checksum: only the TOS changes. */
	m = frame(&(struct frame){.tos = 2});
	ip_of(m)->hdr_checksum = 0;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	assert_true(txq_mbuf_mark_ce(m));
	assert_int_equal(ip_of(m)->type_of_service, 3);
	assert_int_equal(ip_of(m)->hdr_checksum, 0);
	rte_pktmbuf_free(m);
}

/* ---- flow hash and DSCP ---- */

static uint32_t
hash_of(const struct frame *f, uint8_t *dscp)
{
	struct rte_mbuf *m = frame(f);
	uint32_t h;
	uint8_t d;
	txq_mbuf_classify(m, &h, &d);
	if (dscp != NULL)
		*dscp = d;
	rte_pktmbuf_free(m);
	return h;
}

static void
test_flow_hash_is_the_5_tuple(void **state)
{
	(void)state;
	struct frame a = {.proto = IPPROTO_TCP, .sport = 40000, .dport = 5201, .tos = 46 << 2};
	uint8_t dscp;
	uint32_t h = hash_of(&a, &dscp);
	assert_int_equal(dscp, 46);
	a.id = 99; /* payload is not part of the flow */
	assert_int_equal(hash_of(&a, NULL), h);
	a.tos = 0; /* nor is DSCP */
	assert_int_equal(hash_of(&a, NULL), h);

	/* Each element of the 5-tuple matters. */
	struct frame b = a;
	b.sport = 40001;
	assert_int_not_equal(hash_of(&b, NULL), h);
	b = a;
	b.dport = 5202;
	assert_int_not_equal(hash_of(&b, NULL), h);
	b = a;
	b.src = IP4(198, 18, 1, 3);
	assert_int_not_equal(hash_of(&b, NULL), h);
	b = a;
	b.dst = IP4(198, 18, 2, 3);
	assert_int_not_equal(hash_of(&b, NULL), h);
	b = a;
	b.proto = IPPROTO_UDP;
	assert_int_not_equal(hash_of(&b, NULL), h);
	/* IPv4 options move the ports, not the flow. */
	b = a;
	b.opt_words = 2;
	assert_int_equal(hash_of(&b, NULL), h);
}

static void
test_fragments_hash_without_ports(void **state)
{
	(void)state;
	/* First fragment (MF) and a later one (offset, no ports there). */
	struct frame first = {.sport = 1000, .dport = 2000, .frag = RTE_IPV4_HDR_MF_FLAG};
	struct frame later = {.sport = 0x4142, .dport = 0x4344, .frag = 185};
	assert_int_equal(hash_of(&first, NULL), hash_of(&later, NULL));
	struct frame whole = {.sport = 1000, .dport = 2000};
	assert_int_not_equal(hash_of(&whole, NULL), hash_of(&first, NULL));
}

static void
test_rss_hash_is_used_when_the_pmd_set_one_and_non_ip_is_flow_zero(void **state)
{
	(void)state;
	struct rte_mbuf *m = frame(&(struct frame){.sport = 1, .dport = 2, .tos = 10 << 2});
	uint32_t h;
	uint8_t d;
	m->hash.rss = 0xdeadbeef;
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	txq_mbuf_classify(m, &h, &d);
	assert_int_equal(h, 0xdeadbeef);
	assert_int_equal(d, 10);
	rte_pktmbuf_free(m);

	m = frame(&(struct frame){.ether_type = RTE_ETHER_TYPE_ARP, .tos = 46 << 2});
	txq_mbuf_classify(m, &h, &d);
	assert_int_equal(h, 0);
	assert_int_equal(d, 0);
	rte_pktmbuf_free(m);
}

/* ---- transmit ---- */

static struct {
	unsigned int accept; /* per call */
	uint32_t ids[256];
	unsigned int n;
	unsigned int calls;
} nic;

static uint16_t
stub_tx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	(void)port;
	(void)queue;
	uint16_t k = (uint16_t)(n < nic.accept ? n : nic.accept);
	nic.calls++;
	for (uint16_t i = 0; i < k; i++) {
		assert_true(nic.n < 256);
		nic.ids[nic.n++] = id_of(pkts[i]);
	}
	rte_pktmbuf_free_bulk(pkts, k);
	return k;
}

static struct qdisc *
qdisc_of(const char *kind)
{
	struct qdisc_conf c;
	qdisc_conf_default(&c);
	if (strcmp(kind, "fifo") == 0)
		c.kind = QDISC_KIND_FIFO;
	struct qdisc *q = qdisc_create(&c, &txq_mbuf_ops, 2048, 0);
	assert_non_null(q);
	return q;
}

static void
test_unsent_packets_stay_at_the_head_in_order(void **state)
{
	(void)state;
	static const char *const kinds[] = {"fifo", "fq_codel"};
	for (size_t k = 0; k < 2; k++) {
		struct dp_port_stats ps = {0};
		struct txq t = {.q = qdisc_of(kinds[k]), .tx = stub_tx, .ps = &ps};
		struct qdisc_stats st;
		memset(&nic, 0, sizeof(nic));
		for (uint32_t i = 0; i < 100; i++)
			txq_enqueue(&t, frame(&(struct frame){.id = i, .sport = 7}), 0);

		/* The ring takes 10 of the first burst: stop there, keep 90. */
		nic.accept = 10;
		assert_int_equal(txq_xmit(&t, 0), 10);
		assert_int_equal(nic.calls, 1);
		assert_int_equal(qdisc_backlog(t.q, NULL), 90);
		/* A full ring takes nothing: nothing is lost either. */
		nic.accept = 0;
		assert_int_equal(txq_xmit(&t, 0), 0);
		assert_int_equal(qdisc_backlog(t.q, NULL), 90);
		/* Room again: the rest goes, oldest first. */
		nic.accept = 1000;
		assert_int_equal(txq_xmit(&t, 0), 90);
		assert_int_equal(nic.n, 100);
		for (uint32_t i = 0; i < 100; i++)
			assert_int_equal(nic.ids[i], i);
		qdisc_stats_get(t.q, &st);
		assert_int_equal(st.sent_packets, 100);
		assert_int_equal(st.requeues, 22 + 32);
		assert_int_equal(st.dropped, 0);
		assert_int_equal(ps.tx_packets, 100);
		assert_int_equal(ps.tx_bytes, 100 * (14 + 20 + 12));
		qdisc_free(t.q);
		assert_int_equal(rte_mempool_in_use_count(pool), 0);
	}
}

static void
test_a_burst_loop_is_bounded(void **state)
{
	(void)state;
	struct dp_port_stats ps = {0};
	struct txq t = {.q = qdisc_of("fifo"), .tx = stub_tx, .ps = &ps};
	memset(&nic, 0, sizeof(nic));
	nic.accept = 1000;
	for (uint32_t i = 0; i < 300; i++)
		txq_enqueue(&t, frame(&(struct frame){.id = i}), 0);
	assert_int_equal(txq_xmit(&t, 0), TXQ_BURST * TXQ_MAX_BURSTS);
	assert_int_equal(qdisc_backlog(t.q, NULL), 300 - TXQ_BURST * TXQ_MAX_BURSTS);
	nic.n = 0; /* ids[] holds 256 */
	assert_int_equal(txq_xmit(&t, 0), 300 - TXQ_BURST * TXQ_MAX_BURSTS);
	qdisc_free(t.q);
}

/* ---- hand-over from the main lcore to a worker ---- */

static void
test_a_published_qdisc_takes_over_the_backlog(void **state)
{
	(void)state;
	struct dp_shared *sh = rte_zmalloc("sh", sizeof(*sh), 0);
	struct dp_worker *w = rte_zmalloc("w", sizeof(*w), RTE_CACHE_LINE_SIZE);
	char err[256];
	struct qdisc_conf c;
	struct qdisc_stats st;
	assert_non_null(sh);
	assert_non_null(w);
	sh->pool = pool;
	sh->n_ports = 1;
	sh->n_workers = 1;
	sh->workers[0] = w;
	sh->tsc_hz = rte_get_tsc_hz();
	w->sh = sh;
	assert_int_equal(dp_qdisc_worker_init(w, SOCKET_ID_ANY), 0);
	w->txq[0]->tx = stub_tx;

	qdisc_conf_default(&c);
	c.kind = QDISC_KIND_FIFO;
	assert_int_equal(dp_qdisc_publish(sh, 0, &c, err, sizeof(err)), 0);
	dp_qdisc_sync(w, 0);
	assert_non_null(w->txq[0]->q);
	assert_int_equal(qdisc_conf_get(w->txq[0]->q)->kind, QDISC_KIND_FIFO);
	for (uint32_t i = 0; i < 20; i++)
		txq_enqueue(w->txq[0], frame(&(struct frame){.id = i}), 0);

	/* A bad one is refused and changes nothing. */
	struct dp_qdisc_pub *running = sh->qdisc[0];
	uint64_t gen = sh->qdisc_gen;
	c.fifo.limit = 0;
	assert_int_equal(dp_qdisc_publish(sh, 0, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fifo limit"));
	assert_ptr_equal(sh->qdisc[0], running);
	assert_int_equal(sh->qdisc_gen, gen);

	/* fq_codel replaces the FIFO between two iterations, backlog and all. */
	qdisc_conf_default(&c);
	assert_int_equal(dp_qdisc_publish(sh, 0, &c, err, sizeof(err)), 0);
	dp_qdisc_sync(w, 0);
	assert_int_equal(qdisc_conf_get(w->txq[0]->q)->kind, QDISC_KIND_FQ_CODEL);
	assert_int_equal(qdisc_backlog(w->txq[0]->q, NULL), 20);
	dp_qdisc_stats(sh, 0, &st);
	assert_int_equal(st.backlog_packets, 20);
	assert_int_equal(st.n_bands, 1);

	/* The worker keeps transmitting without new packets. */
	memset(&nic, 0, sizeof(nic));
	nic.accept = 5;
	assert_int_equal(dp_qdisc_service(w, 0), 5);
	assert_int_equal(dp_qdisc_service(w, 0), 5);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(nic.ids[i], i);

	/* Teardown frees the 10 still queued. */
	dp_qdisc_worker_fini(w);
	dp_qdisc_unpublish_all(sh);
	rte_free(w);
	rte_free(sh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ce_mark_updates_the_checksum_like_a_recomputation,
					  pool_empty),
		cmocka_unit_test_teardown(test_not_ect_is_not_marked_and_ce_stays_ce, pool_empty),
		cmocka_unit_test_teardown(
			test_mark_refuses_shared_and_non_ip_frames_and_leaves_offloaded_checksums,
			pool_empty),
		cmocka_unit_test_teardown(test_flow_hash_is_the_5_tuple, pool_empty),
		cmocka_unit_test_teardown(test_fragments_hash_without_ports, pool_empty),
		cmocka_unit_test_teardown(
			test_rss_hash_is_used_when_the_pmd_set_one_and_non_ip_is_flow_zero,
			pool_empty),
		cmocka_unit_test_teardown(test_unsent_packets_stay_at_the_head_in_order,
					  pool_empty),
		cmocka_unit_test_teardown(test_a_burst_loop_is_bounded, pool_empty),
		cmocka_unit_test_teardown(test_a_published_qdisc_takes_over_the_backlog,
					  pool_empty),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
