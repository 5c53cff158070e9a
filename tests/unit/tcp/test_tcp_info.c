/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_get_info's `ss -ti` / `ss -o` fields (issue 6): the pending timer
 * as Linux's inet_diag picks it (retransmission, zero-window probe,
 * keepalive, TIME-WAIT) with its deadline and count, and tcpi_lost as
 * Linux counts it (SACK holes marked lost, NewReno's head, everything
 * after an RTO without SACK). Pcbs are built directly in the state each
 * case needs (no handshake), as the fields are read from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_priv.h"

#define MSS 1000u

/* ESTABLISHED, 10 segments in flight from sequence 1001. */
static void
pcb_est(struct tcp_pcb *p)
{
	memset(p, 0, sizeof(*p));
	p->state = TCPS_ESTABLISHED;
	p->mss = MSS;
	p->snd_una = 1001;
	p->snd_nxt = p->snd_max = 1001 + 10 * MSS;
	p->cwnd = 10 * MSS;
	p->ssthresh = UINT32_MAX;
}

static void
test_timer_choice(void **state)
{
	(void)state;
	struct tcp_pcb p;
	struct tcp_pcb_info in;
	pcb_est(&p);
	tcp_get_info(&p, &in);
	assert_int_equal(in.timer, TCP_INFO_TIMER_NONE);
	/* Retransmission pending: "on", its expirations in a row. */
	p.t_rtx = 5000000;
	p.retries = 2;
	p.t_keep = 9000000; /* a keepalive deadline does not show while it runs */
	tcp_get_info(&p, &in);
	assert_int_equal(in.timer, TCP_INFO_TIMER_ON);
	assert_int_equal(in.timer_at, 5000000);
	assert_int_equal(in.timer_count, 2);
	/* The same timer in persist mode: "persist". */
	p.flags |= TCP_PF_PERSIST;
	tcp_get_info(&p, &in);
	assert_int_equal(in.timer, TCP_INFO_TIMER_PROBE0);
	/* Nothing in flight, keepalive on: "keepalive", probes unanswered. */
	p.flags = TCP_PF_KEEPALIVE;
	p.t_rtx = 0;
	p.ka_probes = 1;
	p.user_timeout = 1500;
	tcp_get_info(&p, &in);
	assert_int_equal(in.timer, TCP_INFO_TIMER_KEEPALIVE);
	assert_int_equal(in.timer_at, 9000000);
	assert_int_equal(in.timer_count, 1);
	assert_true(in.keepalive);
	assert_int_equal(in.user_timeout, 1500);
	/* TIME-WAIT: "timewait". */
	p.state = TCPS_TIME_WAIT;
	p.t_keep = 0;
	p.t_wait = 60000000;
	tcp_get_info(&p, &in);
	assert_int_equal(in.timer, TCP_INFO_TIMER_TIMEWAIT);
	assert_int_equal(in.timer_at, 60000000);
}

static void
test_lost(void **state)
{
	(void)state;
	struct tcp_pcb p;
	struct tcp_pcb_info in;
	pcb_est(&p);
	tcp_get_info(&p, &in);
	assert_int_equal(in.lost, 0); /* in flight is not lost */
	/* NewReno fast recovery: the head segment. */
	p.flags |= TCP_PF_IN_RECOVERY;
	tcp_get_info(&p, &in);
	assert_int_equal(in.lost, 1);
	/* RTO without SACK: everything outstanding (Linux tcp_enter_loss). */
	p.flags = 0;
	p.backoff = 1;
	tcp_get_info(&p, &in);
	assert_int_equal(in.lost, 10);
	/* SACK: segments 4..10 SACKed (3 blocks' worth of bytes above the
	 * first three): RFC 6675 IsLost marks the three holes below. */
	p.backoff = 0;
	p.opt_ok = TCP_OPT_F_SACK_OK;
	p.sb_n = 1;
	p.sb[0] = (struct tcp_sack_block){1001 + 3 * MSS, 1001 + 10 * MSS};
	p.sacked_out = 7 * MSS;
	tcp_get_info(&p, &in);
	assert_int_equal(in.lost, 3);
	/* Only one segment SACKed above the holes: not enough evidence. */
	p.sb[0] = (struct tcp_sack_block){1001 + 9 * MSS, 1001 + 10 * MSS};
	tcp_get_info(&p, &in);
	assert_int_equal(in.lost, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_choice),
	    cmocka_unit_test(test_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
