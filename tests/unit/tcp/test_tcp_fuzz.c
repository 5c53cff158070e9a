/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Robustness: seeded random segments (flags, sequence and ack numbers
 * near and far from the window, lengths, windows, options bytes) thrown
 * at a listener and at its connections in every state, interleaved with
 * app calls and time. After every step the pcb's invariants must hold;
 * under the ASan/UBSan build this also checks memory safety. The seed is
 * printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_priv.h"

#define RING 4096u
#define STEPS 1000000

static uint64_t rng;
static struct tcp_stack st;
static struct tcp_listen lst;
static struct tcp_pcb pcb;
static bool pcb_used;
static uint8_t rbuf[RING], sbuf[RING];
static uint32_t readable;
static uint8_t payload[2048];

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
emit(struct tcp_stack *s, struct tcp_pcb *p, const struct tcp_out *o)
{
	(void)s;
	uint8_t h[TCP_HDR_MAX];
	assert_true(tcp_write_hdr(h, o) <= TCP_HDR_MAX);
	if (o->len > 0) {
		/* Only bytes the app queued are ever sent. */
		assert_non_null(p);
		assert_true(o->data_off + o->len <= p->snd.len);
	}
}

static void
copy_in(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len)
{
	assert_true(off + len <= seg->len);
	assert_true((uint8_t *)dst >= rbuf && (uint8_t *)dst + len <= rbuf + RING);
	memcpy(dst, payload + off, len);
}

static void
rcv_ready(struct tcp_stack *s, struct tcp_pcb *p, uint32_t n)
{
	(void)s;
	(void)p;
	readable += n;
}

static void
snd_acked(struct tcp_stack *s, struct tcp_pcb *p, uint32_t n)
{
	(void)s;
	(void)p;
	(void)n;
}

static void
event(struct tcp_stack *s, struct tcp_pcb *p, enum tcp_event ev, int arg)
{
	(void)s;
	(void)arg;
	if (ev == TCP_EV_ACCEPT) {
		p->rcv.data = rbuf;
		p->rcv.size = RING;
		p->rcv.tail = 0;
		p->snd.data = sbuf;
		p->snd.size = RING;
		lst.acceptq_len--;
		readable = 0;
	}
}

static struct tcp_pcb *
pcb_alloc(struct tcp_stack *s, struct tcp_listen *l, const struct tcp_tuple *t)
{
	(void)s;
	(void)l;
	(void)t;
	if (pcb_used && pcb.state != TCPS_CLOSED)
		return NULL;
	pcb_used = true;
	readable = 0; /* a new connection: nothing of the old one is readable */
	return &pcb;
}

static const struct tcp_ops ops = {
    .emit = emit,
    .copy_in = copy_in,
    .rcv_ready = rcv_ready,
    .snd_acked = snd_acked,
    .event = event,
    .pcb_alloc = pcb_alloc,
};

static void
check_invariants(void)
{
	const struct tcp_pcb *p = &pcb;
	if (!pcb_used || p->state == TCPS_CLOSED)
		return;
	assert_true(tcp_seq_leq(p->snd_una, p->snd_nxt));
	assert_true(tcp_seq_leq(p->snd_nxt, p->snd_max));
	assert_true(p->snd_max - p->snd_una <= p->snd.len + 2); /* data + SYN/FIN */
	assert_true(p->rcv.space <= RING);
	/* Bytes are either free room or readable, never lost or doubled. */
	if (p->rcv.data != NULL)
		assert_int_equal(p->rcv.space + readable, RING);
	/* The advertised right edge never runs past the room the app left. */
	if (tcp_seq_gt(p->rcv_adv, p->rcv_nxt))
		assert_true(p->rcv_adv - p->rcv_nxt <= p->rcv.space);
	assert_true(readable <= RING);
	assert_true(p->ooo_n <= TCP_OOO_MAX);
	for (unsigned i = 0; i < p->ooo_n; i++) {
		assert_true(tcp_seq_lt(p->ooo[i].start, p->ooo[i].end));
		assert_true(tcp_seq_gt(p->ooo[i].start, p->rcv_nxt));
		/* Held data lies within the room the app left. */
		assert_true(tcp_seq_leq(p->ooo[i].end, p->rcv_nxt + p->rcv.space));
		if (i > 0)
			assert_true(tcp_seq_lt(p->ooo[i - 1].end, p->ooo[i].start));
	}
	if (!(p->mss >= TCP_MIN_MSS && p->mss <= p->adv_mss))
		print_message("mss %u adv %u state %u opt %x pmtu %u\n", p->mss, p->adv_mss, p->state, p->opt_ok, p->pmtu);
	assert_true(p->mss >= TCP_MIN_MSS && p->mss <= p->adv_mss);
	assert_true(p->cwnd >= p->mss || p->state == TCPS_SYN_RCVD || p->state == TCPS_SYN_SENT);
	/* The SACK scoreboard: sorted, disjoint, inside the flight, and
	 * sacked_out its size. */
	uint32_t sacked = 0;
	for (unsigned i = 0; i < p->sb_n; i++) {
		assert_true(tcp_seq_lt(p->sb[i].left, p->sb[i].right));
		assert_true(tcp_seq_geq(p->sb[i].left, p->snd_una));
		assert_true(tcp_seq_leq(p->sb[i].right, p->snd_max));
		if (i > 0)
			assert_true(tcp_seq_lt(p->sb[i - 1].right, p->sb[i].left));
		sacked += p->sb[i].right - p->sb[i].left;
	}
	assert_int_equal(sacked, p->sacked_out);
	assert_true(p->snd_wscale <= TCP_MAX_WSCALE && p->rcv_wscale <= TCP_MAX_WSCALE);
	/* Armed deadlines are in the wheel exactly once. */
	assert_true(tcp_tnode_linked(&p->tnode) == (tcp_next_deadline(p) != 0));
}

