/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nodes in a graph (graph_env.h), datagrams through this host:
 * ip4_input → nf_prerouting → ip4_route → ip4_forward → nf_forward →
 * nf_postrouting → ip4_mtu → neigh_output | ip4_fragment, icmp_error →
 * ip4_output → nf_output, the rate limit, and the drops counted by reason.
 * No rule set: the hooks pass everything; dp_worker.nf_busy says which of
 * them the stages must go through (idle ones are skipped).
 */
#include <netinet/ip_icmp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "graph_env.h"
#include "icmp_ratelimit.h"
#include "ip4_check.h"

/* ---- forwarding ---- */

static void
test_forward_decrements_ttl(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 9, .payload_len = 100};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	struct rte_ipv4_hdr *h = pkt_ip4(ge.out[0]);
	assert_int_equal(h->time_to_live, 8);
	assert_true(ip4_hdr_cksum_valid(h));
	assert_int_equal(pkt_meta(ge.out[0])->out_port, 1);
	assert_int_equal(pkt_meta(ge.out[0])->nexthop, GW);
	assert_false(pkt_meta(ge.out[0])->flags & PKT_META_F_LOCAL_OUT);
}

static const char *const fwd_path[] = {"ip4_input", "nf_prerouting", "ip4_route", "ip4_forward",
					 "nf_forward", "nf_postrouting", "ip4_mtu"};

/* Forward one datagram from PEER to FAR with dp_worker.nf_busy = `busy`
 * (and traced if `trace`); check it left as forwarding makes it and that
 * fwd_path[i] saw `seen[i]` packets (1 or 0), nf_input and nf_output none. */
static void
forward_one(uint32_t busy, bool trace, const int *seen)
{
	uint64_t before[RTE_DIM(fwd_path)];
	for (size_t i = 0; i < RTE_DIM(fwd_path); i++)
		before[i] = ge_count(fwd_path[i]);
	uint64_t in = ge_count("nf_input"), out = ge_count("nf_output");
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 9, .payload_len = 50};
	struct rte_mbuf *m = ge_rx(&s);
	if (trace)
		pkt_meta(m)->trace_id = 1;
	ge.w->nf_busy = busy;
	ge_inject(TO_IP4_INPUT, m);
	ge_run();
	ge.w->nf_busy = 0;
	assert_int_equal(ge.n_out, 1);
	struct rte_ipv4_hdr *h = pkt_ip4(ge.out[0]);
	assert_int_equal(h->time_to_live, 8);
	assert_true(ip4_hdr_cksum_valid(h));
	assert_int_equal(pkt_meta(ge.out[0])->out_port, 1);
	assert_int_equal(pkt_meta(ge.out[0])->nexthop, GW);
	for (size_t i = 0; i < RTE_DIM(fwd_path); i++)
		if (ge_count(fwd_path[i]) - before[i] != (uint64_t)seen[i])
			fail_msg("%s saw %lu packets, not %d", fwd_path[i],
				 (unsigned long)(ge_count(fwd_path[i]) - before[i]), seen[i]);
	assert_int_equal(ge_count("nf_input") - in, 0);
	assert_int_equal(ge_count("nf_output") - out, 0);
}

/* Every hook with work to do: a forwarded datagram goes through every
 * stage of the forward path, hooks included, once. */
static void
test_forward_path_goes_through_busy_hooks(void **state)
{
	(void)state;
	static const int all[] = {1, 1, 1, 1, 1, 1, 1};
	forward_one(DP_NF_PREROUTING | DP_NF_INPUT | DP_NF_FORWARD | DP_NF_OUTPUT |
			    DP_NF_POSTROUTING,
		    false, all);
}

/* No hook with work: ip4_input makes the route decision itself, and
 * ip4_forward hands the datagram to the neighbour, same result. */
static void
test_forward_path_skips_idle_hooks(void **state)
{
	(void)state;
	static const int input_forward[] = {1, 0, 0, 1, 0, 0, 0};
	forward_one(0, false, input_forward);
}

/* Only FORWARD idle (conntrack and NAT at PREROUTING and POSTROUTING):
 * ip4_forward goes straight to POSTROUTING. */
static void
test_forward_path_skips_idle_forward_hook(void **state)
{
	(void)state;
	static const int no_forward[] = {1, 1, 1, 1, 0, 1, 1};
	forward_one(DP_NF_PREROUTING | DP_NF_POSTROUTING, false, no_forward);
}

/* A traced packet takes every node, so that the trace shows each stage. */
static void
test_traced_packet_takes_every_stage(void **state)
{
	(void)state;
	static const int all[] = {1, 1, 1, 1, 1, 1, 1};
	forward_one(0, true, all);
}

/* An error is generated here: it leaves through OUTPUT and POSTROUTING. */
static void
test_icmp_error_leaves_through_output_and_postrouting(void **state)
{
	(void)state;
	uint64_t out = ge_count("nf_output"), post = ge_count("nf_postrouting");
	uint64_t mtu = ge_count("ip4_mtu");
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 1, .payload_len = 10};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	assert_int_equal(ge_count("nf_output") - out, 1);
	assert_int_equal(ge_count("nf_postrouting") - post, 1);
	assert_int_equal(ge_count("ip4_mtu") - mtu, 1);
}

static void
test_ttl_expiry_sends_time_exceeded(void **state)
{
	(void)state;
	uint64_t sent = ge_count("drop_icmp_error_sent");
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 1, .payload_len = 100};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	const uint8_t *ic = ge_assert_icmp(ge.out[0], US0, PEER, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
	const struct rte_ipv4_hdr *quoted = (const struct rte_ipv4_hdr *)(ic + 8);
	assert_int_equal(quoted->time_to_live, 1); /* as it arrived */
	assert_int_equal(rte_be_to_cpu_32(quoted->dst_addr), FAR);
	assert_int_equal(pkt_meta(ge.out[0])->out_port, 0);
	assert_int_equal(ge_count("drop_icmp_error_sent") - sent, 1);
}

