/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion-control modules (lib/tcp/tcp_cc.c) on a fake clock, driven
 * through their ops tables with a synthetic ACK clock: every RTT, one
 * ACK per segment of cwnd. Checks CUBIC against RFC 9438's curve (K,
 * W_max plateau, convex growth after it), multiplicative decrease and
 * fast convergence, the TCP-friendly region, HyStart's delay exit, and
 * the by-name lookup / setter (TCP_CONGESTION semantics).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_priv.h"

#define MSS 1000u
#define MS 1000ull

static uint64_t now;

static void
pcb_with(struct tcp_pcb *p, const struct tcp_cc_ops *cc, uint32_t cwnd_segs, uint32_t ssthresh)
{
	memset(p, 0, sizeof(*p));
	p->mss = MSS;
	p->cwnd = cwnd_segs * MSS;
	p->ssthresh = ssthresh;
	p->snd_una = 1;
	p->snd_nxt = 1 + p->cwnd;
	p->snd_max = p->snd_nxt;
	p->cc = cc;
	if (cc->init != NULL)
		cc->init(p, now);
}

/* One round trip: cwnd/MSS ACKs of one segment each, spread over rtt;
 * rtt_sample is what each ACK reports (0: none). */
static void
one_rtt(struct tcp_pcb *p, uint64_t rtt, uint64_t rtt_sample)
{
	uint32_t n = p->cwnd / MSS;
	for (uint32_t i = 0; i < n; i++) {
		now += rtt / n;
		p->snd_una += MSS;
		p->snd_nxt = p->snd_una + p->cwnd;
		p->snd_max = p->snd_nxt;
		p->cc->on_ack(p, MSS, rtt_sample, now);
	}
}

static void
test_lookup_and_setter(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cc_find("cubic"), &tcp_cc_cubic);
	assert_ptr_equal(tcp_cc_find("reno"), &tcp_cc_reno);
	assert_null(tcp_cc_find("vegas"));
	assert_null(tcp_cc_find(NULL));
	struct tcp_stack st;
	memset(&st, 0, sizeof(st));
	struct tcp_pcb p;
	pcb_with(&p, &tcp_cc_reno, 10, UINT32_MAX);
	assert_int_equal(tcp_set_congestion(&st, &p, "bbr", now), -ENOENT);
	assert_ptr_equal(p.cc, &tcp_cc_reno); /* unchanged */
	assert_int_equal(tcp_set_congestion(&st, &p, "cubic", now), 0);
	assert_ptr_equal(p.cc, &tcp_cc_cubic);
	assert_int_equal(p.cwnd, 10 * MSS); /* the window is kept */
	struct tcp_pcb_info in;
	tcp_get_info(&p, &in);
	assert_string_equal(in.cc_name, "cubic");
}

static void
test_cubic_decrease_and_fast_convergence(void **state)
{
	(void)state;
	struct tcp_pcb p;
	pcb_with(&p, &tcp_cc_cubic, 100, 50 * MSS);
	/* RFC 9438 §4.6: ssthresh = 0.7 cwnd (717/1024 in Linux). */
	assert_int_equal(p.cc->ssthresh(&p, now), (100 * 717 / 1024) * MSS);
	/* A second loss below the previous W_max: fast convergence (§4.7)
	 * releases bandwidth, W_max = cwnd (1 + beta) / 2. */
	p.cwnd = 90 * MSS;
	assert_int_equal(p.cc->ssthresh(&p, now), (90 * 717 / 1024) * MSS);
	p.cwnd = 50 * MSS;
	(void)p.cc->ssthresh(&p, now);
	/* W_max is private; observe it through K: at the start of the next
	 * epoch the target is W_max, reached after K seconds. */
	assert_int_equal(((uint32_t *)(void *)p.cc_priv)[1], 50 * (1024 + 717) / 2048);
	/* Never below 2 segments. */
	p.cwnd = 2 * MSS;
	assert_int_equal(p.cc->ssthresh(&p, now), 2 * MSS);
}

static void
test_cubic_curve_plateaus_at_wmax_after_k(void **state)
{
	(void)state;
	struct tcp_pcb p;
	/* Loss at 100 segments: cwnd 70 = ssthresh, W_max 100. K =
	 * cbrt(W_max (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) = 4.22 s. */
	pcb_with(&p, &tcp_cc_cubic, 100, 0);
	p.ssthresh = p.cc->ssthresh(&p, now);
	p.cwnd = p.ssthresh;
	const uint64_t rtt = 100 * MS;
	/* Set the minimum RTT (added to t as RFC 9438's t + RTT). */
	uint64_t t0 = now;
	uint32_t at_2s = 0, at_k = 0, at_8s = 0;
	while (now - t0 < 8000 * MS) {
		one_rtt(&p, rtt, rtt);
		uint64_t t = now - t0;
		if (at_2s == 0 && t >= 2000 * MS)
			at_2s = p.cwnd / MSS;
		if (at_k == 0 && t >= 4100 * MS)
			at_k = p.cwnd / MSS;
		if (at_8s == 0 && t >= 8000 * MS)
			at_8s = p.cwnd / MSS;
	}
	/* Concave: most of the way back by 2 s (W(2) = 100 - 0.4 (4.22 - 2.1)^3
	 * ~ 96 with t + RTT), plateau around W_max near K, convex beyond. */
	assert_in_range(at_2s, 92, 99);
	assert_in_range(at_k, 99, 102);
	/* W(8 s) = 100 + 0.4 (8.1 - 4.22)^3 ~ 123. */
	assert_in_range(at_8s, 115, 130);
}

