/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: the state table and tcp_set_state, SipHash-2-4 against the
 * reference vectors, the RFC 6528 ISN, the wire parser/writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp.h"

static void
test_states_use_linux_numbers(void **state)
{
	(void)state;
	/* include/net/tcp_states.h: the shm tcp_state word and ss use these. */
	assert_int_equal(TCPS_ESTABLISHED, 1);
	assert_int_equal(TCPS_SYN_SENT, 2);
	assert_int_equal(TCPS_SYN_RCVD, 3);
	assert_int_equal(TCPS_FIN_WAIT_1, 4);
	assert_int_equal(TCPS_FIN_WAIT_2, 5);
	assert_int_equal(TCPS_TIME_WAIT, 6);
	assert_int_equal(TCPS_CLOSED, 7);
	assert_int_equal(TCPS_CLOSE_WAIT, 8);
	assert_int_equal(TCPS_LAST_ACK, 9);
	assert_int_equal(TCPS_LISTEN, 10);
	assert_int_equal(TCPS_CLOSING, 11);
	for (int s = 1; s < TCPS__COUNT; s++)
		assert_int_equal(tcp_state_from_name(tcp_state_name((unsigned)s)), s);
	assert_int_equal(tcp_state_from_name("SYN_RECV"), TCPS_SYN_RCVD);
	assert_int_equal(tcp_state_from_name("time_wait"), TCPS_TIME_WAIT);
	assert_int_equal(tcp_state_from_name("BOGUS"), -1);
	assert_string_equal(tcp_state_name(99), "?");
}

