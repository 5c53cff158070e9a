/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp algorithms on a fake clock: RFC 6298 RTO + Karn + backoff
 * bounds, NewReno cwnd arithmetic (RFC 5681 / RFC 6582), out-of-order
 * interval merging, silly-window avoidance on both sides, delayed-ACK
 * decisions. Connections are built through the real entry points
 * (tcp_connect + a SYN-ACK) and driven with hand-made segments.
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

#define MS 1000ull
#define PEER_ISN 5000u

struct fx {
	struct tcp_stack st;
	struct tcp_pcb pcb;
	struct tcp_out out[64];
	int nout;
	uint32_t ready, acked;
	uint64_t now;
	uint8_t rbuf[4096];
	uint8_t sbuf[65536];
};

static struct fx *F;

static void
emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	(void)st;
	(void)pcb;
	assert_true(F->nout < 64);
	F->out[F->nout++] = *out;
}

static void
copy_in(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len)
{
	(void)seg;
	(void)off;
	memset(dst, 0xab, len);
}

static void
rcv_ready(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	(void)st;
	(void)pcb;
	F->ready += n;
}

static void
snd_acked(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	(void)st;
	(void)pcb;
	F->acked += n;
}

static const struct tcp_ops ops = {
    .emit = emit, .copy_in = copy_in, .rcv_ready = rcv_ready, .snd_acked = snd_acked};

static int
setup(void **state)
{
	static const uint8_t key[16] = {7};
	F = calloc(1, sizeof(*F));
	F->now = 10000 * MS;
	tcp_stack_init(&F->st, &ops, NULL, key, F->now);
	*state = F;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(F);
	F = NULL;
	return 0;
}

static struct tcp_seg
seg(uint8_t fl, uint32_t rel_seq, uint32_t rel_ack, uint16_t wnd, uint32_t len)
{
	struct tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.flags = fl;
	s.seq = PEER_ISN + rel_seq;
	s.ack = F->pcb.iss + rel_ack;
	s.wnd = wnd;
	s.len = len;
	return s;
}

static void
input(struct tcp_seg s)
{
	tcp_input(&F->st, &F->pcb, &s, F->now, NULL);
}

/* ESTABLISHED by an active open with an `rtt` handshake; peer MSS `mss`. */
static void
establish(uint16_t mss, uint16_t peer_wnd, uint64_t rtt)
{
	struct tcp_tuple t = {1, 2, 3, 4};
	tcp_pcb_init(&F->pcb, &t, 1460);
	F->pcb.rcv.data = F->rbuf;
	F->pcb.rcv.size = sizeof(F->rbuf);
	F->pcb.rcv.space = sizeof(F->rbuf);
	F->pcb.snd.data = F->sbuf;
	F->pcb.snd.size = sizeof(F->sbuf);
	assert_int_equal(tcp_connect(&F->st, &F->pcb, F->now), 0);
	F->now += rtt;
	struct tcp_seg s = seg(TCP_SYN | TCP_ACK, 0, 1, peer_wnd, 0);
	s.opts = TCP_OPT_F_MSS;
	s.mss = mss;
	input(s);
	assert_int_equal(F->pcb.state, TCPS_ESTABLISHED);
	F->nout = 0;
}

/* ---- RTO ---- */

static void
test_rto_rfc6298_estimator(void **state)
{
	(void)state;
	struct tcp_pcb *p = &F->pcb;
	memset(p, 0, sizeof(*p));
	tcp_rtt_sample(&F->st, p, 100 * MS); /* first: SRTT = R, RTTVAR = R/2 */
	assert_int_equal(p->srtt, 100 * MS);
	assert_int_equal(p->rttvar, 50 * MS);
	assert_int_equal(p->rto, 300 * MS);
	tcp_rtt_sample(&F->st, p, 100 * MS); /* RTTVAR = 3/4 50 + 1/4 0 */
	assert_int_equal(p->rttvar, 37500);
	assert_int_equal(p->rto, 250 * MS);
	tcp_rtt_sample(&F->st, p, 180 * MS); /* RTTVAR first, with the old SRTT */
	assert_int_equal(p->rttvar, (3 * 37500 + 80000) / 4);
	assert_int_equal(p->srtt, (7 * 100000 + 180000) / 8);
	/* Bounds: 200 ms minimum, 120 s maximum (Linux). */
	memset(p, 0, sizeof(*p));
	tcp_rtt_sample(&F->st, p, 1 * MS);
	assert_int_equal(p->rto, 200 * MS);
	memset(p, 0, sizeof(*p));
	tcp_rtt_sample(&F->st, p, 100000 * MS);
	assert_int_equal(p->rto, 120000 * MS);
}