static void
test_cubic_tcp_friendly_region(void **state)
{
	(void)state;
	struct tcp_pcb p;
	/* Short RTT, small window: Reno's AIMD (with CUBIC's beta, RFC 9438
	 * §4.3: + 3 (1 - beta) / (1 + beta) per RTT ~ 0.53) beats the cubic
	 * curve, which is still far below W_max. */
	pcb_with(&p, &tcp_cc_cubic, 20, 0);
	p.ssthresh = p.cc->ssthresh(&p, now); /* W_max 20, cwnd 14 */
	p.cwnd = p.ssthresh;
	uint32_t start = p.cwnd / MSS;
	/* 300 RTTs of 1 ms = 0.3 s: the cubic curve alone would give about
	 * W_max - 0.4 (K - 0.3)^3 with K = 2.47 s: ~16 segments. */
	for (int i = 0; i < 300; i++)
		one_rtt(&p, 1 * MS, 1 * MS);
	uint32_t est = start + 300 * 53 / 100; /* ~ 173 */
	assert_true(p.cwnd / MSS > 100);
	assert_true(p.cwnd / MSS <= est + 10);
}

static void
test_cubic_hystart_delay_exit(void **state)
{
	(void)state;
	struct tcp_pcb p;
	pcb_with(&p, &tcp_cc_cubic, 16, UINT32_MAX);
	/* A round at 10 ms: the minimum delay. */
	one_rtt(&p, 10 * MS, 10 * MS);
	assert_int_equal(p.ssthresh, UINT32_MAX);
	/* The queue builds: 20 ms > 10 + max(4, 10/8) ms. After the 8
	 * samples of a new round, slow start ends at the current cwnd. */
	one_rtt(&p, 20 * MS, 20 * MS);
	assert_int_not_equal(p.ssthresh, UINT32_MAX);
	assert_true(p.ssthresh <= p.cwnd);
	uint32_t ss = p.ssthresh;
	assert_in_range(ss / MSS, 32, 64);
	/* Congestion avoidance from here: the next RTT grows cwnd slowly. */
	uint32_t before = p.cwnd;
	one_rtt(&p, 20 * MS, 20 * MS);
	assert_true(p.cwnd - before <= 3 * MSS);
}

static void
test_cubic_no_hystart_without_delay_increase(void **state)
{
	(void)state;
	struct tcp_pcb p;
	pcb_with(&p, &tcp_cc_cubic, 16, UINT32_MAX);
	for (int i = 0; i < 4; i++)
		one_rtt(&p, 10 * MS, 10 * MS + (uint64_t)i * 500); /* jitter < 4 ms */
	assert_int_equal(p.ssthresh, UINT32_MAX);
	assert_int_equal(p.cwnd, 16 * 16 * MSS); /* doubled per RTT */
}

static void
test_reno_is_rfc5681(void **state)
{
	(void)state;
	struct tcp_pcb p;
	pcb_with(&p, &tcp_cc_reno, 10, 20 * MSS);
	one_rtt(&p, 10 * MS, 0); /* slow start: 10 -> 20 (capped at ssthresh) */
	assert_int_equal(p.cwnd, 20 * MSS);
	one_rtt(&p, 10 * MS, 0); /* avoidance: + 1 MSS per window */
	assert_int_equal(p.cwnd, 21 * MSS);
	p.snd_max = p.snd_una + 30 * MSS;
	assert_int_equal(p.cc->ssthresh(&p, now), 15 * MSS); /* FlightSize / 2 */
}

int
main(void)
{
	now = 1000000 * MS;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup_and_setter),
	    cmocka_unit_test(test_cubic_decrease_and_fast_convergence),
	    cmocka_unit_test(test_cubic_curve_plateaus_at_wmax_after_k),
	    cmocka_unit_test(test_cubic_tcp_friendly_region),
	    cmocka_unit_test(test_cubic_hystart_delay_exit),
	    cmocka_unit_test(test_cubic_no_hystart_without_delay_increase),
	    cmocka_unit_test(test_reno_is_rfc5681),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
