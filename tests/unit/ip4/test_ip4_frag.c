/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragmentation (ip4_fragment over rte_ipv4_fragment_packet): fragment
 * sizes and offsets, metadata and checksums of each fragment, options, the
 * refusals, and round trips through reassembly (ip4_reasm).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dp.h"
#include "ip4_check.h"
#include "ip4_frag.h"
#include "ip4_reasm.h"
#include "pkt_env.h"

#define SRC IP4(198, 18, 0, 1)
#define DST IP4(198, 18, 1, 2)
#define MF RTE_IPV4_HDR_MF_FLAG
#define DF RTE_IPV4_HDR_DF_FLAG

static struct rte_mbuf *frags[IP4_FRAG_MAX_OUT];

static int
fragment(struct rte_mbuf *m, uint16_t mtu, uint16_t n_out)
{
	return ip4_fragment(m, mtu, test_pool(), test_indirect_pool(), frags, n_out);
}

/* Feed fragments [0, n) in the order given and return the datagram. */
static struct rte_mbuf *
reassemble(const int *order, int n)
{
	struct ip4_reasm_tbl *tbl = ip4_reasm_table_create(1000, SOCKET_ID_ANY);
	assert_non_null(tbl);
	struct test_drops drops = {0};
	const struct ip4_reasm_sink sink = {.drop = test_drop_count, .ctx = &drops};
	struct rte_mbuf *m = NULL;
	for (int i = 0; i < n; i++) {
		m = frags[order[i]];
		assert_int_equal(ip4_reasm(tbl, &m, 0, &sink),
				 i + 1 < n ? IP4_REASM_HELD : IP4_REASM_COMPLETE);
	}
	assert_int_equal(drops.total, 0);
	ip4_reasm_table_free(tbl);
	return m;
}

static void
test_fragments_carry_offsets_metadata_checksums(void **state)
{
	(void)state;
	for (uint32_t seg = 0; seg <= 700; seg += 700) { /* one segment, then 700-byte ones */
		struct pkt_spec s = {.src = SRC, .dst = DST, .id = 77, .payload_len = 4000};
		struct rte_mbuf *m = pkt_build(&s, seg);
		pkt_meta(m)->out_port = 3;
		pkt_meta(m)->nexthop = DST;
		pkt_meta(m)->trace_id = 42;
		int n = fragment(m, 1500, IP4_FRAG_MAX_OUT);
		assert_int_equal(n, 3);
		rte_pktmbuf_free(m); /* the fragments hold its data */
		/* 1480 payload bytes each (a multiple of 8): offsets in
		 * 8-byte units 0, 185, 370; MF on all but the last. */
		static const uint16_t offs[] = {0, 185, 370};
		for (int i = 0; i < n; i++) {
			struct rte_ipv4_hdr *h = pkt_ip4(frags[i]);
			assert_true(rte_pktmbuf_pkt_len(frags[i]) <= 1500);
			assert_int_equal(rte_be_to_cpu_16(h->total_length),
					 rte_pktmbuf_pkt_len(frags[i]));
			assert_true(ip4_hdr_cksum_valid(h));
			assert_int_equal(h->packet_id, RTE_BE16(77));
			assert_int_equal(rte_be_to_cpu_16(h->fragment_offset),
					 offs[i] | (i < 2 ? MF : 0));
			assert_int_equal(pkt_meta(frags[i])->out_port, 3);
			assert_int_equal(pkt_meta(frags[i])->nexthop, DST);
			assert_int_equal(pkt_meta(frags[i])->trace_id, 42);
		}
		struct rte_mbuf *whole = reassemble((const int[]){2, 0, 1}, 3);
		assert_int_equal(rte_pktmbuf_pkt_len(whole), 4020);
		assert_true(ip4_hdr_cksum_valid(pkt_ip4(whole)));
		pkt_assert_pattern(whole, 20, 0, 4000);
		rte_pktmbuf_free(whole);
	}
}

static void
test_largest_datagram_at_the_smallest_mtu(void **state)
{
	(void)state;
	/* 65,515 payload bytes in 552-byte pieces (576 - 20, down to a
	 * multiple of 8): 119 fragments, which IP4_FRAG_MAX_OUT holds. */
	struct pkt_spec s = {.src = SRC, .dst = DST, .payload_len = 65515};
	struct rte_mbuf *m = pkt_build(&s, 9000);
	int n = fragment(m, 576, IP4_FRAG_MAX_OUT);
	rte_pktmbuf_free(m);
	assert_int_equal(n, 119);
	uint32_t total = 0;
	for (int i = 0; i < n; i++) {
		assert_true(rte_pktmbuf_pkt_len(frags[i]) <= 576);
		total += rte_pktmbuf_pkt_len(frags[i]) - 20;
		rte_pktmbuf_free(frags[i]);
	}
	assert_int_equal(total, 65515);
}

static void
test_a_fragment_is_fragmented_again(void **state)
{
	(void)state;
	/* A middle fragment (offset 1480, MF) crossing a smaller MTU: its
	 * pieces keep MF and count their offsets from its own. */
	struct pkt_spec s = {.src = SRC, .dst = DST, .frag = MF | 185, .payload_len = 1480};
	struct rte_mbuf *m = pkt_build(&s, 0);
	int n = fragment(m, 1000, IP4_FRAG_MAX_OUT);
	rte_pktmbuf_free(m);
	assert_int_equal(n, 2);
	assert_int_equal(rte_be_to_cpu_16(pkt_ip4(frags[0])->fragment_offset), MF | 185);
	assert_int_equal(rte_be_to_cpu_16(pkt_ip4(frags[1])->fragment_offset), MF | (185 + 122));
	rte_pktmbuf_free(frags[0]);
	rte_pktmbuf_free(frags[1]);
}

static void
test_only_copied_options_are_copied(void **state)
{
	(void)state;
	/* NOP options are not "copied" (RFC 791 §3.1): the first fragment
	 * keeps them, the others get a 20-byte header. */
	struct pkt_spec s = {.src = SRC, .dst = DST, .opt_words = 2, .payload_len = 2000};
	struct rte_mbuf *m = pkt_build(&s, 0);
	int n = fragment(m, 1000, IP4_FRAG_MAX_OUT);
	rte_pktmbuf_free(m);
	assert_true(n >= 3);
	assert_int_equal(rte_ipv4_hdr_len(pkt_ip4(frags[0])), 28);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			assert_int_equal(rte_ipv4_hdr_len(pkt_ip4(frags[i])), 20);
		assert_true(ip4_hdr_cksum_valid(pkt_ip4(frags[i])));
		rte_pktmbuf_free(frags[i]);
	}
}

static void
test_refusals_leave_nothing_allocated(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = SRC, .dst = DST, .frag = DF, .payload_len = 2000};
	struct rte_mbuf *m = pkt_build(&s, 0);
	assert_int_equal(fragment(m, 1500, IP4_FRAG_MAX_OUT), -ENOTSUP);
	rte_pktmbuf_free(m);
	s.frag = 0;
	m = pkt_build(&s, 0);
	assert_int_equal(fragment(m, 67, IP4_FRAG_MAX_OUT), -EINVAL); /* under 68 */
	assert_int_equal(fragment(m, 100, 4), -EINVAL); /* more than 4 fragments */
	rte_pktmbuf_free(m);
}

#define T(f) cmocka_unit_test_teardown(f, test_pools_empty)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fragments_carry_offsets_metadata_checksums),
		T(test_largest_datagram_at_the_smallest_mtu),
		T(test_a_fragment_is_fragmented_again),
		T(test_only_copied_options_are_copied),
		T(test_refusals_leave_nothing_allocated),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
