/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R5: the pieces of loss recovery and TIME_WAIT reuse below the entry
 * points -- RACK's send-order boundaries and reorder window
 * (lib/tcp/tcp_rack.c), the undo arithmetic, the TIME_WAIT reuse rule
 * and the ISS a taken-over tuple starts from (tcp_tw_reusable,
 * tcp_tw_reuse_into, tcp_connect). Behaviour over whole exchanges is in
 * the scenario scripts (rack_*, tlp_repeat, sack_undo_*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_priv.h"

#define S 1000000ull /* 1 s in µs */

static struct tcp_out last;
static int nemit;

static void
emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	(void)st;
	(void)pcb;
	last = *out;
	nemit++;
}

static const struct tcp_ops ops = {.emit = emit};
static const uint8_t key[16] = {7};

/* A pcb in TIME_WAIT as the core leaves it, with timestamps. */
static void
tw_pcb(struct tcp_pcb *pcb, uint64_t last_ts_at)
{
	const struct tcp_tuple t = {0xc6120001u, 0xc6120002u, 40000, 80};
	tcp_pcb_init(pcb, &t, 1460);
	pcb->state = TCPS_TIME_WAIT;
	pcb->opt_ok = TCP_OPT_F_TS | TCP_OPT_F_SACK_OK;
	pcb->snd_max = 0xfffff000u; /* near the wrap: the ISS must wrap too */
	pcb->ts_recent = 123456;
	pcb->ts_recent_age = last_ts_at;
}

static void
test_tw_reuse_needs_one_second_since_the_last_timestamp(void **state)
{
	(void)state;
	struct tcp_pcb tw;
	tw_pcb(&tw, 10 * S);
	assert_false(tcp_tw_reusable(&tw, 10 * S));
	assert_false(tcp_tw_reusable(&tw, 11 * S - 1));
	assert_true(tcp_tw_reusable(&tw, 11 * S));
	/* A clock behind the stamp (another worker's view): not reusable. */
	assert_false(tcp_tw_reusable(&tw, 9 * S));
}

static void
test_tw_reuse_needs_timestamps_and_time_wait(void **state)
{
	(void)state;
	struct tcp_pcb tw;
	tw_pcb(&tw, 1 * S);
	tw.opt_ok = TCP_OPT_F_SACK_OK; /* no timestamps: PAWS cannot protect */
	assert_false(tcp_tw_reusable(&tw, 5 * S));
	tw_pcb(&tw, 1 * S);
	tw.state = TCPS_FIN_WAIT_2;
	assert_false(tcp_tw_reusable(&tw, 5 * S));
	tw_pcb(&tw, 0); /* no timestamp ever received */
	assert_false(tcp_tw_reusable(&tw, 5 * S));
}

static void
test_tw_reuse_iss_is_old_snd_nxt_plus_65537(void **state)
{
	(void)state;
	struct tcp_stack st;
	tcp_stack_init(&st, &ops, NULL, key, 0);
	struct tcp_pcb tw, pcb;
	tw_pcb(&tw, 1 * S);
	tcp_pcb_init(&pcb, &tw.tuple, 1460);
	tcp_tw_reuse_into(&pcb, &tw);
	assert_int_equal(pcb.ts_recent, 123456);
	assert_int_equal(pcb.ts_recent_age, 1 * S);
	nemit = 0;
	assert_int_equal(tcp_connect(&st, &pcb, 3 * S), 0);
	assert_int_equal(pcb.iss, (uint32_t)(0xfffff000u + 65535u + 2u));
	assert_int_equal(nemit, 1);
	assert_int_equal(last.seq, pcb.iss);
	assert_int_equal(last.flags, TCP_SYN);
	/* Without a takeover the ISS is RFC 6528's. */
	struct tcp_pcb fresh;
	tcp_pcb_init(&fresh, &tw.tuple, 1460);
	assert_int_equal(tcp_connect(&st, &fresh, 3 * S), 0);
	assert_int_equal(fresh.iss, tcp_isn(key, &tw.tuple, 3 * S));
}

/* An established SACK pcb with 10 segments of 1000 in flight. */
static void
flight_pcb(struct tcp_pcb *pcb)
{
	const struct tcp_tuple t = {1, 2, 3, 4};
	tcp_pcb_init(pcb, &t, 1000);
	pcb->state = TCPS_ESTABLISHED;
	pcb->opt_ok = TCP_OPT_F_SACK_OK;
	pcb->mss = 1000;
	pcb->snd_una = pcb->snd_nxt = 0x80000000u;
	pcb->snd_max = pcb->snd_nxt = pcb->snd_una + 10000;
	pcb->high_rxt = pcb->snd_una;
	pcb->srtt = 4000;
	pcb->rack_min_rtt = 4000;
	pcb->cwnd = 10000;
	tcp_rack_reset(pcb);
}

static void
sack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t l, uint32_t r, uint64_t now)
{
	struct tcp_seg seg = {.ack = pcb->snd_una, .opts = TCP_OPT_F_SACK, .sack_n = 1};
	seg.sack[0].left = pcb->snd_una + l;
	seg.sack[0].right = pcb->snd_una + r;
	tcp_sack_update(st, pcb, &seg);
	tcp_rack_update(st, pcb, &seg, now);
}

