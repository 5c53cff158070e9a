/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 6 option machinery below the entry points (lib/tcp/tcp_opts.c):
 * the window-scale shift for a buffer, the option bytes on the wire
 * (write -> parse round trip, Linux's layout), PAWS across the 2^32 wrap
 * and the 24-day rule, the RFC 5961 challenge-ACK budgets, the socket
 * option setters' errors, the SYN-cookie encoding.
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

#define DAY (86400ull * 1000000ull)

static int nemit;

static void
emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	(void)st;
	(void)pcb;
	(void)out;
	nemit++;
}

static const struct tcp_ops ops = {.emit = emit};

static void
test_wscale_for_buffer(void **state)
{
	(void)state;
	assert_int_equal(tcp_wscale_for(0), 0);
	assert_int_equal(tcp_wscale_for(65535), 0);
	assert_int_equal(tcp_wscale_for(65536), 1);
	assert_int_equal(tcp_wscale_for(256 * 1024), 3); /* the shm ring */
	assert_int_equal(tcp_wscale_for(6 * 1024 * 1024), 7); /* Linux tcp_rmem[2] */
	assert_int_equal(tcp_wscale_for(UINT32_MAX), 14);    /* clamp, RFC 7323 §2.3 */
}

static void
test_options_round_trip(void **state)
{
	(void)state;
	struct tcp_out o = {
	    .tuple = {1, 2, 3, 4},
	    .flags = TCP_SYN | TCP_ACK,
	    .opts = TCP_OPT_F_MSS | TCP_OPT_F_TS | TCP_OPT_F_WSCALE | TCP_OPT_F_SACK_OK,
	    .mss = 1460,
	    .wscale = 7,
	    .tsval = 0xdeadbeef,
	    .tsecr = 0x01020304,
	};
	uint8_t b[TCP_HDR_MAX];
	uint32_t hl = tcp_write_hdr(b, &o);
	assert_int_equal(hl, 40); /* Linux's SYN-ACK: 20 + 20 option bytes */
	/* Linux's layout: MSS, SACK_OK+TS, NOP+WS. */
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0xde, 0xad,
				0xbe, 0xef, 1, 2, 3, 4, 1, 3, 3, 7};
	assert_memory_equal(b + 20, want, sizeof(want));
	struct tcp_seg s;
	assert_int_equal(tcp_parse(b, hl, &s), TCP_DROP_NONE);
	assert_int_equal(s.opts, o.opts);
	assert_int_equal(s.tsval, 0xdeadbeef);
	assert_int_equal(s.tsecr, 0x01020304);
	assert_int_equal(s.wscale, 7);
	/* Data segment: NOP NOP TS = 12 bytes. */
	struct tcp_out d = {.flags = TCP_ACK, .opts = TCP_OPT_F_TS, .tsval = 5, .tsecr = 6};
	assert_int_equal(tcp_hdr_len(&d), 32);
}

static void
test_paws_wrap_window_and_24_days(void **state)
{
	(void)state;
	struct tcp_pcb p;
	memset(&p, 0, sizeof(p));
	p.opt_ok = TCP_OPT_F_TS;
	p.ts_recent = 0xfffffff0u; /* just before the wrap */
	p.ts_recent_age = 10 * DAY;
	struct tcp_seg s = {.flags = TCP_ACK, .opts = TCP_OPT_F_TS};
	uint64_t now = 10 * DAY + 1000;
	s.tsval = 0x10; /* after the wrap: newer */
	assert_false(tcp_paws_reject(&p, &s, now));
	s.tsval = 0xffffffefu; /* one older: Linux's tolerance */
	assert_false(tcp_paws_reject(&p, &s, now));
	s.tsval = 0xffffffeeu; /* two older */
	assert_true(tcp_paws_reject(&p, &s, now));
	s.flags = TCP_RST | TCP_ACK; /* an RST is never a PAWS drop */
	assert_false(tcp_paws_reject(&p, &s, now));
	s.flags = TCP_ACK;
	s.opts = 0; /* no timestamp on the segment: not checked (Linux) */
	assert_false(tcp_paws_reject(&p, &s, now));
	s.opts = TCP_OPT_F_TS;
	/* TS.Recent older than 24 days is not trusted (RFC 7323 §5.5). */
	assert_true(tcp_paws_reject(&p, &s, 10 * DAY + 24 * DAY));
	assert_false(tcp_paws_reject(&p, &s, 10 * DAY + 24 * DAY + 1));
	/* TS not negotiated: never. */
	p.opt_ok = 0;
	assert_false(tcp_paws_reject(&p, &s, now));
}

static void
test_ts_recent_update_rule(void **state)
{
	(void)state;
	struct tcp_pcb p;
	memset(&p, 0, sizeof(p));
	p.opt_ok = TCP_OPT_F_TS;
	p.ts_recent = 100;
	p.ts_last_ack = 5000;
	struct tcp_seg s = {.flags = TCP_ACK, .opts = TCP_OPT_F_TS, .seq = 5000, .tsval = 200};
	tcp_ts_update(&p, &s, 1);
	assert_int_equal(p.ts_recent, 200);
	s.seq = 5001; /* beyond Last.ACK.sent */
	s.tsval = 300;
	tcp_ts_update(&p, &s, 2);
	assert_int_equal(p.ts_recent, 200);
	s.seq = 4000; /* older TSval never moves it back */
	s.tsval = 150;
	tcp_ts_update(&p, &s, 3);
	assert_int_equal(p.ts_recent, 200);
}

