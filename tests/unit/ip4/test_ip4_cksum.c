/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 1624 incremental checksum against a full recompute, on random
 * headers; the sum over chained mbufs against the sum of a flat copy. The
 * seed is printed; set IP4_TEST_SEED to replay a failure.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "ip4_check.h"
#include "pkt_env.h"

#define ROUNDS 200000

static uint64_t rng;

static uint64_t
next_rand(void)
{
	/* xorshift64*: small, and the same sequence on every platform. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static int
seed_setup(void **state)
{
	if (test_env_setup(state) < 0)
		return -1;
	const char *env = getenv("IP4_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	if (seed == 0)
		seed = 1;
	printf("# IP4_TEST_SEED=%" PRIu64 "\n", seed);
	rng = seed;
	return 0;
}

/* A random header of 20..60 bytes with a right checksum. */
static void
random_header(uint8_t buf[60])
{
	for (int i = 0; i < 60; i++)
		buf[i] = (uint8_t)next_rand();
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;
	h->version_ihl = (uint8_t)(0x40 | (5 + next_rand() % 11));
	ip4_set_cksum(h);
}

static void
test_ttl_decrement_matches_full_recompute(void **state)
{
	(void)state;
	uint8_t buf[60];
	for (int r = 0; r < ROUNDS; r++) {
		random_header(buf);
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;
		if (h->time_to_live < 2)
			h->time_to_live = 2, ip4_set_cksum(h);
		ip4_ttl_decrement(h);
		uint16_t incremental = h->hdr_checksum;
		ip4_set_cksum(h);
		if (incremental != h->hdr_checksum)
			fail_msg("round %d: incremental %04x, full %04x", r, incremental,
				 h->hdr_checksum);
	}
}

static void
test_any_word_change_matches_full_recompute(void **state)
{
	(void)state;
	uint8_t buf[60];
	for (int r = 0; r < ROUNDS; r++) {
		random_header(buf);
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;
		/* Any 16-bit word but the checksum itself (offset 10). */
		unsigned int hl = rte_ipv4_hdr_len(h), off;
		do
			off = 2 * (unsigned int)(next_rand() % (hl / 2));
		while (off == 10 || off == 0);
		uint16_t old, new = (uint16_t)next_rand();
		memcpy(&old, buf + off, 2);
		if (r % 7 == 0)
			new = (uint16_t)~old; /* the extreme: every bit flips */
		memcpy(buf + off, &new, 2);
		uint16_t incremental = ip4_cksum_adjust16(h->hdr_checksum, old, new);
		ip4_set_cksum(h);
		if (incremental != h->hdr_checksum)
			fail_msg("round %d (offset %u, %04x→%04x): incremental %04x, full %04x", r,
				 off, old, new, incremental, h->hdr_checksum);
	}
}

/* ip4_hdr20_ok (no folds) against the folded sum, on right headers, on
 * headers with one word changed, and on the edge cases: every word 0
 * (folded sum 0), every word 0xffff, a sum that is 0xffff only after
 * several end-around carries. */
static void
test_hdr20_ok_matches_folded_sum(void **state)
{
	(void)state;
	uint8_t buf[60];
	unsigned int right = 0;
	for (int r = 0; r < ROUNDS; r++) {
		random_header(buf);
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)buf;
		h->version_ihl = 0x45;
		ip4_set_cksum(h);
		if (r % 2 == 1) { /* break it in one random word (or not) */
			unsigned int off = 2 * (unsigned int)(next_rand() % 10);
			uint16_t v = (uint16_t)next_rand();
			memcpy(buf + off, &v, 2);
		}
		bool want = ip4_hdr20_sum(h) == 0xffff;
		right += want;
		if (ip4_hdr20_ok(h) != want)
			fail_msg("round %d: ip4_hdr20_ok %d, folded sum %04x", r, !want,
				 ip4_hdr20_sum(h));
	}
	/* Both outcomes were tried: every even round is right, an odd one
	 * only when its new word equals the old. */
	assert_true(right >= ROUNDS / 2 && right < ROUNDS);
	memset(buf, 0, 20);
	assert_int_equal(ip4_hdr20_sum(buf), 0);
	assert_false(ip4_hdr20_ok(buf));
	memset(buf, 0xff, 20);
	assert_int_equal(ip4_hdr20_sum(buf), 0xffff);
	assert_true(ip4_hdr20_ok(buf));
	/* 0x0001 + 0xfffe in every position: each pair sums to 0xffff. */
	for (int i = 0; i < 20; i += 4) {
		buf[i] = 0x00, buf[i + 1] = 0x01, buf[i + 2] = 0xff, buf[i + 3] = 0xfe;
	}
	assert_int_equal(ip4_hdr20_sum(buf), 0xffff);
	assert_true(ip4_hdr20_ok(buf));
}

static void
test_rfc_1624_example_has_no_negative_zero(void **state)
{
	(void)state;
	/* RFC 1624 §4's example: HC = 0xdd2f, m = 0x5555 → m' = 0x3285 gives
	 * 0x0000 with eqn. 3, where eqn. 2 wrongly gives 0xffff. */
	assert_int_equal(ip4_cksum_adjust16(RTE_BE16(0xdd2f), RTE_BE16(0x5555), RTE_BE16(0x3285)),
			 0x0000);
}

static void
test_chained_sum_matches_flat_sum(void **state)
{
	(void)state;
	/* Random data cut into random segments, odd lengths included: the
	 * case DPDK 22.11's rte_raw_cksum_mbuf gets wrong. */
	static uint8_t flat[20 + 9000];
	for (int r = 0; r < 2000; r++) {
		uint32_t len = 1 + (uint32_t)(next_rand() % 8999);
		uint32_t seg = 1 + (uint32_t)(next_rand() % 700);
		seg = RTE_MAX(seg, len / 256 + 1); /* at most ~256 mbufs */
		struct pkt_spec s = {.src = 1, .dst = 2, .payload_len = len,
				     .payload_off = (uint32_t)next_rand()};
		struct rte_mbuf *m = pkt_build(&s, seg);
		pkt_copy(m, flat);
		uint32_t total = rte_pktmbuf_pkt_len(m);
		uint32_t off = (uint32_t)(next_rand() % total);
		uint32_t n = (uint32_t)(next_rand() % (total - off + 1));
		uint16_t sum;
		assert_int_equal(ip4_raw_cksum_mbuf(m, off, n, &sum), 0);
		if (sum != rte_raw_cksum(flat + off, n))
			fail_msg("round %d (len %u, seg %u, off %u, n %u): %04x, flat %04x", r,
				 total, seg, off, n, sum, rte_raw_cksum(flat + off, n));
		assert_int_equal(ip4_raw_cksum_mbuf(m, off, total - off + 1, &sum), -1);
		rte_pktmbuf_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_decrement_matches_full_recompute),
		cmocka_unit_test(test_any_word_change_matches_full_recompute),
		cmocka_unit_test(test_hdr20_ok_matches_folded_sum),
		cmocka_unit_test(test_rfc_1624_example_has_no_negative_zero),
		cmocka_unit_test_teardown(test_chained_sum_matches_flat_sum, test_pools_empty),
	};
	return cmocka_run_group_tests(tests, seed_setup, test_env_teardown);
}
