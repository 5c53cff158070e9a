/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly (ip4_reasm) on a fake clock of 1000 ticks a second. Every mbuf
 * the table gives up reaches the sink, which frees it and counts it by
 * reason; teardown frees the table with what it still holds, then checks
 * the pool is back to zero in use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "dp.h"
#include "ip4.h"
#include "ip4_check.h"
#include "ip4_reasm.h"
#include "pkt_env.h"

#define HZ 1000 /* fake TSC: one tick per millisecond */
#define SRC IP4(198, 18, 0, 2)
#define SRC2 IP4(198, 18, 0, 3)
#define DST IP4(198, 18, 1, 1)
#define MF RTE_IPV4_HDR_MF_FLAG
#define DF RTE_IPV4_HDR_DF_FLAG
#define TIMEOUT ((uint64_t)IP4_REASM_TIMEOUT_S * HZ)

static struct ip4_reasm_tbl *tbl;
static struct test_drops drops;
static const struct ip4_reasm_sink sink = {.drop = test_drop_count, .ctx = &drops};

static int
setup(void **state)
{
	(void)state;
	tbl = ip4_reasm_table_create(HZ, SOCKET_ID_ANY);
	drops = (struct test_drops){0};
	return tbl == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	ip4_reasm_table_free(tbl); /* frees what it still holds */
	return test_pools_empty(state);
}

/* A fragment from `src`: payload bytes [off, off+len) of the pattern
 * byte i = (uint8_t)(base + i). `flags` is MF or 0 (| DF). */
static struct rte_mbuf *
frag_from(uint32_t src, uint16_t id, uint32_t off, uint32_t len, uint16_t flags, uint32_t base)
{
	assert_int_equal(off % 8, 0);
	struct pkt_spec s = {.src = src, .dst = DST, .id = id,
			     .frag = (uint16_t)(flags | off / 8), .payload_len = len,
			     .payload_off = base + off};
	return pkt_build(&s, 0);
}

static struct rte_mbuf *
frag(uint16_t id, uint32_t off, uint32_t len, uint16_t flags)
{
	return frag_from(SRC, id, off, len, flags, 0);
}

static enum ip4_reasm_verdict
feed(struct rte_mbuf **m, uint64_t now)
{
	return ip4_reasm(tbl, m, now, &sink);
}

static void
feed_held(struct rte_mbuf *m, uint64_t now)
{
	assert_int_equal(feed(&m, now), IP4_REASM_HELD);
}

static void
feed_dropped(struct rte_mbuf *m, uint64_t now)
{
	assert_int_equal(feed(&m, now), IP4_REASM_DROPPED);
}

static struct rte_mbuf *
feed_complete(struct rte_mbuf *m, uint64_t now)
{
	assert_int_equal(feed(&m, now), IP4_REASM_COMPLETE);
	return m;
}

/* The datagram is whole: header right, payload the pattern from `base`,
 * and the table holds nothing more of it. */
static void
assert_whole_from(struct rte_mbuf *m, uint32_t len, uint32_t base)
{
	struct rte_ipv4_hdr *h = pkt_ip4(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 20 + len);
	assert_int_equal(rte_be_to_cpu_16(h->total_length), 20 + len);
	assert_int_equal(h->fragment_offset & RTE_BE16(MF | RTE_IPV4_HDR_OFFSET_MASK), 0);
	assert_true(ip4_hdr_cksum_valid(h));
	pkt_assert_pattern(m, 20, base, len);
	unsigned int segs = 0;
	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		segs++;
	assert_int_equal(m->nb_segs, segs);
}

static void
assert_whole(struct rte_mbuf *m, uint32_t len)
{
	assert_whole_from(m, len, 0);
}

/* ---- what completes ---- */

static void
test_in_order(void **state)
{
	(void)state;
	feed_held(frag(1, 0, 1480, MF), 0);
	feed_held(frag(1, 1480, 1480, MF), 1);
	struct rte_mbuf *m = feed_complete(frag(1, 2960, 1040, 0), 2);
	assert_whole(m, 4000);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(drops.total, 0);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
	assert_int_equal(ip4_reasm_pinned(tbl), 0);
	rte_pktmbuf_free(m);
}

static void
test_out_of_order(void **state)
{
	(void)state;
	feed_held(frag(2, 2960, 1040, 0), 0);
	feed_held(frag(2, 0, 1480, MF), 1);
	struct rte_mbuf *m = feed_complete(frag(2, 1480, 1480, MF), 2);
	assert_whole(m, 4000);
	rte_pktmbuf_free(m);
}