/* A sequence number near something interesting, or anywhere. */
static uint32_t
near(uint32_t base)
{
	switch (rnd() % 5) {
	case 0:
	case 4:
		return base;
	case 1:
		return base + rnd() % 3000;
	case 2:
		return base - rnd() % 3000;
	default:
		return rnd();
	}
}

static void
test_random_segments_keep_invariants(void **state)
{
	(void)state;
	static const uint8_t key[16] = {9};
	const char *env = getenv("TCP_FUZZ_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x5eed;
	struct tcp_conf conf;
	uint64_t now = 1000000;
	uint32_t peer_isn = 1000;

	print_message("seed 0x%llx (TCP_FUZZ_SEED to repeat)\n", (unsigned long long)seed);
	rng = seed * 0x9e3779b97f4a7c15ULL | 1;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	tcp_conf_default(&conf);
	conf.syn_retries = conf.synack_retries = conf.retries2 = 3;
	conf.msl2 = 500000;
	conf.ooo_max = 8;
	conf.ecn = 1;
	tcp_stack_init(&st, &ops, &conf, key, now);
	lst = (struct tcp_listen){
	    .local = {1, 0, 80, 0}, .backlog = 4, .adv_mss = 1460, .rcv_space = RING};
	struct tcp_tuple t = {1, 2, 80, 1234};

	for (int step = 0; step < STEPS; step++) {
		uint32_t r = rnd() % 100;
		/* Half the walk with SYN cookies always on: cookie SYN-ACKs,
		 * random ACKs checked as cookies. */
		st.conf.syncookies = (step / 5000) % 2 ? 2 : 1;
		if (r < 3) {
			now += rnd() % 2000000; /* time passes, timers fire */
			tcp_stack_timers(&st, now);
		} else if (r < 6 && pcb_used && pcb.snd.data != NULL) {
			uint32_t room = RING - pcb.snd.len;
			if (!tcp_has(&pcb, TCP_PF_SND_SHUT))
				pcb.snd.len += rnd() % (room + 1);
			tcp_output(&st, &pcb, now);
		} else if (r < 8 && pcb_used && readable > 0) {
			uint32_t n = rnd() % (readable + 1);
			readable -= n;
			tcp_recvd(&st, &pcb, n, now);
		} else if (r < 9 && (!pcb_used || pcb.state == TCPS_CLOSED) && rnd() % 4 == 0) {
			/* An active open instead of waiting for a SYN. */
			tcp_pcb_init(&pcb, &t, 1460);
			pcb.rcv = (struct tcp_rcvbuf){rbuf, RING, 0, RING};
			pcb.snd = (struct tcp_sndbuf){.data = sbuf, .size = RING};
			pcb_used = true;
			readable = 0;
			assert_int_equal(tcp_connect(&st, &pcb, now), 0);
			peer_isn = rnd();
		} else if (r < 9 && pcb_used) {
			switch (rnd() % 8) {
			case 4:
				tcp_set_keepalive(&st, &pcb, rnd() & 1, now);
				tcp_set_keepidle(&st, &pcb, 1 + (int)(rnd() % 3), now);
				tcp_set_keepintvl(&pcb, 1);
				break;
			case 5:
				tcp_set_user_timeout(&pcb, (int)(rnd() % 3000));
				break;
			case 6:
				tcp_pmtu_update(&st, &pcb, near(pcb.snd_una), (uint32_t)(rnd() % 1600),
						now);
				break;
			case 7:
				tcp_set_congestion(&st, &pcb, rnd() & 1 ? "reno" : "cubic", now);
				break;
			case 0:
				tcp_shutdown_wr(&st, &pcb, now);
				break;
			case 1:
				tcp_close(&st, &pcb, readable, now);
				break;
			case 2:
				tcp_abort(&st, &pcb, now);
				break;
			default:
				tcp_set_nodelay(&st, &pcb, rnd() & 1, now);
				break;
			}
		} else {
			/* A segment from the peer. */
			struct tcp_out o = {.tuple = {2, 1, 1234, 80}};
			static const uint8_t fl[] = {TCP_SYN,		TCP_ACK, TCP_ACK | TCP_PSH,
						     TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK,
						     TCP_SYN | TCP_ACK};
			o.flags = rnd() % 8 == 0 ? (uint8_t)rnd() : fl[rnd() % sizeof(fl)];
			uint32_t rn = pcb_used ? pcb.rcv_nxt : peer_isn;
			o.seq = near(rn);
			if (pcb_used && rnd() % 2 == 0) /* a plausible ACK */
				o.ack = pcb.snd_una + rnd() % (pcb.snd_max - pcb.snd_una + 1);
			else
				o.ack = near(pcb_used ? pcb.snd_max : 0);
			o.wnd = rnd() % 3 == 0 ? 0 : (uint16_t)rnd();
			if (rnd() % 4 == 0) {
				o.opts = TCP_OPT_F_MSS;
				o.mss = (uint16_t)rnd();
			}
			/* Issue 6 options: window scale / SACK-permitted (on
			 * SYNs mostly), timestamps near TS.Recent or anywhere,
			 * SACK blocks near the flight, ECN bits and CE marks. */
			if (rnd() % 3 == 0) {
				o.opts |= TCP_OPT_F_WSCALE | TCP_OPT_F_SACK_OK;
				o.wscale = (uint8_t)(rnd() % 17);
			}
			if (rnd() % 2 == 0) {
				o.opts |= TCP_OPT_F_TS;
				o.tsval = rnd() % 4 ? pcb.ts_recent + (uint32_t)(rnd() % 7) - 3
						    : (uint32_t)rnd();
				o.tsecr = rnd() % 2 ? tcp_ts_now(&pcb, now) - (uint32_t)(rnd() % 50)
						    : (uint32_t)rnd();
			}
			if (pcb_used && rnd() % 3 == 0) {
				o.opts |= TCP_OPT_F_SACK;
				o.sack_n = (uint8_t)(1 + rnd() % 3);
				for (unsigned b = 0; b < o.sack_n; b++) {
					uint32_t l = near(pcb.snd_una) + (uint32_t)(rnd() % 8000);
					o.sack[b].left = l;
					o.sack[b].right = l + (uint32_t)(rnd() % 4000);
				}
			}
			if (rnd() % 8 == 0)
				o.flags |= rnd() % 2 ? TCP_ECE : TCP_ECE | TCP_CWR;
			uint8_t h[TCP_HDR_MAX];
			uint32_t hl = tcp_write_hdr(h, &o);
			if (rnd() % 16 == 0) /* garbage options */
				for (uint32_t i = 20; i < hl; i++)
					h[i] = (uint8_t)rnd();
			uint32_t len = rnd() % 3 == 0 ? 0 : rnd() % sizeof(payload);
			struct tcp_seg seg;
			if (tcp_parse(h, hl + len, &seg) != TCP_DROP_NONE)
				continue;
			seg.payload = payload;
			seg.payload_off = 0;
			seg.ce = rnd() % 16 == 0;
			if (pcb_used && pcb.state != TCPS_CLOSED) {
				enum tcp_in_result res = tcp_input(&st, &pcb, &seg, now, NULL);
				if (res == TCP_IN_TW_REUSE)
					assert_true(seg.has_isn);
			} else {
				struct tcp_pcb *np;
				tcp_listen_input(&st, &lst, &seg, &t, now, &np, NULL);
				if (np != NULL)
					peer_isn = seg.seq;
			}
		}
		check_invariants();
	}
	assert_int_equal(st.stats.bad_transitions, 0);
	print_message("states entered:");
	for (unsigned s = 1; s < TCPS__COUNT; s++)
		print_message(" %s %llu", tcp_state_name(s),
			      (unsigned long long)st.stats.state_enter[s]);
	print_message("\n");
	/* The walk must have reached every state a pcb can be in. */
	for (unsigned s = 1; s < TCPS__COUNT; s++)
		if (s != TCPS_LISTEN)
			assert_true(st.stats.state_enter[s] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_segments_keep_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
