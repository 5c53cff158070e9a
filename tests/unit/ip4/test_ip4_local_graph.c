/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nodes in a graph (graph_env.h), datagrams for this host: ip4_input →
 * nf_prerouting → ip4_route → nf_input → ip4_local (reassembly, dispatch) →
 * icmp_input | a transport | icmp_error, and locally generated ones through
 * ip4_output → nf_output (→ nf_input when they are for us). No rule set:
 * the hooks pass everything.
 */
#include <netinet/ip_icmp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_icmp.h>

#include "graph_env.h"
#include "ip4.h"
#include "ip4_check.h"
#include "ip4_frag.h"
#include "ip4_reasm.h"

#define MF RTE_IPV4_HDR_MF_FLAG

/* ---- local delivery ---- */

/* Reassemble what reached neigh_output (in that order), which must make
 * one datagram, and take it out of ge.out. */
static struct rte_mbuf *
reassemble_out(void)
{
	struct ip4_reasm_tbl *tbl = ip4_reasm_table_create(HZ, SOCKET_ID_ANY);
	assert_non_null(tbl);
	struct test_drops drops = {0};
	const struct ip4_reasm_sink sink = {.drop = test_drop_count, .ctx = &drops};
	struct rte_mbuf *m = NULL;
	for (unsigned int i = 0; i < ge.n_out; i++) {
		assert_true(rte_pktmbuf_pkt_len(ge.out[i]) <= 1500);
		assert_int_equal(pkt_meta(ge.out[i])->nexthop, PEER);
		m = ge.out[i];
		enum ip4_reasm_verdict v = ip4_reasm(tbl, &m, 0, &sink);
		assert_int_equal(v, i + 1 < ge.n_out ? IP4_REASM_HELD : IP4_REASM_COMPLETE);
	}
	ge.n_out = 0;
	assert_int_equal(drops.total, 0);
	ip4_reasm_table_free(tbl);
	return m;
}

static void
test_ping_is_answered(void **state)
{
	(void)state;
	ge_inject(TO_IP4_INPUT, ge_echo_request(PEER, US0, 56, 0));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	ge_assert_icmp(ge.out[0], US0, PEER, RTE_IP_ICMP_ECHO_REPLY, 0);
	assert_int_equal(pkt_meta(ge.out[0])->out_port, 0);
	assert_int_equal(pkt_meta(ge.out[0])->nexthop, PEER);
	assert_int_equal(rte_pktmbuf_pkt_len(ge.out[0]), 20 + 64);
}

static void
test_large_ping_is_reassembled_then_fragmented(void **state)
{
	(void)state;
	struct rte_mbuf *big = ge_echo_request(PEER, US0, 3972, 0); /* 4000 bytes */
	struct rte_mbuf *frags[8];
	int n = ip4_fragment(big, 1500, test_pool(), test_indirect_pool(), frags, 8);
	assert_int_equal(n, 3);
	rte_pktmbuf_free(big);
	ge_inject(TO_IP4_INPUT, frags[1]);
	ge_inject(TO_IP4_INPUT, frags[2]);
	ge_inject(TO_IP4_INPUT, frags[0]);
	ge_run();
	/* The 4,000-byte reply leaves in three fragments of port 0's MTU. */
	assert_int_equal(ge.n_out, 3);
	struct rte_mbuf *m = reassemble_out();
	assert_int_equal(rte_pktmbuf_pkt_len(m), 4000);
	const uint8_t *ic = ge_assert_icmp(m, US0, PEER, RTE_IP_ICMP_ECHO_REPLY, 0);
	for (uint32_t i = 8; i < 3980; i++)
		assert_int_equal(ic[i], (uint8_t)i);
	rte_pktmbuf_free(m);
}

static void
test_65000_byte_ping_is_answered(void **state)
{
	(void)state;
	/* ping -s 65000 from Linux: 65,008 bytes of ICMP, 43 fragments of
	 * 1,480 bytes of payload and one of 1,368. */
	uint32_t len = 8 + 65000;
	uint8_t *icmp = calloc(1, len);
	assert_non_null(icmp);
	icmp[0] = RTE_IP_ICMP_ECHO_REQUEST;
	for (uint32_t i = 8; i < len; i++)
		icmp[i] = (uint8_t)i;
	uint16_t ck = (uint16_t)~rte_raw_cksum(icmp, len);
	memcpy(icmp + 2, &ck, 2);
	struct pkt_spec s = {.src = PEER, .dst = US0, .proto = IPPROTO_ICMP, .id = 9,
			     .payload = icmp, .payload_len = len};
	struct rte_mbuf *big = pkt_build(&s, 8192);
	free(icmp);
	struct rte_mbuf *frags[GE_MAX_PKTS];
	int n = ip4_fragment(big, 1500, test_pool(), test_indirect_pool(), frags, GE_MAX_PKTS);
	rte_pktmbuf_free(big);
	assert_int_equal(n, 44);
	for (int i = n - 1; i >= 0; i--) /* backwards, for good measure */
		ge_inject(TO_IP4_INPUT, frags[i]);
	ge_run();
	assert_int_equal(ge.n_out, 44);
	struct rte_mbuf *m = reassemble_out();
	assert_int_equal(rte_pktmbuf_pkt_len(m), 20 + len);
	const uint8_t *ic = ge_assert_icmp(m, US0, PEER, RTE_IP_ICMP_ECHO_REPLY, 0);
	for (uint32_t i = 8; i < len; i++)
		assert_int_equal(ic[i], (uint8_t)i);
	rte_pktmbuf_free(m);
}

