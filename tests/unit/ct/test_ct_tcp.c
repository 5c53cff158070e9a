/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP connection tracking (lib/ct ct_tcp.c), transition by transition: for
 * every state a connection is driven into by real segments (a client and
 * a server with their own sequence numbers), then every flag class is sent
 * from each direction, in window, and the state that follows must be
 * Linux's (nf_conntrack_proto_tcp.c tcp_conntracks, copied here as the
 * reference, independently of lib/ct's table). Then the window checks:
 * segments outside what the peers allowed are INVALID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_tcp.h>

#include "ct.h"

#define FIN RTE_TCP_FIN_FLAG
#define SYN RTE_TCP_SYN_FLAG
#define RST RTE_TCP_RST_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define O CT_DIR_ORIG
#define R CT_DIR_REPLY

enum { sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2, sIG = CT_TCP_IGNORE, sIV = CT_TCP_INVALID };

/* Linux's table, [direction][class][state] as the kernel writes it. */
static const uint8_t linux_table[2][6][10] = {
	{
		/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
		/*syn*/ {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
		/*synack*/ {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
		/*fin*/ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
		/*ack*/ {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
		/*rst*/ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
		/*none*/ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
	},
	{
		/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
		/*syn*/ {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
		/*synack*/ {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
		/*fin*/ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
		/*ack*/ {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
		/*rst*/ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
		/*none*/ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
	},
};

/* ---- a connection between a client (ORIG) and a server (REPLY) ---- */

struct conn {
	struct ct_entry e;
	uint32_t isn[2]; /* initial sequence numbers */
	uint32_t nxt[2]; /* next sequence number each side sends */
};

static struct ct_tcp_seg
seg(const struct conn *c, int dir, uint8_t flags, uint32_t len)
{
	struct ct_tcp_seg s = {
		.seq = (flags & SYN) ? c->isn[dir] : c->nxt[dir],
		.ack = (flags & ACK) ? c->nxt[!dir] : 0,
		.win = 64240,
		.flags = flags,
		.wscale = (flags & SYN) ? 7 : -1,
		.len = len,
	};
	s.sack = s.ack;
	return s;
}

/* Send a segment the connection accepts: track it, advance the sender. */
static unsigned int
send_seg(struct conn *c, int dir, uint8_t flags, uint32_t len)
{
	struct ct_tcp_seg s = seg(c, dir, flags, len);
	unsigned int next = ct_tcp_track(&c->e, dir, &s);
	if (next < CT_TCP_NB_STATES) {
		c->e.state = (uint8_t)next;
		c->nxt[dir] = s.seq + len + ((flags & SYN) ? 1 : 0) + ((flags & FIN) ? 1 : 0);
	}
	return next;
}

static void
open_syn(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->isn[O] = 1000000;
	c->isn[R] = 3000000000u; /* wraps past 2^32 on the way */
	struct ct_tcp_seg s = seg(c, O, SYN, 0);
	assert_true(ct_tcp_new(&c->e, &s, true));
	c->nxt[O] = c->isn[O] + 1;
	assert_int_equal(c->e.state, sSS);
}

/* Drive a fresh connection into `state` with real segments. */
static void
drive(struct conn *c, unsigned int state)
{
	open_syn(c);
	switch (state) {
	case sSS:
		return;
	case sS2:
		assert_int_equal(send_seg(c, R, SYN, 0), sS2); /* simultaneous open */
		return;
	default:
		break;
	}
	assert_int_equal(send_seg(c, R, SYN | ACK, 0), sSR);
	if (state == sSR)
		return;
	assert_int_equal(send_seg(c, O, ACK, 0), sES);
	if (state == sES)
		return;
	if (state == sCL) {
		assert_int_equal(send_seg(c, O, RST | ACK, 0), sCL);
		return;
	}
	assert_int_equal(send_seg(c, O, FIN | ACK, 0), sFW);
	if (state == sFW)
		return;
	assert_int_equal(send_seg(c, R, ACK, 0), sCW);
	if (state == sCW)
		return;
	assert_int_equal(send_seg(c, R, FIN | ACK, 0), sLA);
	if (state == sLA)
		return;
	assert_int_equal(send_seg(c, O, ACK, 0), sTW);
}

static const uint8_t class_flags[6] = {
	[CT_TCP_C_SYN] = SYN,
	[CT_TCP_C_SYNACK] = SYN | ACK,
	[CT_TCP_C_FIN] = FIN | ACK,
	[CT_TCP_C_ACK] = ACK,
	[CT_TCP_C_RST] = RST | ACK,
	[CT_TCP_C_NONE] = 0,
};
static const char *const class_names[6] = {"SYN", "SYN/ACK", "FIN", "ACK", "RST", "none"};

/* ---- the table ---- */

/* lib/ct's table is Linux's, cell by cell. */
static void
test_table_is_linux_table(void **state)
{
	(void)state;
	for (int s = 0; s < CT_TCP_NB_STATES; s++)
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < CT_TCP_C_NB; k++)
				if (ct_tcp_table[s][d][k] != linux_table[d][k][s])
					fail_msg("%s %s %s: %s, Linux says %s", ct_tcp_state_name(s),
						 d ? "REPLY" : "ORIG", class_names[k],
						 ct_tcp_state_name(ct_tcp_table[s][d][k]),
						 ct_tcp_state_name(linux_table[d][k][s]));
}

/* Every transition out of every state a connection can reach, driven by
 * in-window segments (sNO is the new-entry case, tested below). */
static void
test_every_transition_from_every_state(void **state)
{
	(void)state;
	unsigned int checked = 0;
	for (unsigned int s = sSS; s < CT_TCP_NB_STATES; s++)
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < CT_TCP_C_NB; k++) {
				struct conn c;
				drive(&c, s);
				struct ct_tcp_seg sg = seg(&c, d, class_flags[k], 0);
				unsigned int got = ct_tcp_track(&c.e, d, &sg);
				unsigned int want = linux_table[d][k][s];
				if (got != want)
					fail_msg("%s + %s from %s: %s, expected %s",
						 ct_tcp_state_name(s), class_names[k],
						 d ? "REPLY" : "ORIG", ct_tcp_state_name(got),
						 ct_tcp_state_name(want));
				checked++;
			}
	assert_int_equal(checked, 9 * 2 * 6);
}

/* A new entry: only a SYN opens one, or an ACK when picking up
 * connections mid-stream (tcp_loose). */
static void
test_new_connection_starts_with_syn_or_loose_ack(void **state)
{
	(void)state;
	for (int k = 0; k < CT_TCP_C_NB; k++) {
		struct ct_entry e;
		struct ct_tcp_seg s = {.seq = 1, .ack = 1, .win = 100, .flags = class_flags[k],
				       .wscale = -1};
		bool loose = ct_tcp_new(&e, &s, true), strict = ct_tcp_new(&e, &s, false);
		assert_int_equal(loose, k == CT_TCP_C_SYN || k == CT_TCP_C_ACK);
		assert_int_equal(strict, k == CT_TCP_C_SYN);
	}
}

static void
test_a_full_connection_walks_the_states(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sTW);
	/* Data both ways on the way would have been fine: check it. */
	drive(&c, sES);
	assert_int_equal(send_seg(&c, O, ACK, 1000), sES);
	assert_int_equal(send_seg(&c, R, ACK, 30000), sES);
	assert_int_equal(send_seg(&c, O, ACK, 0), sES);
	assert_int_equal(send_seg(&c, R, FIN | ACK, 0), sFW);
	assert_int_equal(send_seg(&c, O, FIN | ACK, 0), sLA);
	assert_int_equal(send_seg(&c, R, ACK, 0), sTW);
}

static void
test_syn_in_time_wait_reopens(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sTW);
	c.isn[O] += 100000; /* a new incarnation */
	struct ct_tcp_seg s = seg(&c, O, SYN, 0);
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sSS); /* the caller starts a new entry */
}

static void
test_bad_flag_combinations_are_invalid(void **state)
{
	(void)state;
	static const uint8_t bad[] = {SYN | FIN, SYN | RST, FIN, FIN | RST | ACK, 0, SYN | FIN | ACK};
	for (size_t i = 0; i < sizeof(bad); i++) {
		struct conn c;
		drive(&c, sES);
		struct ct_tcp_seg s = seg(&c, O, bad[i], 0);
		assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
		assert_int_equal(c.e.state, sES); /* unchanged */
	}
}

/* ---- the window checks ---- */

static void
test_data_beyond_the_window_is_invalid(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	/* The server allowed 64240 << 7 bytes from its last ack; far beyond. */
	struct ct_tcp_seg s = seg(&c, O, ACK, 100);
	s.seq += 64240u << 8;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
	/* Just inside: fine. */
	s = seg(&c, O, ACK, 100);
	s.seq += 60000;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sES);
}

