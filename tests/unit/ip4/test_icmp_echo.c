/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The echo reply made in place from the request (RFC 792, RFC 1122
 * §3.2.2.6), over one segment and many, and the ICMP checksum check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_ether.h>
#include <rte_icmp.h>

#include "icmp_build.h"
#include "ip4_check.h"
#include "pkt_env.h"

#define SRC IP4(198, 18, 0, 2)
#define DST IP4(198, 18, 1, 2)
#define US IP4(198, 18, 0, 1)

/* An echo request as ip4_local hands it over: data at the ICMP header,
 * the IPv4 header (l3_len bytes) before it. */
static struct rte_mbuf *
echo_request(uint32_t len, uint8_t opt_words, uint32_t seg)
{
	uint8_t *icmp = malloc(len);
	for (uint32_t i = 0; i < len; i++)
		icmp[i] = (uint8_t)(i * 7);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)icmp;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_ident = RTE_BE16(0xbeef);
	ic->icmp_seq_nb = RTE_BE16(7);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);
	struct pkt_spec s = {.src = SRC, .dst = US, .proto = IPPROTO_ICMP, .tos = 0x28,
			     .id = 99, .ttl = 3, .frag = RTE_IPV4_HDR_DF_FLAG,
			     .opt_words = opt_words, .payload = icmp, .payload_len = len};
	struct rte_mbuf *m = pkt_build(&s, seg);
	free(icmp);
	m->l3_len = (uint16_t)(20 + 4 * opt_words);
	rte_pktmbuf_adj(m, m->l3_len);
	return m;
}

static void
check_echo_reply(uint32_t len, uint8_t opt_words, uint32_t seg)
{
	struct rte_mbuf *m = echo_request(len, opt_words, seg);
	assert_true(icmp_cksum_ok(m));
	uint8_t *before = malloc(len), *after = malloc(20 + len);
	pkt_copy(m, before);

	assert_int_equal(icmp_echo_reply(m), 0);
	struct rte_ipv4_hdr *h = pkt_ip4(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 20 + len);
	assert_int_equal(h->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(h->total_length), 20 + len);
	assert_int_equal(rte_be_to_cpu_32(h->src_addr), US);
	assert_int_equal(rte_be_to_cpu_32(h->dst_addr), SRC);
	assert_int_equal(h->time_to_live, 64);
	assert_int_equal(h->type_of_service, 0x28);
	assert_int_equal(h->packet_id, RTE_BE16(99));
	assert_int_equal(h->fragment_offset, 0); /* DF cleared */
	assert_true(ip4_hdr_cksum_valid(h));

	pkt_copy(m, after);
	const uint8_t *ic = after + 20;
	assert_int_equal(ic[0], RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic[1], 0);
	assert_memory_equal(ic + 4, before + 4, len - 4); /* ident, seq, data */
	assert_int_equal(rte_raw_cksum(ic, len), 0xffff); /* over a flat copy */
	free(before);
	free(after);
	rte_pktmbuf_free(m);
}

static void
test_echo_reply_in_place(void **state)
{
	(void)state;
	check_echo_reply(64, 0, 0);
	check_echo_reply(8, 0, 0);	/* no data at all */
	check_echo_reply(1001, 0, 0);	/* odd length */
	check_echo_reply(64, 3, 0);	/* options are not echoed */
}

static void
test_echo_reply_over_segments(void **state)
{
	(void)state;
	check_echo_reply(3001, 0, 333); /* odd segment sizes: byte-swapped partial sums */
	check_echo_reply(9000, 0, 1000);
}

static void
test_icmp_checksum_is_verified_over_segments(void **state)
{
	(void)state;
	struct rte_mbuf *m = echo_request(2000, 0, 301);
	assert_true(icmp_cksum_ok(m));
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);
	*rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len - 1) ^= 1;
	assert_false(icmp_cksum_ok(m));
	rte_pktmbuf_free(m);
}

static void
test_echo_reply_with_its_header_across_segments(void **state)
{
	(void)state;
	/* 20-byte IPv4 header + 4 bytes in the first segment: the ICMP header
	 * straddles two; with 20, the first holds nothing after the adj. */
	check_echo_reply(64, 0, 24);
	check_echo_reply(64, 0, 20);
	struct rte_mbuf *m = echo_request(64, 0, 20);
	assert_int_equal(rte_pktmbuf_data_len(m), 0);
	rte_pktmbuf_free(m);
}

static void
test_echo_reply_refuses_a_short_message(void **state)
{
	(void)state;
	struct rte_mbuf *m = echo_request(8, 0, 0);
	rte_pktmbuf_trim(m, 1);
	assert_int_equal(icmp_echo_reply(m), -1);
	rte_pktmbuf_free(m);
}

#define T(f) cmocka_unit_test_teardown(f, test_pools_empty)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_echo_reply_in_place),
		T(test_echo_reply_over_segments),
		T(test_icmp_checksum_is_verified_over_segments),
		T(test_echo_reply_with_its_header_across_segments),
		T(test_echo_reply_refuses_a_short_message),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