static void
test_backoff_doubles_up_to_rto_max(void **state)
{
	(void)state;
	struct tcp_pcb *p = &F->pcb;
	memset(p, 0, sizeof(*p));
	assert_int_equal(tcp_cur_rto(&F->st, p), 1000 * MS); /* initial 1 s (RFC 6298 2.1) */
	p->rto = 300 * MS;
	for (unsigned b = 0; b < 32; b++) {
		p->backoff = (uint8_t)b;
		uint64_t want = 300 * MS;
		for (unsigned i = 0; i < b && want < 120000 * MS; i++)
			want *= 2;
		if (want > 120000 * MS)
			want = 120000 * MS;
		assert_int_equal(tcp_cur_rto(&F->st, p), want);
	}
}

static void
test_karn_no_sample_from_a_retransmitted_segment(void **state)
{
	(void)state;
	establish(1000, 65535, 100 * MS);
	struct tcp_pcb *p = &F->pcb;
	assert_int_equal(p->srtt, 100 * MS); /* the handshake was timed */
	p->snd.len = 500;
	tcp_output(&F->st, p, F->now);
	assert_int_equal(F->nout, 1);
	/* The RTO fires: retransmission, backoff 1. */
	F->now += p->rto;
	tcp_stack_timers(&F->st, F->now + MS);
	F->now += MS;
	assert_int_equal(F->nout, 2);
	assert_true(F->out[1].rtx);
	assert_int_equal(p->backoff, 1);
	/* A late ACK (5 s): ambiguous, must not be sampled. */
	F->now += 5000 * MS;
	input(seg(TCP_ACK, 1, 501, 65535, 0));
	assert_int_equal(p->snd_una, p->iss + 501);
	assert_int_equal(p->srtt, 100 * MS);
	assert_int_equal(p->backoff, 0); /* new data acked: backoff over */
	/* New data is timed again. */
	p->snd.len += 100;
	tcp_output(&F->st, p, F->now);
	F->now += 20 * MS;
	input(seg(TCP_ACK, 1, 601, 65535, 0));
	assert_int_equal(p->srtt, (7 * 100000 + 20000) / 8);
}

/* ---- NewReno ---- */

static void
dupack(void)
{
	input(seg(TCP_ACK, 1, 1, 65535, 0));
}

static void
test_newreno_cwnd_arithmetic(void **state)
{
	(void)state;
	establish(1000, 65535, 50 * MS);
	struct tcp_pcb *p = &F->pcb;
	/* NewReno's arithmetic (CUBIC, the default, has its own tests). */
	assert_int_equal(tcp_set_congestion(&F->st, p, "reno", F->now), 0);
	assert_int_equal(p->cwnd, 10000); /* IW10 (RFC 6928) */
	p->snd.len = 10000;
	tcp_output(&F->st, p, F->now);
	assert_int_equal(F->nout, 10);
	F->now += 50 * MS;
	dupack();
	dupack();
	assert_false(tcp_has(p, TCP_PF_IN_RECOVERY));
	F->nout = 0;
	dupack(); /* third: fast retransmit */
	assert_true(tcp_has(p, TCP_PF_IN_RECOVERY));
	assert_int_equal(F->nout, 1);
	assert_int_equal(F->out[0].seq, p->iss + 1);
	assert_true(F->out[0].rtx);
	assert_int_equal(p->ssthresh, 5000);	/* max(FlightSize/2, 2 SMSS) */
	assert_int_equal(p->cwnd, 5000 + 3000); /* ssthresh + 3 SMSS */
	assert_int_equal(p->recover, p->iss + 10001);
	dupack();
	assert_int_equal(p->cwnd, 9000); /* + SMSS per further dup */
	/* Partial ACK of 3000: deflate by 3000, add back one SMSS. */
	F->nout = 0;
	input(seg(TCP_ACK, 1, 3001, 65535, 0));
	assert_true(tcp_has(p, TCP_PF_IN_RECOVERY));
	assert_int_equal(p->cwnd, 9000 - 3000 + 1000);
	assert_int_equal(F->out[0].seq, p->iss + 3001); /* the next hole */
	/* Full ACK: min(ssthresh, max(FlightSize, SMSS) + SMSS). */
	input(seg(TCP_ACK, 1, 10001, 65535, 0));
	assert_false(tcp_has(p, TCP_PF_IN_RECOVERY));
	assert_int_equal(p->cwnd, 2000);
	/* Three more dup ACKs below `recover` + 1 would not restart recovery;
	 * here everything is acked, nothing outstanding: no dup ACKs at all. */
	dupack();
	assert_int_equal(p->dupacks, 0);
}