static void
test_transition_table_follows_rfc9293_diagram(void **state)
{
	(void)state;
	static const struct {
		enum tcp_state a, b;
	} ok[] = {
	    {TCPS_CLOSED, TCPS_SYN_SENT},	 {TCPS_CLOSED, TCPS_LISTEN},
	    {TCPS_CLOSED, TCPS_SYN_RCVD},	 {TCPS_SYN_SENT, TCPS_ESTABLISHED},
	    {TCPS_SYN_SENT, TCPS_SYN_RCVD},	 {TCPS_SYN_RCVD, TCPS_ESTABLISHED},
	    {TCPS_SYN_RCVD, TCPS_FIN_WAIT_1},	 {TCPS_ESTABLISHED, TCPS_FIN_WAIT_1},
	    {TCPS_ESTABLISHED, TCPS_CLOSE_WAIT}, {TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2},
	    {TCPS_FIN_WAIT_1, TCPS_CLOSING},	 {TCPS_FIN_WAIT_1, TCPS_TIME_WAIT},
	    {TCPS_FIN_WAIT_2, TCPS_TIME_WAIT},	 {TCPS_CLOSE_WAIT, TCPS_LAST_ACK},
	    {TCPS_CLOSING, TCPS_TIME_WAIT},	 {TCPS_LAST_ACK, TCPS_CLOSED},
	    {TCPS_TIME_WAIT, TCPS_CLOSED},	 {TCPS_LISTEN, TCPS_CLOSED},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(tcp_state_transition_ok(ok[i].a, ok[i].b));
	/* Every state can be aborted to CLOSED. */
	for (int s = 1; s < TCPS__COUNT; s++)
		if (s != TCPS_CLOSED)
			assert_true(tcp_state_transition_ok(s, TCPS_CLOSED));
	static const struct {
		enum tcp_state a, b;
	} bad[] = {
	    {TCPS_CLOSED, TCPS_ESTABLISHED},	{TCPS_LISTEN, TCPS_ESTABLISHED},
	    {TCPS_ESTABLISHED, TCPS_TIME_WAIT}, {TCPS_CLOSE_WAIT, TCPS_FIN_WAIT_1},
	    {TCPS_FIN_WAIT_2, TCPS_CLOSING},	{TCPS_TIME_WAIT, TCPS_ESTABLISHED},
	    {TCPS_LAST_ACK, TCPS_TIME_WAIT},	{TCPS_SYN_SENT, TCPS_FIN_WAIT_1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(tcp_state_transition_ok(bad[i].a, bad[i].b));
	assert_false(tcp_state_transition_ok(TCPS__COUNT, TCPS_CLOSED));
}

static int events[TCP_EV__COUNT];
static int last_old_state;

static void
ev_cb(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg)
{
	(void)st;
	(void)pcb;
	events[ev]++;
	if (ev == TCP_EV_STATE)
		last_old_state = arg;
}

static void
emit_nop(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	(void)st;
	(void)pcb;
	(void)out;
}

static void
test_set_state_counts_and_raises_events(void **state)
{
	(void)state;
	static const struct tcp_ops ops = {.emit = emit_nop, .event = ev_cb};
	static const uint8_t key[16];
	struct tcp_stack st;
	struct tcp_pcb pcb = {0};
	struct tcp_tuple t = {1, 2, 3, 4};

	memset(events, 0, sizeof(events));
	tcp_stack_init(&st, &ops, NULL, key, 0);
	tcp_pcb_init(&pcb, &t, 1460);
	tcp_set_state(&st, &pcb, TCPS_SYN_SENT);
	assert_int_equal(st.stats.active_opens, 1);
	assert_int_equal(st.stats.state_cur[TCPS_SYN_SENT], 1);
	assert_int_equal(last_old_state, TCPS_CLOSED);
	tcp_set_state(&st, &pcb, TCPS_ESTABLISHED);
	assert_int_equal(st.stats.state_cur[TCPS_SYN_SENT], 0);
	assert_int_equal(st.stats.state_cur[TCPS_ESTABLISHED], 1);
	tcp_set_state(&st, &pcb, TCPS_ESTABLISHED); /* no-op */
	assert_int_equal(events[TCP_EV_STATE], 2);
	pcb.so_error = 104;
	tcp_set_state(&st, &pcb, TCPS_CLOSED);
	assert_int_equal(st.stats.estab_resets, 1);
	assert_int_equal(st.stats.state_cur[TCPS_ESTABLISHED], 0);
	assert_int_equal(events[TCP_EV_CLOSED], 1);
	assert_int_equal(st.stats.bad_transitions, 0);
	/* A transition outside the table is counted (and still made). */
	tcp_set_state(&st, &pcb, TCPS_TIME_WAIT);
	assert_int_equal(st.stats.bad_transitions, 1);
}

static void
test_siphash24_reference_vectors(void **state)
{
	(void)state;
	/* The paper's appendix A / the reference implementation's
	 * vectors.h: key 00..0f, message 00..(n-1). */
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(tcp_siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(tcp_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(tcp_siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(tcp_siphash24(key, msg, 63) == 0x958a324ceb064572ULL);
}

static void
test_isn_follows_the_4us_clock_and_the_tuple(void **state)
{
	(void)state;
	uint8_t k1[16] = {1}, k2[16] = {2};
	struct tcp_tuple a = {0xc6120001, 0xc6120002, 8080, 40000};
	struct tcp_tuple b = a;
	b.rport = 40001;
	uint64_t now = 123456789;

	uint32_t i0 = tcp_isn(k1, &a, now);
	/* Monotonic with the clock: +1 per 4 µs (RFC 6528 §3, M). */
	assert_int_equal(tcp_isn(k1, &a, now + 4), i0 + 1);
	assert_int_equal(tcp_isn(k1, &a, now + 4000000), i0 + 1000000);
	uint32_t prev = i0;
	for (uint64_t t = now; t < now + 1000000; t += 997) {
		uint32_t v = tcp_isn(k1, &a, t);
		assert_true(tcp_seq_geq(v, prev));
		prev = v;
	}
	/* Keyed by tuple and secret (F): neighbours differ. */
	assert_int_not_equal(tcp_isn(k1, &b, now), i0);
	assert_int_not_equal(tcp_isn(k2, &a, now), i0);
}

static void
test_parse_and_write_round_trip(void **state)
{
	(void)state;
	struct tcp_out o = {
	    .tuple = {0, 0, 1234, 80},
	    .seq = 0x01020304,
	    .ack = 0xa0b0c0d0,
	    .flags = TCP_SYN | TCP_ACK,
	    .wnd = 4096,
	    .opts = TCP_OPT_F_MSS | TCP_OPT_F_WSCALE | TCP_OPT_F_SACK_OK | TCP_OPT_F_TS,
	    .mss = 1460,
	    .wscale = 7,
	    .tsval = 11,
	    .tsecr = 22,
	};
	uint8_t b[80];
	uint32_t hl = tcp_write_hdr(b, &o);
	assert_int_equal(hl, tcp_hdr_len(&o));
	assert_int_equal(hl, 40);
	struct tcp_seg s;
	assert_int_equal(tcp_parse(b, hl + 10, &s), TCP_DROP_NONE);
	assert_int_equal(s.sport, 1234);
	assert_int_equal(s.dport, 80);
	assert_int_equal(s.seq, 0x01020304);
	assert_int_equal(s.ack, 0xa0b0c0d0);
	assert_int_equal(s.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s.wnd, 4096);
	assert_int_equal(s.hdr_len, 40);
	assert_int_equal(s.len, 10);
	assert_int_equal(s.opts, o.opts);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 7);
	assert_int_equal(s.tsval, 11);
	assert_int_equal(s.tsecr, 22);

	/* SACK blocks. */
	struct tcp_out q = {.opts = TCP_OPT_F_SACK, .sack_n = 2, .sack = {{100, 200}, {300, 400}}};
	hl = tcp_write_hdr(b, &q);
	assert_int_equal(tcp_parse(b, hl, &s), TCP_DROP_NONE);
	assert_int_equal(s.sack_n, 2);
	assert_int_equal(s.sack[1].left, 300);
	assert_int_equal(s.sack[1].right, 400);
}

static void
test_parse_rejects_malformed_headers(void **state)
{
	(void)state;
	uint8_t b[60] = {0};
	struct tcp_seg s;
	assert_int_equal(tcp_parse(b, 19, &s), TCP_DROP_HDR_SHORT);
	b[12] = 4 << 4; /* data offset 16 bytes */
	assert_int_equal(tcp_parse(b, 20, &s), TCP_DROP_HDR_DOFF);
	b[12] = 8 << 4; /* 32 bytes, only 24 present */
	assert_int_equal(tcp_parse(b, 24, &s), TCP_DROP_HDR_SHORT);
	/* Option with length 0. */
	b[20] = 2;
	b[21] = 0;
	assert_int_equal(tcp_parse(b, 32, &s), TCP_DROP_OPT_BAD);
	/* Option running past the header. */
	b[20] = 1;
	b[21] = 1;
	b[22] = 8;
	b[23] = 10; /* TS needs 10 bytes, 10 remain from 22: ok */
	assert_int_equal(tcp_parse(b, 32, &s), TCP_DROP_NONE);
	b[23] = 11;
	assert_int_equal(tcp_parse(b, 32, &s), TCP_DROP_OPT_BAD);
	/* Kind without a length byte at the very end. */
	memset(b + 20, 1, 12);
	b[31] = 2;
	assert_int_equal(tcp_parse(b, 32, &s), TCP_DROP_OPT_BAD);
	/* An MSS option of the wrong length is ignored (Linux). */
	memset(b + 20, 1, 12);
	b[20] = 2;
	b[21] = 3;
	b[22] = 5;
	assert_int_equal(tcp_parse(b, 32, &s), TCP_DROP_NONE);
	assert_false(s.opts & TCP_OPT_F_MSS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_states_use_linux_numbers),
	    cmocka_unit_test(test_transition_table_follows_rfc9293_diagram),
	    cmocka_unit_test(test_set_state_counts_and_raises_events),
	    cmocka_unit_test(test_siphash24_reference_vectors),
	    cmocka_unit_test(test_isn_follows_the_4us_clock_and_the_tuple),
	    cmocka_unit_test(test_parse_and_write_round_trip),
	    cmocka_unit_test(test_parse_rejects_malformed_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