static void
test_df_flag_survives_reassembly(void **state)
{
	(void)state;
	feed_held(frag(3, 0, 800, MF | DF), 0);
	struct rte_mbuf *m = feed_complete(frag(3, 800, 100, DF), 0);
	assert_int_equal(pkt_ip4(m)->fragment_offset, RTE_BE16(DF));
	assert_whole(m, 900);
	rte_pktmbuf_free(m);
}

static void
test_first_fragments_metadata_is_kept(void **state)
{
	(void)state;
	struct rte_mbuf *last = frag(4, 800, 100, 0);
	pkt_meta(last)->in_port = 1;
	pkt_meta(last)->trace_id = 7;
	feed_held(last, 0);
	struct rte_mbuf *first = frag(4, 0, 800, MF);
	pkt_meta(first)->in_port = 3;
	pkt_meta(first)->trace_id = 42;
	struct rte_mbuf *m = feed_complete(first, 0);
	assert_ptr_equal(m, first);
	assert_int_equal(pkt_meta(m)->in_port, 3);
	assert_int_equal(pkt_meta(m)->trace_id, 42);
	assert_whole(m, 900);
	rte_pktmbuf_free(m);
}

/* 65,507 bytes of UDP data (the most a UDP datagram holds) and its 8-byte
 * header cut for a 1500-byte MTU: 44 × 1480 + 395 = 65,515 bytes, a
 * total length of 65,535, in 45 fragments. */
#define BIG_LEN 65515
#define BIG_N 45

static void
feed_big(uint16_t id, const unsigned int *order)
{
	struct rte_mbuf *m = NULL;
	for (unsigned int i = 0; i < BIG_N; i++) {
		unsigned int k = order[i];
		uint32_t off = k * 1480;
		m = frag(id, off, k + 1 < BIG_N ? 1480 : BIG_LEN - off, k + 1 < BIG_N ? MF : 0);
		enum ip4_reasm_verdict v = feed(&m, i);
		assert_int_equal(v, i + 1 < BIG_N ? IP4_REASM_HELD : IP4_REASM_COMPLETE);
	}
	assert_whole(m, BIG_LEN);
	assert_int_equal(rte_be_to_cpu_16(pkt_ip4(m)->total_length), UINT16_MAX);
	assert_int_equal(m->nb_segs, BIG_N);
	assert_int_equal(drops.total, 0);
	rte_pktmbuf_free(m);
}

static void
test_65535_bytes_in_45_fragments_in_any_order(void **state)
{
	(void)state;
	unsigned int order[BIG_N];
	for (unsigned int i = 0; i < BIG_N; i++)
		order[i] = i;
	feed_big(10, order);
	for (unsigned int i = 0; i < BIG_N; i++)
		order[i] = BIG_N - 1 - i;
	feed_big(11, order);

	/* Shuffled (Fisher-Yates); CAV_TEST_SEED replays a run. */
	const char *env = getenv("CAV_TEST_SEED");
	unsigned int seed = env != NULL ? (unsigned int)strtoul(env, NULL, 0)
					: (unsigned int)time(NULL);
	print_message("shuffle seed %u (CAV_TEST_SEED=%u to replay)\n", seed, seed);
	srand(seed);
	for (uint16_t round = 0; round < 8; round++) {
		for (unsigned int i = BIG_N - 1; i > 0; i--) {
			unsigned int j = (unsigned int)rand() % (i + 1);
			unsigned int x = order[i];
			order[i] = order[j];
			order[j] = x;
		}
		feed_big((uint16_t)(12 + round), order);
	}
}

static void
test_interleaved_datagrams_with_the_same_id(void **state)
{
	(void)state;
	/* Same id and destination, two sources, and a third datagram that
	 * differs by protocol only: three datagrams (RFC 791 §3.2's key). */
	struct pkt_spec icmp = {.src = SRC, .dst = DST, .id = 20, .proto = IPPROTO_ICMP,
				.frag = MF, .payload_len = 800, .payload_off = 7};
	feed_held(pkt_build(&icmp, 0), 0);
	feed_held(frag_from(SRC, 20, 0, 800, MF, 0), 0);
	feed_held(frag_from(SRC2, 20, 0, 800, MF, 100), 0);
	feed_held(frag_from(SRC2, 20, 800, 800, MF, 100), 0);
	struct rte_mbuf *a = feed_complete(frag_from(SRC, 20, 800, 8, 0, 0), 0);
	struct rte_mbuf *b = feed_complete(frag_from(SRC2, 20, 1600, 16, 0, 100), 0);
	assert_whole_from(a, 808, 0);
	assert_int_equal(pkt_ip4(a)->src_addr, rte_cpu_to_be_32(SRC));
	assert_whole_from(b, 1616, 100);
	assert_int_equal(pkt_ip4(b)->src_addr, rte_cpu_to_be_32(SRC2));
	assert_int_equal(ip4_reasm_in_flight(tbl), 1); /* the ICMP one */
	assert_int_equal(drops.total, 0);
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);
}