static void
test_slow_start_and_congestion_avoidance(void **state)
{
	(void)state;
	establish(1000, 65535, 50 * MS);
	struct tcp_pcb *p = &F->pcb;
	assert_int_equal(tcp_set_congestion(&F->st, p, "reno", F->now), 0);
	p->snd.len = 60000;
	tcp_output(&F->st, p, F->now);
	input(seg(TCP_ACK, 1, 1001, 65535, 0));
	assert_int_equal(p->cwnd, 11000); /* slow start: + acked */
	p->ssthresh = 11000;
	input(seg(TCP_ACK, 1, 3001, 65535, 0)); /* avoidance: count bytes */
	assert_int_equal(p->cwnd, 11000);
	input(seg(TCP_ACK, 1, 12001, 65535, 0)); /* 11000 acked in total */
	assert_int_equal(p->cwnd, 12000);
}

/* ---- out-of-order intervals ---- */

static void
test_ooo_intervals_merge_and_advance(void **state)
{
	(void)state;
	struct tcp_pcb *p = &F->pcb;
	memset(p, 0, sizeof(*p));
	const uint32_t b = 0xffffff00u; /* across the sequence wrap */
	assert_int_equal(tcp_ooo_insert(p, 32, b + 10, b + 20), 0);
	assert_int_equal(tcp_ooo_insert(p, 32, b + 300, b + 400), 0);
	assert_int_equal(tcp_ooo_insert(p, 32, b + 200, b + 250), 0);
	assert_int_equal(p->ooo_n, 3);
	assert_int_equal(p->ooo[1].start, b + 200); /* sorted */
	/* Overlapping two: one interval. */
	assert_int_equal(tcp_ooo_insert(p, 32, b + 240, b + 310), 0);
	assert_int_equal(p->ooo_n, 2);
	assert_int_equal(p->ooo[1].start, b + 200);
	assert_int_equal(p->ooo[1].end, b + 400);
	/* Adjacent: merged. Contained duplicate: nothing changes. */
	assert_int_equal(tcp_ooo_insert(p, 32, b + 20, b + 200), 0);
	assert_int_equal(p->ooo_n, 1);
	assert_int_equal(tcp_ooo_insert(p, 32, b + 50, b + 60), 0);
	assert_int_equal(p->ooo_n, 1);
	assert_int_equal(p->ooo[0].start, b + 10);
	assert_int_equal(p->ooo[0].end, b + 400);
	/* RCV.NXT reaches the interval: everything becomes in order. */
	assert_int_equal(tcp_ooo_advance(p, b + 5), b + 5);
	assert_int_equal(tcp_ooo_advance(p, b + 10), b + 400);
	assert_int_equal(p->ooo_n, 0);
	/* Full list: a new hole is refused, an extension is not. */
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(tcp_ooo_insert(p, 4, 100 * i + 10, 100 * i + 20), 0);
	assert_int_equal(tcp_ooo_insert(p, 4, 1000, 1010), -1);
	assert_int_equal(tcp_ooo_insert(p, 4, 20, 30), 0);
	assert_int_equal(p->ooo_n, 4);
}

/* ---- silly window ---- */

