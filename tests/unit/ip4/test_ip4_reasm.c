/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly through rte_ip_frag (ip4_reasm) on a fake clock of 1000 ticks
 * a second. Every discarded mbuf goes through the death row, which the
 * tests free and count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_ip_frag.h>

#include "dp.h"
#include "ip4.h"
#include "ip4_check.h"
#include "ip4_reasm.h"
#include "pkt_env.h"

#define HZ 1000 /* fake TSC: one tick per millisecond */
#define SRC IP4(198, 18, 0, 2)
#define DST IP4(198, 18, 1, 1)
#define MF RTE_IPV4_HDR_MF_FLAG
#define DF RTE_IPV4_HDR_DF_FLAG

static struct rte_ip_frag_tbl *tbl;
static struct rte_ip_frag_death_row dr;
static unsigned int dead; /* mbufs freed from the death row this test */

static int
setup(void **state)
{
	(void)state;
	tbl = ip4_reasm_table_create(HZ, SOCKET_ID_ANY);
	dr.cnt = 0;
	dead = 0;
	return tbl == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	dead += dr.cnt;
	rte_ip_frag_free_death_row(&dr, 0);
	rte_ip_frag_table_destroy(tbl); /* frees what it still holds */
	return test_pools_empty(state);
}

static void
bury(void)
{
	dead += dr.cnt;
	rte_ip_frag_free_death_row(&dr, 0);
}

/* A fragment of datagram `id`: payload bytes [off, off+len) of the
 * pattern byte i = (uint8_t)i. `flags` is MF or 0. */
static struct rte_mbuf *
frag(uint16_t id, uint32_t off, uint32_t len, uint16_t flags)
{
	assert_int_equal(off % 8, 0);
	struct pkt_spec s = {.src = SRC, .dst = DST, .id = id,
			     .frag = (uint16_t)(flags | off / 8), .payload_len = len,
			     .payload_off = off};
	return pkt_build(&s, 0);
}

static enum ip4_reasm_verdict
feed(struct rte_mbuf **m, uint64_t now)
{
	enum ip4_reasm_verdict v = ip4_reasm(tbl, &dr, m, now);
	bury();
	return v;
}

static void
feed_held(struct rte_mbuf *m, uint64_t now)
{
	assert_int_equal(feed(&m, now), IP4_REASM_HELD);
}

/* The datagram is whole: header right, payload the pattern 0..len-1. */
static void
assert_whole(struct rte_mbuf *m, uint32_t len)
{
	struct rte_ipv4_hdr *h = pkt_ip4(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 20 + len);
	assert_int_equal(rte_be_to_cpu_16(h->total_length), 20 + len);
	assert_int_equal(h->fragment_offset & RTE_BE16(MF | RTE_IPV4_HDR_OFFSET_MASK), 0);
	assert_true(ip4_hdr_cksum_valid(h));
	pkt_assert_pattern(m, 20, 0, len);
}

static void
test_in_order(void **state)
{
	(void)state;
	feed_held(frag(1, 0, 1480, MF), 0);
	feed_held(frag(1, 1480, 1480, MF), 1);
	struct rte_mbuf *m = frag(1, 2960, 1040, 0);
	assert_int_equal(feed(&m, 2), IP4_REASM_COMPLETE);
	assert_whole(m, 4000);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(dead, 0);
	rte_pktmbuf_free(m);
}

static void
test_out_of_order(void **state)
{
	(void)state;
	feed_held(frag(2, 2960, 1040, 0), 0);
	feed_held(frag(2, 0, 1480, MF), 1);
	struct rte_mbuf *m = frag(2, 1480, 1480, MF);
	assert_int_equal(feed(&m, 2), IP4_REASM_COMPLETE);
	assert_whole(m, 4000);
	rte_pktmbuf_free(m);
}

static void
test_df_flag_survives_reassembly(void **state)
{
	(void)state;
	feed_held(frag(3, 0, 800, MF | DF), 0);
	struct rte_mbuf *m = frag(3, 800, 100, DF);
	assert_int_equal(feed(&m, 0), IP4_REASM_COMPLETE);
	assert_int_equal(pkt_ip4(m)->fragment_offset, RTE_BE16(DF));
	assert_whole(m, 900);
	rte_pktmbuf_free(m);
}

static void
test_duplicate_first_discards_the_datagram(void **state)
{
	(void)state;
	feed_held(frag(4, 0, 1480, MF), 0);
	feed_held(frag(4, 0, 1480, MF), 1);
	assert_int_equal(dead, 2); /* both firsts: rte_ip_frag never merges */
	/* The rest starts a new datagram that never completes... */
	feed_held(frag(4, 1480, 1480, MF), 2);
	feed_held(frag(4, 2960, 100, 0), 3);
	assert_int_equal(dead, 2);
	/* ...until it expires. */
	rte_ip_frag_table_del_expired_entries(tbl, &dr, 3 + IP4_REASM_TIMEOUT_S * HZ + 1);
	bury();
	assert_int_equal(dead, 4);
}

static void
test_duplicate_middle_discards_the_datagram(void **state)
{
	(void)state;
	feed_held(frag(5, 0, 1480, MF), 0);
	feed_held(frag(5, 1480, 1480, MF), 0);
	feed_held(frag(5, 1480, 1480, MF), 0);
	/* The last makes the byte count exceed the total length. */
	feed_held(frag(5, 2960, 1040, 0), 0);
	assert_int_equal(dead, 4);
}

static void
test_overlap_is_discarded_not_merged(void **state)
{
	(void)state;
	/* [0,1480) [1472,2952) [2952,3000): 8 bytes overlap. */
	feed_held(frag(6, 0, 1480, MF), 0);
	feed_held(frag(6, 1472, 1480, MF), 0);
	feed_held(frag(6, 2952, 48, 0), 0);
	assert_int_equal(dead, 3);
}