/* ---- duplicates and overlaps (RFC 5722's rule, as Linux applies it) ---- */

static void
test_exact_duplicates_are_dropped_alone(void **state)
{
	(void)state;
	feed_held(frag(30, 0, 1480, MF), 0);
	feed_dropped(frag(30, 0, 1480, MF), 1); /* first again */
	feed_held(frag(30, 2960, 100, 0), 2);
	feed_dropped(frag(30, 2960, 100, 0), 3); /* last again */
	assert_int_equal(drops.n[IP4_REASM_DROP_DUPLICATE], 2);
	assert_int_equal(drops.total, 2);
	struct rte_mbuf *m = feed_complete(frag(30, 1480, 1480, MF), 4);
	assert_whole(m, 3060);
	rte_pktmbuf_free(m);
	/* A middle one again, before the datagram completes. */
	feed_held(frag(31, 0, 8, MF), 0);
	feed_held(frag(31, 8, 8, MF), 0);
	feed_dropped(frag(31, 8, 8, MF), 0);
	m = feed_complete(frag(31, 16, 8, 0), 0);
	assert_whole(m, 24);
	assert_int_equal(drops.n[IP4_REASM_DROP_DUPLICATE], 3);
	assert_int_equal(drops.total, 3);
	rte_pktmbuf_free(m);
}

static void
test_overlap_invalidates_the_datagram(void **state)
{
	(void)state;
	/* [0,1480) then [1472,2952): 8 bytes overlap. */
	feed_held(frag(32, 0, 1480, MF), 0);
	feed_dropped(frag(32, 1472, 1480, MF), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 2);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
	/* What comes later starts over, and waits for bytes that were
	 * dropped. */
	feed_held(frag(32, 2952, 48, 0), 0);
	assert_int_equal(ip4_reasm_in_flight(tbl), 1);
	assert_int_equal(drops.total, 2);
}

static void
test_overlap_from_below_and_inside_invalidate(void **state)
{
	(void)state;
	/* [992,1992) arrives first; [0,1000) reaches into it from below. */
	feed_held(frag(33, 992, 1000, MF), 0);
	feed_dropped(frag(33, 0, 1000, MF), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 2);
	/* Same offset, other length: not a duplicate (Linux would call a
	 * piece inside held bytes a duplicate; only exact copies are). */
	feed_held(frag(34, 0, 1000, MF), 0);
	feed_dropped(frag(34, 0, 512, MF), 0);
	/* Inside a held fragment, at another offset. */
	feed_held(frag(35, 0, 1000, MF), 0);
	feed_dropped(frag(35, 8, 8, MF), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 6);
	assert_int_equal(drops.total, 6);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
}

/* ---- where the datagram ends ---- */

static void
test_fragment_past_the_last_ones_end(void **state)
{
	(void)state;
	/* The last says 1,000 bytes; a fragment reaching past them. */
	feed_held(frag(40, 0, 504, MF), 0);
	feed_held(frag(40, 600, 400, 0), 0);
	feed_dropped(frag(40, 1000, 8, MF), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 3);
	/* The last coming after bytes held past it. */
	feed_held(frag(41, 1000, 8, MF), 0);
	feed_dropped(frag(41, 504, 96, 0), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 5);
	assert_int_equal(drops.total, 5);
}

static void
test_second_last_with_another_end(void **state)
{
	(void)state;
	feed_held(frag(42, 0, 504, MF), 0);
	feed_held(frag(42, 1000, 100, 0), 0);
	feed_dropped(frag(42, 1000, 200, 0), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 3);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
}