static void
test_old_data_more_than_a_window_back_is_invalid(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	for (int i = 0; i < 10; i++)
		send_seg(&c, O, ACK, 60000);
	struct ct_tcp_seg s = seg(&c, O, ACK, 100);
	s.seq -= 20000000; /* ends far before what was sent, minus a window */
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
	/* A retransmission of recent data is fine. */
	s = seg(&c, O, ACK, 100);
	s.seq -= 60000;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sES);
}

static void
test_acking_unsent_data_is_invalid(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	struct ct_tcp_seg s = seg(&c, O, ACK, 0);
	s.ack += 5000; /* the server sent nothing past nxt */
	s.sack = s.ack;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
}

static void
test_ack_too_far_behind_is_invalid(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	struct ct_tcp_seg s = seg(&c, O, ACK, 0);
	s.ack -= 1u << 25; /* more than MAXACKWINDOW (the client's largest window) behind */
	s.sack = s.ack;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
}

static void
test_reset_outside_the_window_is_invalid(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	struct ct_tcp_seg s = seg(&c, R, RST, 0);
	s.seq += 1u << 30; /* a blind reset (RFC 5961) */
	assert_int_equal(ct_tcp_track(&c.e, R, &s), sIV);
	assert_int_equal(c.e.state, sES);
	s = seg(&c, R, RST, 0);
	assert_int_equal(ct_tcp_track(&c.e, R, &s), sCL);
}