static void
test_receiver_sws_window_moves_by_min_half_buffer_mss(void **state)
{
	(void)state;
	establish(1000, 65535, 10 * MS);
	struct tcp_pcb *p = &F->pcb; /* rcv buffer 4096, adv_mss 1460 */
	input(seg(TCP_ACK, 1, 1, 65535, 4000));
	assert_int_equal(p->rcv.space, 96);
	assert_int_equal(p->rcv_adv - p->rcv_nxt, 96); /* advertised in the ACK */
	p->rcv.space += 1000;			       /* app read 1000: < min(2048, 1460) */
	assert_int_equal(tcp_rcv_window(p), 96);
	p->rcv.space += 500; /* 1500 more than advertised: >= 1460 */
	assert_int_equal(tcp_rcv_window(p), 1596);
	/* Never shrinks: less space than advertised keeps the edge. */
	p->rcv.space = 10;
	assert_int_equal(tcp_rcv_window(p), 96);
	/* tcp_recvd sends the update only when it is worth it. */
	p->rcv.space = 96;
	F->nout = 0;
	tcp_recvd(&F->st, p, 1000, F->now);
	assert_int_equal(F->nout, 0);
	tcp_recvd(&F->st, p, 1000, F->now);
	assert_int_equal(F->nout, 1);
	assert_int_equal(F->out[0].wnd, 2096);
}

static void
test_sender_sws_small_window_waits(void **state)
{
	(void)state;
	establish(1000, 65535, 10 * MS);
	struct tcp_pcb *p = &F->pcb;
	p->flags |= TCP_PF_NODELAY;
	p->snd.len = 3000;
	input(seg(TCP_ACK, 1, 1, 300, 0)); /* the peer offers 300 */
	F->nout = 0;
	tcp_output(&F->st, p, F->now);
	/* 300 < MSS and < max window / 2: wait (persist timer armed). */
	assert_int_equal(F->nout, 0);
	assert_true(tcp_has(p, TCP_PF_PERSIST));
	/* The largest window ever offered was small: 300 >= 400/2 sends. */
	p->max_sndwnd = 400;
	tcp_output(&F->st, p, F->now);
	assert_int_equal(F->nout, 1);
	assert_int_equal(F->out[0].len, 300);
}

/* ---- delayed ACK ---- */

static void
test_delayed_ack_decisions(void **state)
{
	(void)state;
	F->st.conf.quickacks = 2;
	establish(1460, 65535, 10 * MS);
	struct tcp_pcb *p = &F->pcb;
	uint32_t rel = 1;
	/* Quick-ACK mode at the start: each segment ACKed at once. */
	for (int i = 0; i < 2; i++) {
		F->nout = 0;
		input(seg(TCP_ACK, rel, 1, 65535, 100));
		rel += 100;
		assert_int_equal(F->nout, 1);
		F->now += 100 * MS;
	}
	/* Then one small segment: delayed by ato (40 ms minimum). */
	F->nout = 0;
	input(seg(TCP_ACK, rel, 1, 65535, 100));
	rel += 100;
	assert_int_equal(F->nout, 0);
	assert_int_equal(p->t_delack, F->now + 40 * MS);
	/* A second full-sized one before it fires: ACK at once. */
	F->now += 5 * MS;
	input(seg(TCP_ACK, rel, 1, 65535, 1460));
	rel += 1460;
	assert_int_equal(F->nout, 0); /* one full segment so far */
	input(seg(TCP_ACK, rel, 1, 65535, 1460));
	rel += 1460;
	assert_int_equal(F->nout, 1);
	assert_int_equal(p->t_delack, 0);
	/* Out of order: at once (RFC 5681 4.2). */
	F->now += 5 * MS;
	F->nout = 0;
	input(seg(TCP_ACK, rel + 500, 1, 65535, 100));
	assert_int_equal(F->nout, 1);
	assert_int_equal(F->out[0].ack, PEER_ISN + rel);
	/* The timer sends the ACK when it fires; ato stays in [40, 200] ms. */
	F->nout = 0;
	input(seg(TCP_ACK, rel, 1, 65535, 10)); /* fills part of the hole: at once */
	assert_int_equal(F->nout, 1);
	assert_true(p->ato >= 40 * MS && p->ato <= 200 * MS);
	/* Idle longer than the RTO: quick ACKs again. */
	F->now += 5000 * MS;
	F->nout = 0;
	p->ooo_n = 0;
	input(seg(TCP_ACK, p->rcv_nxt - PEER_ISN, 1, 65535, 10));
	assert_int_equal(F->nout, 1);
}