static void
test_rack_marks_by_send_order_after_the_reorder_window(void **state)
{
	(void)state;
	struct tcp_stack st;
	tcp_stack_init(&st, &ops, NULL, key, 0);
	struct tcp_pcb pcb;
	flight_pcb(&pcb);
	uint32_t una = pcb.snd_una;
	/* 3000:4000 SACKed: 0..3000 left before it; not lost until the
	 * window (min_rtt / 4 = 1 ms) has passed. */
	sack(&st, &pcb, 3000, 4000, 100);
	assert_int_equal(tcp_rack_reo_wnd(&pcb), 1000);
	assert_false(tcp_sack_is_lost(&pcb, una));
	assert_int_equal(pcb.t_reo, 1100);
	/* The next ACK after the window passed commits it (as the timer). */
	tcp_rack_update(&st, &pcb, &(struct tcp_seg){.ack = una}, 1100);
	assert_int_equal(pcb.t_reo, 0);
	assert_true(tcp_sack_is_lost(&pcb, una));
	assert_true(tcp_sack_is_lost(&pcb, una + 2000));
	/* Sent after the SACKed segment: not lost. */
	assert_false(tcp_sack_is_lost(&pcb, una + 4000));
	/* In recovery without reordering seen the window is 0. */
	pcb.flags |= TCP_PF_IN_RECOVERY;
	assert_int_equal(tcp_rack_reo_wnd(&pcb), 0);
	/* Reordering seen: min_rtt / 4 again, D-SACKs widen it up to SRTT. */
	pcb.rack_reord = true;
	assert_int_equal(tcp_rack_reo_wnd(&pcb), 1000);
	for (int i = 0; i < 10; i++)
		tcp_rack_dsack(&pcb);
	assert_int_equal(tcp_rack_reo_wnd(&pcb), 4000);
}

static void
test_rack_finds_a_lost_retransmission_by_its_mark(void **state)
{
	(void)state;
	struct tcp_stack st;
	tcp_stack_init(&st, &ops, NULL, key, 0);
	struct tcp_pcb pcb;
	flight_pcb(&pcb);
	pcb.flags |= TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY;
	uint32_t una = pcb.snd_una;
	/* SND.UNA's segment retransmitted when SND.MAX was una + 10000. */
	pcb.rxt_log[0].seq = una;
	pcb.rxt_log[0].mark = una + 10000;
	pcb.rxt_log_n = 1;
	pcb.high_rxt = una + 1000;
	uint32_t s;
	/* SACKs of data sent before it prove nothing. */
	sack(&st, &pcb, 1000, 10000, 10);
	assert_false(tcp_rack_next_rxt(&pcb, &s));
	assert_false(tcp_rack_rxt_lost(&pcb, una));
	/* Data sent after it (first sent at or above its mark) delivered. */
	pcb.snd_max = pcb.snd_nxt = una + 12000;
	sack(&st, &pcb, 11000, 12000, 20);
	assert_true(tcp_rack_next_rxt(&pcb, &s));
	assert_int_equal(s, una);
	assert_true(tcp_rack_rxt_lost(&pcb, una));
	/* A go-back-N pass (SND.NXT < SND.MAX): RACK is off. */
	pcb.snd_nxt = una;
	assert_false(tcp_rack_next_rxt(&pcb, &s));
}

static void
test_undo_by_dsack_needs_every_retransmission(void **state)
{
	(void)state;
	struct tcp_stack st;
	tcp_stack_init(&st, &ops, NULL, key, 0);
	struct tcp_pcb pcb;
	flight_pcb(&pcb);
	uint32_t una = pcb.snd_una;
	pcb.ssthresh = 20000;
	tcp_undo_arm(&pcb, 0, false);
	pcb.cwnd = pcb.ssthresh = 7000;
	pcb.flags |= TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY;
	tcp_undo_note_rxt(&pcb, una + 1000);
	pcb.undo_hi = una + 3000;
	tcp_undo_note_rxt(&pcb, una + 3000);
	/* A duplicate of data never retransmitted (network duplication). */
	tcp_undo_dsack(&st, &pcb, una + 5000, una + 6000);
	assert_int_equal(pcb.undo_rxt, 2);
	tcp_undo_dsack(&st, &pcb, una, una + 1000);
	assert_int_equal(pcb.cwnd, 7000);
	tcp_undo_dsack(&st, &pcb, una + 2000, una + 3000);
	assert_int_equal(st.stats.undo_dsack, 1);
	assert_int_equal(pcb.cwnd, 10000);
	assert_int_equal(pcb.ssthresh, 20000);
	assert_false(pcb.flags & TCP_PF_IN_RECOVERY);
	/* A spurious fast retransmit: reordering from now on. */
	assert_true(pcb.rack_reord);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tw_reuse_needs_one_second_since_the_last_timestamp),
	    cmocka_unit_test(test_tw_reuse_needs_timestamps_and_time_wait),
	    cmocka_unit_test(test_tw_reuse_iss_is_old_snd_nxt_plus_65537),
	    cmocka_unit_test(test_rack_marks_by_send_order_after_the_reorder_window),
	    cmocka_unit_test(test_rack_finds_a_lost_retransmission_by_its_mark),
	    cmocka_unit_test(test_undo_by_dsack_needs_every_retransmission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
