/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_input_check (RFC 1812 §5.2.2 clause by clause, martians) and
 * ip4_forward_check (TTL, MTU) on hand-built datagrams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ip4_check.h"
#include "pkt_env.h"

#define SRC IP4(198, 18, 0, 2)
#define DST IP4(198, 18, 1, 2)

static struct rte_mbuf *
udp(uint32_t src, uint32_t dst, uint32_t payload)
{
	return pkt_build(&(struct pkt_spec){.src = src, .dst = dst, .payload_len = payload}, 0);
}

/* After editing a header by hand: make its checksum right again. */
static void
recksum(struct rte_mbuf *m)
{
	ip4_set_cksum(pkt_ip4(m));
}

static void
expect(struct rte_mbuf *m, enum ip4_input_verdict v)
{
	assert_int_equal(ip4_input_check(m), v);
	rte_pktmbuf_free(m);
}

static void
test_valid_datagram_is_ok(void **state)
{
	(void)state;
	expect(udp(SRC, DST, 100), IP4_INPUT_OK);
}

static void
test_options_are_skipped(void **state)
{
	(void)state;
	expect(pkt_build(&(struct pkt_spec){.src = SRC, .dst = DST, .opt_words = 10,
					    .payload_len = 8},
			 0),
	       IP4_INPUT_OK);
}

static void
test_shorter_than_20_bytes_is_truncated(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 0);
	rte_pktmbuf_trim(m, 1);
	expect(m, IP4_INPUT_TRUNCATED);
}

static void
test_version_6_is_bad_version(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 40);
	pkt_ip4(m)->version_ihl = 0x65;
	recksum(m);
	expect(m, IP4_INPUT_BAD_VERSION);
}

static void
test_ihl_below_5_is_bad_ihl(void **state)
{
	(void)state;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		struct rte_mbuf *m = udp(SRC, DST, 40);
		pkt_ip4(m)->version_ihl = (uint8_t)(0x40 | ihl);
		expect(m, IP4_INPUT_BAD_IHL);
	}
}

static void
test_header_longer_than_packet_is_truncated(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 8); /* 28 bytes, IHL says 60 */
	pkt_ip4(m)->version_ihl = 0x4f;
	expect(m, IP4_INPUT_TRUNCATED);
}

static void
test_bad_checksum_is_dropped(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 40);
	pkt_ip4(m)->hdr_checksum ^= RTE_BE16(0x0100);
	expect(m, IP4_INPUT_BAD_CHECKSUM);
}

static void
test_nic_checksum_flags_are_trusted(void **state)
{
	(void)state;
	/* GOOD: the sum is not recomputed, even when it is wrong. */
	struct rte_mbuf *m = udp(SRC, DST, 40);
	pkt_ip4(m)->hdr_checksum ^= RTE_BE16(0x0100);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	expect(m, IP4_INPUT_OK);
	/* BAD: refused even when the sum is right. */
	m = udp(SRC, DST, 40);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	expect(m, IP4_INPUT_BAD_CHECKSUM);
	/* NONE (the NIC did not look): computed. */
	m = udp(SRC, DST, 40);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_NONE;
	pkt_ip4(m)->hdr_checksum ^= RTE_BE16(0x0001);
	expect(m, IP4_INPUT_BAD_CHECKSUM);
}

static void
test_total_length_below_header_is_bad_length(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 40);
	pkt_ip4(m)->total_length = RTE_BE16(19);
	recksum(m);
	expect(m, IP4_INPUT_BAD_LENGTH);
}

static void
test_total_length_beyond_packet_is_bad_length(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 40);
	rte_pktmbuf_trim(m, 1); /* the link delivered one byte less */
	expect(m, IP4_INPUT_BAD_LENGTH);
}

static void
test_link_padding_is_accepted(void **state)
{
	(void)state;
	struct rte_mbuf *m = udp(SRC, DST, 6); /* 26 bytes in a 46-byte payload */
	memset(rte_pktmbuf_append(m, 20), 0, 20);
	expect(m, IP4_INPUT_OK);
}

static void
test_martian_sources_are_dropped(void **state)
{
	(void)state;
	static const uint32_t martians[] = {
		IP4(0, 0, 0, 0),     IP4(0, 1, 2, 3),	  IP4(127, 0, 0, 1), IP4(127, 255, 255, 255),
		IP4(224, 0, 0, 1),   IP4(239, 1, 1, 1),	  IP4(240, 0, 0, 1), IP4(254, 0, 0, 1),
		IP4(255, 255, 255, 255),
	};
	for (size_t i = 0; i < RTE_DIM(martians); i++)
		expect(udp(martians[i], DST, 8), IP4_INPUT_MARTIAN_SRC);
	expect(udp(IP4(1, 0, 0, 1), DST, 8), IP4_INPUT_OK);
	expect(udp(IP4(126, 255, 255, 255), DST, 8), IP4_INPUT_OK);
	expect(udp(IP4(223, 255, 255, 254), DST, 8), IP4_INPUT_OK);
}