static void
test_65535_bytes_is_the_cap(void **state)
{
	(void)state;
	/* 7 × 8192 + 8171 = 65,515 bytes of payload: total length 65,535,
	 * in fragments as large as a jumbo frame carries. */
	for (uint32_t i = 0; i < 7; i++)
		feed_held(frag(50, i * 8192, 8192, MF), 0);
	struct rte_mbuf *m = feed_complete(frag(50, 7 * 8192, 8171, 0), 0);
	assert_whole(m, 65515);
	rte_pktmbuf_free(m);

	/* One byte more is refused... */
	feed_dropped(frag(51, 7 * 8192, 8172, 0), 0);
	/* ...and so is a fragment placed past the end (offset 65,520),
	 * with the datagram it belonged to: it can never be whole. */
	feed_held(frag(52, 0, 8, MF), 0);
	feed_dropped(frag(52, 8190 * 8, 8, MF), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_TOO_BIG], 3);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
}

static void
test_first_header_options_count_in_the_cap(void **state)
{
	(void)state;
	/* A 24-byte first header (options later fragments do not carry):
	 * 20 + 65,512 fits each fragment's own check, 24 + 65,512 does not. */
	struct pkt_spec s = {.src = SRC, .dst = DST, .id = 53, .frag = MF, .opt_words = 1,
			     .payload_len = 8192};
	feed_held(pkt_build(&s, 0), 0);
	for (uint32_t i = 1; i < 7; i++)
		feed_held(frag(53, i * 8192, 8192, MF), 0);
	feed_dropped(frag(53, 7 * 8192, 8168, 0), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_TOO_BIG], 8);
	assert_int_equal(drops.total, 8);
}

static void
test_bad_fragments_are_refused(void **state)
{
	(void)state;
	feed_dropped(frag(54, 8, 0, MF), 0);   /* no payload */
	feed_dropped(frag(54, 0, 100, MF), 0); /* not the last, not a multiple of 8 */
	feed_dropped(frag(54, 0, 4, MF), 0);   /* under 8 bytes, not the last */
	assert_int_equal(drops.n[IP4_REASM_DROP_BAD_FRAGMENT], 3);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
	/* Offset 0, no MF: not a fragment at all. */
	struct rte_mbuf *m = frag(54, 0, 100, 0);
	assert_false(ip4_is_fragment(pkt_ip4(m)));
	rte_pktmbuf_free(m);
}

/* ---- bounds ---- */

static void
test_too_many_fragments(void **state)
{
	(void)state;
	/* IP4_REASM_MAX_FRAGS fragments of 8 bytes complete... */
	for (uint32_t i = 0; i + 1 < IP4_REASM_MAX_FRAGS; i++)
		feed_held(frag(60, i * 8, 8, MF), 0);
	struct rte_mbuf *m = feed_complete(frag(60, (IP4_REASM_MAX_FRAGS - 1) * 8, 8, 0), 0);
	assert_whole(m, IP4_REASM_MAX_FRAGS * 8);
	assert_int_equal(m->nb_segs, IP4_REASM_MAX_FRAGS);
	rte_pktmbuf_free(m);
	/* ...one more discards the datagram. */
	for (uint32_t i = 0; i < IP4_REASM_MAX_FRAGS; i++)
		feed_held(frag(61, i * 8, 8, MF), 0);
	assert_int_equal(drops.total, 0);
	feed_dropped(frag(61, IP4_REASM_MAX_FRAGS * 8, 8, 0), 0);
	assert_int_equal(drops.n[IP4_REASM_DROP_TOO_MANY_FRAGS], IP4_REASM_MAX_FRAGS + 1);
	assert_int_equal(drops.total, IP4_REASM_MAX_FRAGS + 1);
	assert_int_equal(ip4_reasm_in_flight(tbl), 0);
}

static void
test_table_full_evicts_the_oldest(void **state)
{
	(void)state;
	for (uint16_t id = 0; id < IP4_REASM_MAX_DATAGRAMS; id++)
		feed_held(frag((uint16_t)(1000 + id), 0, 64, MF), id);
	assert_int_equal(ip4_reasm_in_flight(tbl), IP4_REASM_MAX_DATAGRAMS);
	feed_held(frag(5000, 0, 64, MF), 1000);
	assert_int_equal(drops.n[IP4_REASM_DROP_EVICTED], 1);
	assert_int_equal(drops.total, 1);
	assert_int_equal(ip4_reasm_in_flight(tbl), IP4_REASM_MAX_DATAGRAMS);
	/* Datagram 1000 went; 1001, now the oldest, still completes. */
	struct rte_mbuf *m = feed_complete(frag(1001, 64, 8, 0), 1001);
	assert_whole(m, 72);
	rte_pktmbuf_free(m);
	feed_held(frag(1000, 64, 8, 0), 1002); /* a new datagram 1000 */
	assert_int_equal(drops.total, 1);
}