static void
test_overlap_hiding_a_hole_is_discarded(void **state)
{
	(void)state;
	/* [0,1000) [992,1992) [2000,3000): the byte count matches the total
	 * length, but the offsets do not chain. */
	feed_held(frag(7, 0, 1000, MF), 0);
	feed_held(frag(7, 992, 1000, MF), 0);
	feed_held(frag(7, 2000, 1000, 0), 0);
	assert_int_equal(dead, 3);
}

static void
test_8_fragments_is_the_limit(void **state)
{
	(void)state;
	/* RTE_LIBRTE_IP_FRAG_MAX_FRAG (8 in this DPDK build) slots: first,
	 * last and 6 in between. */
	assert_int_equal(RTE_LIBRTE_IP_FRAG_MAX_FRAG, 8);
	for (uint32_t i = 0; i < 7; i++)
		feed_held(frag(8, i * 64, 64, MF), 0);
	struct rte_mbuf *m = frag(8, 7 * 64, 64, 0);
	assert_int_equal(feed(&m, 0), IP4_REASM_COMPLETE);
	assert_whole(m, 8 * 64);
	rte_pktmbuf_free(m);

	/* A seventh fragment in between discards all eight. */
	for (uint32_t i = 0; i < 7; i++)
		feed_held(frag(9, i * 64, 64, MF), 0);
	assert_int_equal(dead, 0);
	feed_held(frag(9, 7 * 64, 64, MF), 0);
	assert_int_equal(dead, 8);
}

static void
test_65535_bytes_is_the_cap(void **state)
{
	(void)state;
	/* 7 × 8192 + 8171 = 65,515 bytes of payload: total length 65,535. */
	for (uint32_t i = 0; i < 7; i++)
		feed_held(frag(10, i * 8192, 8192, MF), 0);
	struct rte_mbuf *m = frag(10, 7 * 8192, 8171, 0);
	assert_int_equal(feed(&m, 0), IP4_REASM_COMPLETE);
	assert_whole(m, 65515);
	rte_pktmbuf_free(m);

	/* One byte more is refused before it reaches the table. */
	m = frag(11, 7 * 8192, 8172, 0);
	assert_int_equal(feed(&m, 0), IP4_REASM_TOO_BIG);
	rte_pktmbuf_free(m);
	/* And so is a fragment placed past the end (offset 65,520). */
	m = frag(11, 8190 * 8, 8, MF);
	assert_int_equal(feed(&m, 0), IP4_REASM_TOO_BIG);
	rte_pktmbuf_free(m);
}

static void
test_bad_fragments_are_refused(void **state)
{
	(void)state;
	struct rte_mbuf *m = frag(12, 8, 0, MF); /* no payload */
	assert_int_equal(feed(&m, 0), IP4_REASM_BAD_FRAGMENT);
	rte_pktmbuf_free(m);
	m = frag(12, 0, 100, MF); /* not the last, not a multiple of 8 */
	assert_int_equal(feed(&m, 0), IP4_REASM_BAD_FRAGMENT);
	rte_pktmbuf_free(m);
	m = frag(12, 0, 100, 0); /* offset 0, no MF: not a fragment at all... */
	assert_false(ip4_is_fragment(pkt_ip4(m)));
	rte_pktmbuf_free(m);
}

static void
test_expired_fragments_are_freed(void **state)
{
	(void)state;
	uint64_t timeout = (uint64_t)IP4_REASM_TIMEOUT_S * HZ;
	feed_held(frag(13, 0, 800, MF), 0);
	feed_held(frag(14, 0, 800, MF), 10);
	/* At the timeout exactly nothing is abandoned yet. */
	rte_ip_frag_table_del_expired_entries(tbl, &dr, timeout);
	bury();
	assert_int_equal(dead, 0);
	/* Just past it the first datagram goes, the second stays... */
	rte_ip_frag_table_del_expired_entries(tbl, &dr, timeout + 1);
	bury();
	assert_int_equal(dead, 1);
	/* ...and still completes. */
	struct rte_mbuf *m = frag(14, 800, 8, 0);
	assert_int_equal(feed(&m, timeout + 2), IP4_REASM_COMPLETE);
	assert_whole(m, 808);
	rte_pktmbuf_free(m);
}

static void
test_late_fragment_restarts_an_expired_datagram(void **state)
{
	(void)state;
	uint64_t timeout = (uint64_t)IP4_REASM_TIMEOUT_S * HZ;
	feed_held(frag(15, 0, 800, MF), 0);
	/* No sweep: the stale entry is found, emptied and reused. */
	feed_held(frag(15, 800, 8, 0), timeout + 1);
	assert_int_equal(dead, 1);
}

static void
test_table_full_refuses_new_datagrams(void **state)
{
	(void)state;
	for (uint16_t id = 0; id < IP4_REASM_MAX_DATAGRAMS; id++)
		feed_held(frag((uint16_t)(1000 + id), 0, 64, MF), 0);
	assert_int_equal(dead, 0);
	feed_held(frag(5000, 0, 64, MF), 1);
	assert_int_equal(dead, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in_order),
		T(test_out_of_order),
		T(test_df_flag_survives_reassembly),
		T(test_duplicate_first_discards_the_datagram),
		T(test_duplicate_middle_discards_the_datagram),
		T(test_overlap_is_discarded_not_merged),
		T(test_overlap_hiding_a_hole_is_discarded),
		T(test_8_fragments_is_the_limit),
		T(test_65535_bytes_is_the_cap),
		T(test_bad_fragments_are_refused),
		T(test_expired_fragments_are_freed),
		T(test_late_fragment_restarts_an_expired_datagram),
		T(test_table_full_refuses_new_datagrams),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
