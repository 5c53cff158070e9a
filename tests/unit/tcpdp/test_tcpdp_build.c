/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcpdp's segment builder and input checksum: the payload comes from
 * the send ring at any index (across the ring's wrap, at odd offsets) and
 * over chains of small mbufs; the checksum must hold however the pieces
 * fall (each piece at an odd payload offset is byte-swapped). Checked
 * against lib/ip4's chain checksum and a flat copy. Every test ends with
 * the pool back to zero in use.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "eal_fixture.h"
#include "ip4_check.h"
#include "tcpdp_priv.h"

#define RING 4096u

static struct rte_mempool *pool;
static uint8_t ring[RING];

static uint16_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static struct tcp_out
out_of(uint32_t len, uint8_t flags)
{
	struct tcp_out o;
	memset(&o, 0, sizeof(o));
	o.tuple = (struct tcp_tuple){.laddr = 0xc6120001, .raddr = 0xc6120002, .lport = 7,
				     .rport = 40000};
	o.seq = 0x01020304;
	o.ack = 0xa0b0c0d0;
	o.flags = flags;
	o.wnd = 65535;
	o.len = len;
	if (flags & TCP_SYN) {
		o.opts = TCP_OPT_F_MSS;
		o.mss = 1460;
	}
	return o;
}

/* Build, then check everything a receiver would. */
static void
check_one(uint32_t idx, uint32_t len, uint8_t flags)
{
	struct tcp_out o = out_of(len, flags);
	struct rte_mbuf *m = tcpdp_build(pool, &o, ring, RING, idx, 77, true);
	assert_non_null(m);
	uint32_t thl = tcp_hdr_len(&o);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 20 + thl + len);
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	assert_int_equal(ih->next_proto_id, IPPROTO_TCP);
	assert_int_equal(ih->time_to_live, 64);
	assert_int_equal(rte_be_to_cpu_16(ih->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(rte_be_to_cpu_16(ih->total_length), 20 + thl + len);
	assert_int_equal(rte_ipv4_cksum(ih), 0); /* a valid header sums to 0 */
	/* The payload, byte for byte, from the ring at idx (wrapping). */
	uint8_t *flat = malloc(len + 1);
	tcpdp_copy_out(m, 20 + thl, flat, len);
	for (uint32_t i = 0; i < len; i++)
		if (flat[i] != ring[(idx + i) & (RING - 1)])
			fail_msg("payload byte %u of %u (idx %u) differs", i, len, idx);
	free(flat);
	/* The TCP checksum over the chain, with the pseudo header. */
	uint16_t body;
	assert_int_equal(ip4_raw_cksum_mbuf(m, 20, thl + len, &body), 0);
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) ph = {ih->src_addr, ih->dst_addr, 0, IPPROTO_TCP,
					rte_cpu_to_be_16((uint16_t)(thl + len))};
	if (fold(rte_raw_cksum(&ph, sizeof(ph)) + body) != 0xffff)
		fail_msg("bad TCP checksum: idx %u len %u (%u segments)", idx, len, m->nb_segs);
	/* And the input side agrees: data at the TCP header, IPv4 before. */
	rte_pktmbuf_adj(m, 20);
	m->l3_len = 20;
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, -20);
	m->ol_flags = 0; /* no PMD verdict: software */
	assert_true(tcpdp_cksum_ok(m, ih, thl + len));
	/* One flipped bit anywhere in the segment is caught. */
	uint32_t at = (idx * 7 + len) % (thl + len);
	struct rte_mbuf *seg = m;
	uint32_t off = at;
	while (off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	rte_pktmbuf_mtod(seg, uint8_t *)[off] ^= 0x10;
	assert_false(tcpdp_cksum_ok(m, ih, thl + len));
	/* A PMD verdict is trusted on a single segment only. */
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	assert_true(m->nb_segs > 1 ? !tcpdp_cksum_ok(m, ih, thl + len)
				   : tcpdp_cksum_ok(m, ih, thl + len));
	rte_pktmbuf_free(m);
}

static void
test_header_only_segments(void **state)
{
	(void)state;
	check_one(0, 0, TCP_SYN);
	check_one(123, 0, TCP_ACK);
	check_one(0, 0, TCP_RST | TCP_ACK);
}

static void
test_payload_at_every_parity_and_across_the_wrap(void **state)
{
	(void)state;
	static const uint32_t lens[] = {1, 2, 3, 535, 536, 1459, 1460, 2999};
	static const uint32_t idxs[] = {0, 1, 2, 3, 100, 1001, RING - 1, RING - 2, RING - 3,
					RING - 700, RING - 701, 5 * RING + 17};
	for (size_t i = 0; i < sizeof(idxs) / sizeof(idxs[0]); i++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			check_one(idxs[i], lens[l], TCP_ACK | TCP_PSH);
}

static void
test_pool_empty_leaves_nothing_allocated(void **state)
{
	(void)state;
	/* Take every mbuf but two: a long payload cannot be chained. */
	unsigned int n = rte_mempool_avail_count(pool);
	struct rte_mbuf **hold = calloc(n, sizeof(*hold));
	for (unsigned int i = 0; i + 2 < n; i++)
		hold[i] = rte_pktmbuf_alloc(pool);
	struct tcp_out o = out_of(2999, TCP_ACK);
	assert_null(tcpdp_build(pool, &o, ring, RING, 5, 1, true));
	assert_int_equal(rte_mempool_avail_count(pool), 2);
	for (unsigned int i = 0; i + 2 < n; i++)
		rte_pktmbuf_free(hold[i]);
	free(hold);
}

/* RFC 3168 §6.1.5: ECT(0) exactly when the core set tcp_out.ect (new
 * data of an ECN connection), Not-ECT otherwise; DF as the caller says;
 * the header checksum covers both. */
static void
test_ect_only_when_the_core_asks(void **state)
{
	(void)state;
	for (int ect = 0; ect <= 1; ect++) {
		struct tcp_out o = out_of(1000, TCP_ACK | TCP_PSH);
		o.ect = ect != 0;
		struct rte_mbuf *m = tcpdp_build(pool, &o, ring, RING, 9, 5, ect != 0);
		assert_non_null(m);
		const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		assert_int_equal(ih->type_of_service, ect ? 0x02 : 0x00);
		/* df follows the caller (false: a path below the PMTU floor). */
		assert_int_equal(rte_be_to_cpu_16(ih->fragment_offset),
				 ect ? RTE_IPV4_HDR_DF_FLAG : 0);
		assert_int_equal(rte_ipv4_cksum(ih), 0);
		rte_pktmbuf_free(m);
	}
	/* A SYN or a pure ACK never carries ECT (the core never sets it
	 * there; the builder adds nothing of its own). */
	struct tcp_out syn = out_of(0, TCP_SYN | TCP_ECE | TCP_CWR);
	struct rte_mbuf *m = tcpdp_build(pool, &syn, ring, RING, 0, 6, true);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->type_of_service, 0);
	rte_pktmbuf_free(m);
}

static int
teardown(void **state)
{
	(void)state;
	/* Every mbuf back in the pool. */
	return rte_mempool_in_use_count(pool) == 0 ? 0 : -1;
}

int
main(void)
{
	if (test_eal_init("tcpdpbuild") < 0)
		return 1;
	/* Small buffers: 200 bytes of data room, so a segment chains. */
	pool = rte_pktmbuf_pool_create("tb", 1023, 0, 0, RTE_PKTMBUF_HEADROOM + 200, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	unsigned int seed = 4242;
	printf("seed %u\n", seed);
	srand(seed);
	for (unsigned int i = 0; i < RING; i++)
		ring[i] = (uint8_t)rand();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_header_only_segments, teardown),
		cmocka_unit_test_teardown(test_payload_at_every_parity_and_across_the_wrap, teardown),
		cmocka_unit_test_teardown(test_pool_empty_leaves_nothing_allocated, teardown),
		cmocka_unit_test_teardown(test_ect_only_when_the_core_asks, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return rc;
}