static void
test_no_route_sends_net_unreachable(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = PEER, .dst = IP4(192, 0, 2, 1), .payload_len = 20};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	ge_assert_icmp(ge.out[0], US0, PEER, ICMP_DEST_UNREACH, ICMP_NET_UNREACH);
}

static void
test_too_big_with_df_sends_frag_needed(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = PEER, .dst = FAR, .frag = DF, .payload_len = 1400};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 1);
	const uint8_t *ic = ge_assert_icmp(ge.out[0], US0, PEER, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED);
	assert_int_equal((ic[6] << 8) | ic[7], 1280); /* port 1's MTU */
}

static void
test_too_big_without_df_is_fragmented(void **state)
{
	(void)state;
	struct pkt_spec s = {.src = PEER, .dst = FAR, .id = 5, .payload_len = 2000};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 2);
	for (unsigned int i = 0; i < ge.n_out; i++) {
		struct rte_ipv4_hdr *h = pkt_ip4(ge.out[i]);
		assert_true(rte_pktmbuf_pkt_len(ge.out[i]) <= 1280);
		assert_int_equal(h->time_to_live, 63);
		assert_true(ip4_hdr_cksum_valid(h));
		assert_int_equal(pkt_meta(ge.out[i])->out_port, 1);
		assert_int_equal(pkt_meta(ge.out[i])->nexthop, GW);
	}
}

static void
test_icmp_errors_are_rate_limited(void **state)
{
	(void)state;
	uint64_t limited = ge_count("drop_icmp_error_ratelimited");
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 1, .payload_len = 10};
	for (int i = 0; i < 10; i++)
		ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, ICMP_RL_BURST);
	assert_int_equal(ge_count("drop_icmp_error_ratelimited") - limited, 10 - ICMP_RL_BURST);
	ge.w->now += HZ; /* one more a second */
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, ICMP_RL_BURST + 1);
}

static void
test_no_error_about_an_icmp_error(void **state)
{
	(void)state;
	uint64_t suppressed = ge_count("drop_icmp_error_suppressed");
	uint8_t icmp[8] = {ICMP_DEST_UNREACH, ICMP_PORT_UNREACH};
	struct pkt_spec s = {.src = PEER, .dst = FAR, .ttl = 1, .proto = IPPROTO_ICMP,
			     .payload = icmp, .payload_len = sizeof(icmp)};
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out, 0);
	assert_int_equal(ge_count("drop_icmp_error_suppressed") - suppressed, 1);
}

/* ---- drops ---- */

static void
test_bad_datagrams_are_counted_by_reason(void **state)
{
	(void)state;
	uint64_t cksum = ge_count("drop_ip4_bad_checksum"), martian = ge_count("drop_ip4_martian_src");
	struct pkt_spec s = {.src = PEER, .dst = US0, .payload_len = 10};
	struct rte_mbuf *m = ge_rx(&s);
	pkt_ip4(m)->hdr_checksum ^= 1;
	ge_inject(TO_IP4_INPUT, m);
	s.src = IP4(127, 0, 0, 1);
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	s.src = IP4(198, 18, 1, 255); /* a directed broadcast of ours */
	ge_inject(TO_IP4_INPUT, ge_rx(&s));
	ge_run();
	assert_int_equal(ge.n_out + ge.n_udp, 0);
	assert_int_equal(ge_count("drop_ip4_bad_checksum") - cksum, 1);
	assert_int_equal(ge_count("drop_ip4_martian_src") - martian, 2);
}

static void
test_local_output_drops(void **state)
{
	(void)state;
	uint64_t no_route = ge_count("drop_ip4_output_no_route");
	uint64_t too_big = ge_count("drop_ip4_output_too_big");
	struct pkt_spec s = {.src = US0, .dst = IP4(192, 0, 2, 9), .payload_len = 10};
	struct rte_mbuf *m = pkt_build(&s, 0);
	pkt_meta(m)->flags = PKT_META_F_LOCAL_OUT;
	ge_inject(TO_IP4_OUTPUT, m);
	s = (struct pkt_spec){.src = US1, .dst = FAR, .frag = DF, .payload_len = 1300};
	m = pkt_build(&s, 0);
	pkt_meta(m)->flags = PKT_META_F_LOCAL_OUT;
	ge_inject(TO_IP4_OUTPUT, m);
	ge_run();
	assert_int_equal(ge.n_out, 0);
	assert_int_equal(ge_count("drop_ip4_output_no_route") - no_route, 1);
	assert_int_equal(ge_count("drop_ip4_output_too_big") - too_big, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ge_setup, ge_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_forward_decrements_ttl),
		T(test_forward_path_goes_through_busy_hooks),
		T(test_forward_path_skips_idle_hooks),
		T(test_forward_path_skips_idle_forward_hook),
		T(test_traced_packet_takes_every_stage),
		T(test_icmp_error_leaves_through_output_and_postrouting),
		T(test_ttl_expiry_sends_time_exceeded),
		T(test_no_route_sends_net_unreachable),
		T(test_too_big_with_df_sends_frag_needed),
		T(test_too_big_without_df_is_fragmented),
		T(test_icmp_errors_are_rate_limited),
		T(test_no_error_about_an_icmp_error),
		T(test_bad_datagrams_are_counted_by_reason),
		T(test_local_output_drops),
	};
	return cmocka_run_group_tests(tests, ge_group_setup, ge_group_teardown);
}
