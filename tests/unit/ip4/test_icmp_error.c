/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors: when one is suppressed (RFC 1812 §4.3.2.7, RFC 1122
 * §3.2.2), and the bytes of one that is sent (type, code, the MTU of
 * RFC 1191, the quoted datagram up to 576 bytes, checksums).
 */
#include <netinet/ip_icmp.h>
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

static struct rte_mbuf *
dgram(uint32_t src, uint32_t dst, uint8_t proto, uint16_t frag, const void *payload,
      uint32_t len)
{
	struct pkt_spec s = {.src = src, .dst = dst, .proto = proto, .frag = frag,
			     .payload = payload, .payload_len = len};
	return pkt_build(&s, 0);
}

static struct rte_mbuf *
udp(uint32_t src, uint32_t dst)
{
	return dgram(src, dst, IPPROTO_UDP, 0, NULL, 100);
}

static struct rte_mbuf *
icmp_msg(uint8_t type)
{
	uint8_t icmp[8] = {type};
	return dgram(SRC, DST, IPPROTO_ICMP, 0, icmp, sizeof(icmp));
}

static void
expect(struct rte_mbuf *m, bool dst_bcast, bool src_bcast, enum icmp_error_verdict v)
{
	assert_int_equal(icmp_error_check(m, dst_bcast, src_bcast), v);
	rte_pktmbuf_free(m);
}

static void
test_error_about_a_unicast_datagram_is_sent(void **state)
{
	(void)state;
	expect(udp(SRC, DST), false, false, ICMP_ERROR_SEND);
	expect(icmp_msg(ICMP_ECHO), false, false, ICMP_ERROR_SEND);
	expect(icmp_msg(ICMP_ECHOREPLY), false, false, ICMP_ERROR_SEND);
	/* A first fragment says what it is. */
	expect(dgram(SRC, DST, IPPROTO_UDP, RTE_IPV4_HDR_MF_FLAG, NULL, 64), false, false,
	       ICMP_ERROR_SEND);
}

static void
test_never_about_an_icmp_error(void **state)
{
	(void)state;
	static const uint8_t errors[] = {ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT,
					 ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB, 19, 200};
	for (size_t i = 0; i < RTE_DIM(errors); i++)
		expect(icmp_msg(errors[i]), false, false, ICMP_ERROR_ABOUT_ICMP_ERROR);
	/* Nothing to read the type from: assume the worst. */
	expect(dgram(SRC, DST, IPPROTO_ICMP, 0, NULL, 0), false, false,
	       ICMP_ERROR_ABOUT_ICMP_ERROR);
}

static void
test_never_about_a_broadcast_or_multicast(void **state)
{
	(void)state;
	expect(udp(SRC, IP4(255, 255, 255, 255)), false, false, ICMP_ERROR_TO_BROADCAST);
	expect(udp(SRC, IP4(198, 18, 1, 255)), true, false, ICMP_ERROR_TO_BROADCAST);
	expect(udp(SRC, IP4(224, 0, 0, 9)), false, false, ICMP_ERROR_TO_BROADCAST);
}

static void
test_never_to_a_source_that_is_not_one_host(void **state)
{
	(void)state;
	static const uint32_t bad[] = {IP4(0, 0, 0, 0), IP4(0, 9, 9, 9), IP4(127, 0, 0, 1),
				       IP4(224, 0, 0, 1), IP4(240, 0, 0, 1),
				       IP4(255, 255, 255, 255)};
	for (size_t i = 0; i < RTE_DIM(bad); i++)
		expect(udp(bad[i], DST), false, false, ICMP_ERROR_FROM_NON_HOST);
	expect(udp(IP4(198, 18, 0, 255), DST), false, true, ICMP_ERROR_FROM_NON_HOST);
}

static void
test_never_about_a_later_fragment(void **state)
{
	(void)state;
	expect(dgram(SRC, DST, IPPROTO_UDP, RTE_IPV4_HDR_MF_FLAG | 185, NULL, 64), false, false,
	       ICMP_ERROR_NOT_FIRST_FRAGMENT);
	expect(dgram(SRC, DST, IPPROTO_UDP, 370, NULL, 64), false, false,
	       ICMP_ERROR_NOT_FIRST_FRAGMENT);
}