static void
test_martian_destinations(void **state)
{
	(void)state;
	expect(udp(SRC, IP4(0, 0, 0, 5), 8), IP4_INPUT_MARTIAN_DST);
	expect(udp(SRC, IP4(127, 0, 0, 1), 8), IP4_INPUT_MARTIAN_DST);
	expect(udp(SRC, IP4(240, 1, 1, 1), 8), IP4_INPUT_MARTIAN_DST);
	expect(udp(SRC, IP4(224, 0, 0, 1), 8), IP4_INPUT_MULTICAST);
	expect(udp(SRC, IP4(239, 255, 255, 250), 8), IP4_INPUT_MULTICAST);
	/* The limited broadcast is for us. */
	expect(udp(SRC, IP4(255, 255, 255, 255), 8), IP4_INPUT_OK);
}

static void
test_checks_run_in_rfc_1812_order(void **state)
{
	(void)state;
	/* Version 6 AND a bad checksum AND a martian: the version wins. */
	struct rte_mbuf *m = udp(IP4(127, 0, 0, 1), DST, 8);
	pkt_ip4(m)->version_ihl = 0x65;
	expect(m, IP4_INPUT_BAD_VERSION);
	/* Bad checksum AND bad total length: the checksum comes first. */
	m = udp(SRC, DST, 8);
	pkt_ip4(m)->total_length = RTE_BE16(10);
	expect(m, IP4_INPUT_BAD_CHECKSUM);
}

static void
test_forward_ttl(void **state)
{
	(void)state;
	struct rte_ipv4_hdr h = {.version_ihl = 0x45};
	h.time_to_live = 0;
	assert_int_equal(ip4_forward_check(&h, 100, 1500), IP4_FORWARD_TTL_EXPIRED);
	h.time_to_live = 1;
	assert_int_equal(ip4_forward_check(&h, 100, 1500), IP4_FORWARD_TTL_EXPIRED);
	h.time_to_live = 2;
	assert_int_equal(ip4_forward_check(&h, 100, 1500), IP4_FORWARD_OK);
	/* An expiring datagram that is also too big: time exceeded. */
	h.time_to_live = 1;
	h.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(ip4_forward_check(&h, 9000, 1500), IP4_FORWARD_TTL_EXPIRED);
}

static void
test_forward_mtu(void **state)
{
	(void)state;
	struct rte_ipv4_hdr h = {.version_ihl = 0x45, .time_to_live = 64};
	assert_int_equal(ip4_forward_check(&h, 1500, 1500), IP4_FORWARD_OK);
	assert_int_equal(ip4_forward_check(&h, 1501, 1500), IP4_FORWARD_FRAGMENT);
	h.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(ip4_forward_check(&h, 1500, 1500), IP4_FORWARD_OK);
	assert_int_equal(ip4_forward_check(&h, 1501, 1500), IP4_FORWARD_TOO_BIG);
	/* A fragment (MF) being forwarded may be fragmented again. */
	h.fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG | 10);
	assert_int_equal(ip4_forward_check(&h, 1501, 1500), IP4_FORWARD_FRAGMENT);
	assert_int_equal(ip4_mtu_check(&h, 1501, 1500), IP4_MTU_FRAGMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_valid_datagram_is_ok, test_pools_empty),
		cmocka_unit_test_teardown(test_options_are_skipped, test_pools_empty),
		cmocka_unit_test_teardown(test_shorter_than_20_bytes_is_truncated, test_pools_empty),
		cmocka_unit_test_teardown(test_version_6_is_bad_version, test_pools_empty),
		cmocka_unit_test_teardown(test_ihl_below_5_is_bad_ihl, test_pools_empty),
		cmocka_unit_test_teardown(test_header_longer_than_packet_is_truncated,
					  test_pools_empty),
		cmocka_unit_test_teardown(test_bad_checksum_is_dropped, test_pools_empty),
		cmocka_unit_test_teardown(test_nic_checksum_flags_are_trusted, test_pools_empty),
		cmocka_unit_test_teardown(test_total_length_below_header_is_bad_length,
					  test_pools_empty),
		cmocka_unit_test_teardown(test_total_length_beyond_packet_is_bad_length,
					  test_pools_empty),
		cmocka_unit_test_teardown(test_link_padding_is_accepted, test_pools_empty),
		cmocka_unit_test_teardown(test_martian_sources_are_dropped, test_pools_empty),
		cmocka_unit_test_teardown(test_martian_destinations, test_pools_empty),
		cmocka_unit_test_teardown(test_checks_run_in_rfc_1812_order, test_pools_empty),
		cmocka_unit_test(test_forward_ttl),
		cmocka_unit_test(test_forward_mtu),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