static void
test_window_scaling_applies_after_the_handshake(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES); /* both sides offered scale 7 */
	assert_int_equal(c.e.tcp[O].scale, 7);
	assert_int_equal(c.e.tcp[R].scale, 7);
	/* So far the server advertised only its SYN/ACK's window, which is
	 * never scaled: 4 MB ahead is out. */
	struct ct_tcp_seg s = seg(&c, O, ACK, 1000);
	s.seq += 4u << 20;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sIV);
	/* Once it advertises 64240 << 7 = 8 MB, it is in. */
	assert_int_equal(send_seg(&c, R, ACK, 0), sES);
	s = seg(&c, O, ACK, 1000);
	s.seq += 4u << 20;
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sES);
}

static void
test_no_scaling_unless_both_offer_it(void **state)
{
	(void)state;
	struct conn c;
	open_syn(&c);
	struct ct_tcp_seg s = seg(&c, R, SYN | ACK, 0);
	s.wscale = -1; /* the server does not scale */
	assert_int_equal(ct_tcp_track(&c.e, R, &s), sSR);
	assert_int_equal(c.e.tcp[O].scale, 0);
	assert_int_equal(c.e.tcp[R].scale, 0);
}

static void
test_mid_stream_pickup_is_liberal(void **state)
{
	(void)state;
	struct ct_entry e;
	struct ct_tcp_seg s = {.seq = 5000, .ack = 7000, .sack = 7000, .win = 100, .flags = ACK,
			       .wscale = -1, .len = 10};
	assert_true(ct_tcp_new(&e, &s, true));
	assert_int_equal(e.state, sES);
	/* Nothing is known of the windows: not checked. */
	s.seq += 1u << 30;
	assert_int_equal(ct_tcp_track(&e, O, &s), sES);
}

static void
test_sack_edges_count_as_acknowledged(void **state)
{
	(void)state;
	struct conn c;
	drive(&c, sES);
	send_seg(&c, R, ACK, 3000);
	struct ct_tcp_seg s = seg(&c, O, ACK, 0);
	s.ack -= 2000;	   /* a hole */
	s.sack = s.ack + 2000; /* the block after it */
	assert_int_equal(ct_tcp_track(&c.e, O, &s), sES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_linux_table),
		cmocka_unit_test(test_every_transition_from_every_state),
		cmocka_unit_test(test_new_connection_starts_with_syn_or_loose_ack),
		cmocka_unit_test(test_a_full_connection_walks_the_states),
		cmocka_unit_test(test_syn_in_time_wait_reopens),
		cmocka_unit_test(test_bad_flag_combinations_are_invalid),
		cmocka_unit_test(test_data_beyond_the_window_is_invalid),
		cmocka_unit_test(test_old_data_more_than_a_window_back_is_invalid),
		cmocka_unit_test(test_acking_unsent_data_is_invalid),
		cmocka_unit_test(test_ack_too_far_behind_is_invalid),
		cmocka_unit_test(test_reset_outside_the_window_is_invalid),
		cmocka_unit_test(test_window_scaling_applies_after_the_handshake),
		cmocka_unit_test(test_no_scaling_unless_both_offer_it),
		cmocka_unit_test(test_mid_stream_pickup_is_liberal),
		cmocka_unit_test(test_sack_edges_count_as_acknowledged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