/* Check an error built about `orig`: everything but type-specific words. */
static void
check_error(struct rte_mbuf *e, struct rte_mbuf *orig, uint8_t type, uint8_t code)
{
	uint32_t olen = rte_pktmbuf_pkt_len(orig);
	uint32_t quote = RTE_MIN(olen, 576u - 28);
	assert_int_equal(rte_pktmbuf_pkt_len(e), 28 + quote);
	assert_int_equal(e->nb_segs, 1);
	assert_true(rte_pktmbuf_headroom(e) >= RTE_ETHER_HDR_LEN);

	struct rte_ipv4_hdr *h = pkt_ip4(e);
	assert_int_equal(h->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(h->total_length), 28 + quote);
	assert_int_equal(h->time_to_live, 64);
	assert_int_equal(h->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(h->fragment_offset, 0);
	assert_int_equal(rte_be_to_cpu_32(h->src_addr), US);
	assert_int_equal(h->dst_addr, pkt_ip4(orig)->src_addr);
	assert_int_equal(h->type_of_service & 0xe0, 0xc0); /* precedence 6 */
	assert_true(ip4_hdr_cksum_valid(h));

	const uint8_t *ic = (const uint8_t *)(h + 1);
	assert_int_equal(ic[0], type);
	assert_int_equal(ic[1], code);
	assert_int_equal(rte_raw_cksum(ic, 8 + quote), 0xffff);
	uint8_t *obytes = malloc(olen);
	pkt_copy(orig, obytes);
	assert_memory_equal(ic + 8, obytes, quote);
	free(obytes);
}

static void
test_frag_needed_carries_the_mtu(void **state)
{
	(void)state;
	struct rte_mbuf *orig = dgram(SRC, DST, IPPROTO_UDP, RTE_IPV4_HDR_DF_FLAG, NULL, 1480);
	struct rte_mbuf *e = icmp_error_build(test_pool(), orig, ICMP_DEST_UNREACH,
					      ICMP_FRAG_NEEDED, 1400, US, 0x1234);
	assert_non_null(e);
	check_error(e, orig, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED);
	const uint8_t *ic = rte_pktmbuf_mtod_offset(e, const uint8_t *, 20);
	/* RFC 1191 §4: unused (16 bits, zero), next-hop MTU (16 bits). */
	static const uint8_t word[4] = {0, 0, 1400 >> 8, 1400 & 0xff};
	assert_memory_equal(ic + 4, word, 4);
	assert_int_equal(pkt_ip4(e)->packet_id, RTE_BE16(0x1234));
	assert_int_equal(rte_pktmbuf_pkt_len(e), 576);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(orig);
}

static void
test_time_exceeded_quotes_a_short_datagram_whole(void **state)
{
	(void)state;
	struct rte_mbuf *orig = dgram(SRC, DST, IPPROTO_UDP, 0, NULL, 8);
	struct rte_mbuf *e =
		icmp_error_build(test_pool(), orig, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, US, 1);
	check_error(e, orig, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
	assert_int_equal(rte_pktmbuf_pkt_len(e), 28 + 28);
	static const uint8_t zero[4];
	assert_memory_equal(rte_pktmbuf_mtod_offset(e, uint8_t *, 24), zero, 4);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(orig);
}

static void
test_error_quotes_a_chained_datagram(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = SRC, .dst = DST, .payload_len = 3000};
	struct rte_mbuf *orig = pkt_build(&s, 100); /* 31 segments of 100 bytes */
	struct rte_mbuf *e = icmp_error_build(test_pool(), orig, ICMP_DEST_UNREACH,
					      ICMP_NET_UNREACH, 0, US, 2);
	check_error(e, orig, ICMP_DEST_UNREACH, ICMP_NET_UNREACH);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(orig);
}

#define T(f) cmocka_unit_test_teardown(f, test_pools_empty)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_error_about_a_unicast_datagram_is_sent),
		T(test_never_about_an_icmp_error),
		T(test_never_about_a_broadcast_or_multicast),
		T(test_never_to_a_source_that_is_not_one_host),
		T(test_never_about_a_later_fragment),
		T(test_frag_needed_carries_the_mtu),
		T(test_time_exceeded_quotes_a_short_datagram_whole),
		T(test_error_quotes_a_chained_datagram),
	};
	return cmocka_run_group_tests(tests, test_env_setup, test_env_teardown);
}