static void
test_challenge_ack_budgets(void **state)
{
	(void)state;
	static const uint8_t key[16] = {9};
	struct tcp_stack st;
	struct tcp_conf c;
	tcp_conf_default(&c);
	assert_int_equal(c.challenge_ack_limit, 1000);
	c.challenge_ack_limit = 100;
	tcp_stack_init(&st, &ops, &c, key, 0);
	static struct tcp_pcb pcbs[400];
	const struct tcp_tuple t = {1, 2, 3, 4};
	for (int i = 0; i < 400; i++) {
		tcp_pcb_init(&pcbs[i], &t, 1460);
		pcbs[i].state = TCPS_ESTABLISHED;
	}
	/* Per pcb: one per 500 ms. */
	uint64_t now = 5000000;
	nemit = 0;
	assert_true(tcp_send_challenge_ack(&st, &pcbs[0], now));
	assert_false(tcp_send_challenge_ack(&st, &pcbs[0], now + 499999));
	assert_true(tcp_send_challenge_ack(&st, &pcbs[0], now + 500000));
	/* Stack-wide: within one second, between limit/2 and 3 limit/2 in
	 * total (randomised budget), however many pcbs ask. */
	now = 7000000;
	unsigned sent = 0;
	for (int i = 1; i < 400; i++)
		sent += tcp_send_challenge_ack(&st, &pcbs[i], now + (uint64_t)i);
	assert_in_range(sent, 50, 149);
	assert_int_equal(st.stats.challenge_acks, 2 + sent);
	assert_int_equal(st.stats.challenge_acks_skipped, 1 + 399 - sent);
	assert_int_equal((unsigned)nemit, 2 + sent);
	/* Next second: a new budget. */
	assert_true(tcp_send_challenge_ack(&st, &pcbs[0], 8000000));
}

static void
test_setsockopt_errors(void **state)
{
	(void)state;
	static const uint8_t key[16] = {9};
	struct tcp_stack st;
	tcp_stack_init(&st, &ops, NULL, key, 0);
	struct tcp_pcb p;
	const struct tcp_tuple t = {1, 2, 3, 4};
	tcp_pcb_init(&p, &t, 1460);
	assert_int_equal(tcp_set_keepidle(&st, &p, 0, 0), -EINVAL);
	assert_int_equal(tcp_set_keepidle(&st, &p, 32768, 0), -EINVAL);
	assert_int_equal(tcp_set_keepidle(&st, &p, 32767, 0), 0);
	assert_int_equal(tcp_set_keepintvl(&p, 0), -EINVAL);
	assert_int_equal(tcp_set_keepintvl(&p, 1), 0);
	assert_int_equal(tcp_set_keepcnt(&p, 0), -EINVAL);
	assert_int_equal(tcp_set_keepcnt(&p, 128), -EINVAL);
	assert_int_equal(tcp_set_keepcnt(&p, 127), 0);
	assert_int_equal(tcp_set_user_timeout(&p, -1), -EINVAL);
	assert_int_equal(tcp_set_user_timeout(&p, 0), 0);
	/* SO_KEEPALIVE on a CLOSED pcb arms nothing; it is armed when the
	 * connection establishes. */
	assert_int_equal(tcp_set_keepalive(&st, &p, true, 0), 0);
	assert_int_equal(p.t_keep, 0);
	assert_int_equal(st.wheel.count, 0);
	/* Defaults as Linux. */
	assert_int_equal(st.conf.keepalive_time, 7200ull * 1000000);
	assert_int_equal(st.conf.keepalive_intvl, 75ull * 1000000);
	assert_int_equal(st.conf.keepalive_probes, 9);
}

static void
test_syncookie_encoding(void **state)
{
	(void)state;
	static const uint8_t key[16] = {3, 1, 4};
	const struct tcp_tuple t = {0xc6120001u, 0xc6120002u, 80, 40000};
	const uint64_t min = 60000000ull;
	uint64_t now = 1000 * min + 5;
	for (unsigned idx = 0; idx < 4; idx++) {
		uint32_t c = tcp_syncookie_make(key, &t, 12345, idx, now);
		assert_int_equal(tcp_syncookie_check(key, &t, 12345, c, now), (int)idx);
		/* Still valid in the next minute, not two minutes on (Linux
		 * MAX_SYNCOOKIE_AGE 2). */
		assert_int_equal(tcp_syncookie_check(key, &t, 12345, c, now + min), (int)idx);
		assert_int_equal(tcp_syncookie_check(key, &t, 12345, c, now + 2 * min), -1);
		/* Another peer ISN, port, key or a flipped bit: invalid (the
		 * index check makes a random pass 4 / 2^24 likely). The peer
		 * ISN is added linearly, as Linux: one off would land on the
		 * neighbouring index, so the test moves it by more. */
		assert_int_equal(tcp_syncookie_check(key, &t, 12345 + 1000, c, now), -1);
		struct tcp_tuple t2 = t;
		t2.rport++;
		assert_int_equal(tcp_syncookie_check(key, &t2, 12345, c, now), -1);
		static const uint8_t key2[16] = {2};
		assert_int_equal(tcp_syncookie_check(key2, &t, 12345, c, now), -1);
		assert_int_equal(tcp_syncookie_check(key, &t, 12345, c ^ 0x100, now), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wscale_for_buffer),
	    cmocka_unit_test(test_options_round_trip),
	    cmocka_unit_test(test_paws_wrap_window_and_24_days),
	    cmocka_unit_test(test_ts_recent_update_rule),
	    cmocka_unit_test(test_challenge_ack_budgets),
	    cmocka_unit_test(test_setsockopt_errors),
	    cmocka_unit_test(test_syncookie_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