static void
test_reassembly_drops_are_counted_by_reason(void **state)
{
	(void)state;
	static const char *const reasons[] = {
		"drop_ip4_reasm_duplicate", "drop_ip4_reasm_bad_fragment",
		"drop_ip4_reasm_too_big", "drop_ip4_reasm_too_many_frags",
		"drop_ip4_reasm_evicted"};
	uint64_t before[RTE_DIM(reasons)];
	for (unsigned int i = 0; i < RTE_DIM(reasons); i++)
		before[i] = ge_count(reasons[i]);
	struct pkt_spec s = {.src = PEER, .dst = US0, .id = 11, .frag = MF, .payload_len = 800};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_inject(TO_IP4_INPUT, ge_rx(&s)); /* duplicate */
	s.id = 12;
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	s.frag = MF | 1; /* [8, 808): overlaps [0, 800) */
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	s.id = 13;
	s.frag = 8190; /* ends past 65,535 bytes */
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	static const uint64_t want[] = {1, 2, 1, 0, 0};
	for (unsigned int i = 0; i < RTE_DIM(reasons); i++)
		assert_int_equal(ge_count(reasons[i]) - before[i], want[i]);
	/* The first datagram is still held: its last fragment completes
	 * it, and the UDP stub gets it. */
	s.id = 11;
	s.frag = 100;
	s.payload_len = 8;
	s.payload_off = 800;
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_udp, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(ge.udp_in[0]), 808);
}

static void
test_transport_gets_its_own_header(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = PEER, .dst = US0, .payload_len = 30};
	struct rte_mbuf *m = ge_rx(&s);
	memset(rte_pktmbuf_append(m, 12), 0, 12); /* Ethernet padding */
	ge_inject(TO_IP4_INPUT, m);
	ge_run();
	assert_int_equal(ge.n_udp, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(ge.udp_in[0]), 30); /* padding trimmed */
	assert_int_equal(ge.udp_in[0]->l3_len, 20);
	const struct rte_ipv4_hdr *h =
		rte_pktmbuf_mtod_offset(ge.udp_in[0], const struct rte_ipv4_hdr *, -20);
	assert_int_equal(rte_be_to_cpu_32(h->src_addr), PEER);
	assert_int_equal(*rte_pktmbuf_mtod(ge.udp_in[0], uint8_t *), 0);
}

static void
test_unknown_protocol_gets_protocol_unreachable(void **state)
{
	(void)state;
	uint64_t unknown = ge_count("drop_ip4_unknown_proto");
	struct pkt_spec s = {.src = PEER, .dst = US0, .proto = 253, .payload_len = 10};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	s.dst = IP4(198, 18, 0, 255); /* a broadcast gets no error */
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	ge_assert_icmp(ge.out[0], US0, PEER, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
	assert_int_equal(ge_count("drop_ip4_unknown_proto") - unknown, 1);
}

static void
test_broadcast_ping_is_ignored(void **state)
{
	(void)state;
	uint64_t before = ge_count("drop_icmp_echo_broadcast");
	ge_inject(TO_IP4_INPUT, ge_echo_request(PEER, IP4(198, 18, 0, 255), 8, 0));
	ge_inject(TO_IP4_INPUT, ge_echo_request(PEER, IP4(255, 255, 255, 255), 8, 0));
	ge_run();
	assert_int_equal(ge.n_out, 0);
	assert_int_equal(ge_count("drop_icmp_echo_broadcast") - before, 2);
}

static void
test_ping_to_ourselves_loops_back(void **state)
{
	(void)state;
	uint64_t unhandled = ge_count("drop_icmp_unhandled");
	uint64_t post = ge_count("nf_postrouting"), out = ge_count("nf_output");
	uint64_t in = ge_count("nf_input");
	struct rte_mbuf *m = ge_echo_request(US0, US1, 8, 0);
	pkt_meta(m)->flags = PKT_META_F_LOCAL_OUT;
	ge_inject(TO_IP4_OUTPUT, m);
	ge_run();
	/* request → nf_output → nf_input → ip4_local → icmp_input → reply →
	 * ip4_output → nf_output → nf_input → ip4_local → icmp_input, where an
	 * echo reply is not handled yet. */
	assert_int_equal(ge.n_out, 0);
	assert_int_equal(ge_count("nf_postrouting") - post, 0);
	assert_int_equal(ge_count("nf_output") - out, 2);
	assert_int_equal(ge_count("nf_input") - in, 2);
	assert_int_equal(ge_count("drop_icmp_unhandled") - unhandled, 1);
}

static void
test_expired_fragments_are_counted(void **state)
{
	(void)state;
	uint64_t timeout = ge_count("drop_ip4_reasm_timeout");
	ge_inject(TO_IP4_INPUT, ge_echo_request(PEER, US0, 800, RTE_IPV4_HDR_MF_FLAG));
	ge_run();
	ge.w->now += (IP4_REASM_TIMEOUT_S + 1) * HZ;
	ge_inject(TO_IP4_INPUT, ge_echo_request(PEER, US0, 8, 0)); /* wakes ip4_local */
	ge_run();
	assert_int_equal(ge_count("drop_ip4_reasm_timeout") - timeout, 1);
	assert_int_equal(ge.n_out, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ge_setup, ge_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ping_is_answered),
		T(test_large_ping_is_reassembled_then_fragmented),
		T(test_65000_byte_ping_is_answered),
		T(test_reassembly_drops_are_counted_by_reason),
		T(test_transport_gets_its_own_header),
		T(test_unknown_protocol_gets_protocol_unreachable),
		T(test_broadcast_ping_is_ignored),
		T(test_ping_to_ourselves_loops_back),
		T(test_expired_fragments_are_counted),
	};
	return cmocka_run_group_tests(tests, ge_group_setup, ge_group_teardown);
}