static void
test_memory_bound_evicts_the_oldest(void **state)
{
	(void)state;
	/* Each held fragment costs its buffer, whatever it carries. */
	const uint32_t cost = rte_pktmbuf_data_room_size(test_pool());
	const uint32_t fit = IP4_REASM_MAX_BYTES / cost;
	assert_true(fit > 400 && fit < 500);
	/* Four datagrams of 100 fragments of 8 bytes, then the fifth up to
	 * the bound exactly. */
	for (uint16_t d = 0; d < 4; d++)
		for (uint32_t i = 0; i < 100; i++)
			feed_held(frag((uint16_t)(70 + d), i * 8, 8, MF), d);
	for (uint32_t i = 0; i < fit - 400; i++)
		feed_held(frag(74, i * 8, 8, MF), 4);
	assert_int_equal(ip4_reasm_pinned(tbl), fit * cost);
	assert_int_equal(drops.total, 0);
	/* One more: the oldest (70) goes, all of it. */
	feed_held(frag(74, (fit - 400) * 8, 8, MF), 5);
	assert_int_equal(drops.n[IP4_REASM_DROP_EVICTED], 100);
	assert_int_equal(drops.total, 100);
	assert_int_equal(ip4_reasm_in_flight(tbl), 4);
	assert_int_equal(ip4_reasm_pinned(tbl), (fit - 99) * cost);
	/* The others are intact. */
	struct rte_mbuf *m = feed_complete(frag(71, 800, 8, 0), 6);
	assert_whole(m, 808);
	rte_pktmbuf_free(m);
	assert_int_equal(ip4_reasm_pinned(tbl), (fit - 99 - 100) * cost);
}

/* ---- time ---- */

static void
test_expired_fragments_are_freed(void **state)
{
	(void)state;
	feed_held(frag(80, 0, 800, MF), 0);
	feed_held(frag(81, 0, 800, MF), 10);
	/* At the timeout exactly nothing is abandoned yet. */
	ip4_reasm_expire(tbl, TIMEOUT, &sink);
	assert_int_equal(drops.total, 0);
	/* Just past it the first datagram goes, the second stays... */
	ip4_reasm_expire(tbl, TIMEOUT + 1, &sink);
	assert_int_equal(drops.n[IP4_REASM_DROP_TIMEOUT], 1);
	assert_int_equal(drops.total, 1);
	/* ...and still completes: later fragments do not restart the
	 * clock, the first one started it. */
	struct rte_mbuf *m = feed_complete(frag(81, 800, 8, 0), TIMEOUT + 2);
	assert_whole(m, 808);
	rte_pktmbuf_free(m);
}

static void
test_late_fragment_restarts_an_expired_datagram(void **state)
{
	(void)state;
	feed_held(frag(82, 0, 800, MF), 0);
	feed_held(frag(82, 1600, 8, 0), TIMEOUT);
	/* No sweep: touching the table abandons the stale datagram first,
	 * and the fragment starts a new one. */
	feed_held(frag(82, 800, 800, MF), TIMEOUT + 1);
	assert_int_equal(drops.n[IP4_REASM_DROP_TIMEOUT], 2);
	assert_int_equal(drops.total, 2);
	assert_int_equal(ip4_reasm_in_flight(tbl), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in_order),
		T(test_out_of_order),
		T(test_df_flag_survives_reassembly),
		T(test_first_fragments_metadata_is_kept),
		T(test_65535_bytes_in_45_fragments_in_any_order),
		T(test_interleaved_datagrams_with_the_same_id),
		T(test_exact_duplicates_are_dropped_alone),
		T(test_overlap_invalidates_the_datagram),
		T(test_overlap_from_below_and_inside_invalidate),
		T(test_fragment_past_the_last_ones_end),
		T(test_second_last_with_another_end),
		T(test_65535_bytes_is_the_cap),
		T(test_first_header_options_count_in_the_cap),
		T(test_bad_fragments_are_refused),
		T(test_too_many_fragments),
		T(test_table_full_evicts_the_oldest),
		T(test_memory_bound_evicts_the_oldest),
		T(test_expired_fragments_are_freed),
		T(test_late_fragment_restarts_an_expired_datagram),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