static void
test_delack_timer_fires(void **state)
{
	(void)state;
	F->st.conf.quickacks = 0;
	establish(1460, 65535, 10 * MS);
	F->nout = 0;
	input(seg(TCP_ACK, 1, 1, 65535, 10));
	/* quickacks 0 still starts quick (first data) unless configured 0. */
	assert_int_equal(F->nout, 0);
	uint64_t due = F->pcb.t_delack;
	assert_int_equal(due, F->now + 40 * MS);
	tcp_stack_timers(&F->st, due - MS);
	assert_int_equal(F->nout, 0);
	tcp_stack_timers(&F->st, due);
	assert_int_equal(F->nout, 1);
	assert_int_equal(F->out[0].ack, PEER_ISN + 11);
	assert_int_equal(F->st.stats.delayed_acks, 1);
}

/* ---- user calls, snapshot ---- */

static void
test_user_calls_errors_and_listen_close(void **state)
{
	(void)state;
	struct tcp_tuple t = {1, 2, 3, 4};
	struct tcp_pcb *p = &F->pcb;
	tcp_pcb_init(p, &t, 0);
	assert_int_equal(p->adv_mss, TCP_DEFAULT_MSS);
	assert_int_equal(tcp_shutdown_wr(&F->st, p, F->now), -ENOTCONN);
	assert_int_equal(tcp_listen(&F->st, p), 0);
	assert_int_equal(p->state, TCPS_LISTEN);
	assert_int_equal(tcp_connect(&F->st, p, F->now), -EINVAL);
	assert_int_equal(tcp_listen(&F->st, p), -EINVAL);
	tcp_close(&F->st, p, 0, F->now); /* LISTEN -> CLOSED at once */
	assert_int_equal(p->state, TCPS_CLOSED);
	assert_int_equal(F->nout, 0);
	establish(1000, 65535, 10 * MS);
	assert_int_equal(tcp_connect(&F->st, p, F->now), -EISCONN);
	tcp_pcb_init(p, &t, 1460);
	assert_int_equal(tcp_connect(&F->st, p, F->now), 0);
	assert_int_equal(tcp_connect(&F->st, p, F->now), -EALREADY);
	tcp_close(&F->st, p, 0, F->now); /* SYN-SENT -> CLOSED at once, no RST */
	assert_int_equal(p->state, TCPS_CLOSED);
	assert_int_equal(F->nout, 1); /* the SYN only */
	assert_false(tcp_tnode_linked(&p->tnode));
	assert_int_equal(tcp_next_deadline(p), 0);
}

static void
test_info_snapshot(void **state)
{
	(void)state;
	establish(1000, 30000, 100 * MS);
	struct tcp_pcb *p = &F->pcb;
	p->snd.len = 2500;
	tcp_output(&F->st, p, F->now);
	F->now += 100 * MS;
	input(seg(TCP_ACK | TCP_PSH, 1, 1001, 30000, 300));
	struct tcp_pcb_info i;
	tcp_get_info(p, &i);
	assert_int_equal(i.state, TCPS_ESTABLISHED);
	assert_int_equal(i.snd_mss, 1000);
	assert_int_equal(i.rcv_mss, 1460);
	assert_int_equal(i.srtt, 100000);
	assert_int_equal(i.rto, p->rto);
	assert_int_equal(i.unacked, 1500);
	assert_int_equal(i.snd_wnd, 30000);
	assert_int_equal(i.bytes_acked, 1000);
	assert_int_equal(i.bytes_received, 300);
	assert_int_equal(i.bytes_sent, 2500);
	assert_int_equal(i.snd_cwnd, 11000);
	assert_int_equal(i.segs_out, 6); /* SYN, ACK, 3 data, ACK of the data */
	assert_int_equal(i.segs_in, 2);
	assert_int_equal(F->st.stats.state_cur[TCPS_ESTABLISHED], 1);
	assert_int_equal(F->ready, 300);
	assert_int_equal(F->acked, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rto_rfc6298_estimator, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backoff_doubles_up_to_rto_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_karn_no_sample_from_a_retransmitted_segment, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_newreno_cwnd_arithmetic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_start_and_congestion_avoidance, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ooo_intervals_merge_and_advance, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receiver_sws_window_moves_by_min_half_buffer_mss,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sender_sws_small_window_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delayed_ack_decisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delack_timer_fires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_calls_errors_and_listen_close, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_info_snapshot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
