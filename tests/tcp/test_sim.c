/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two TCP cores talking over a simulated link with seeded loss, delay,
 * jitter (reordering) and duplication, on a fake clock: A connects to B's
 * listener, sends N bytes and shuts down; B reads everything (checking
 * every byte against a pattern of its stream offset) and closes. The test
 * asserts byte-exact delivery, the orderly close of both ends, and that
 * the whole exchange ends within a bounded simulated time. Segments go
 * through tcp_write_hdr / tcp_parse, payload copied from the sender's ring
 * at emit time, as the daemon's glue does. The seed of each case is
 * printed.
 *
 * Issue 6: both stacks run with every option the core implements on (the
 * defaults: window scaling, timestamps, SACK, CUBIC; ECN asked by both), and SO_KEEPALIVE with
 * short timers on both ends; each case asserts the options were
 * negotiated and that windows above 64 KiB were used. One group runs
 * with the options off and NewReno (the RFC 9293 base path), one with
 * NewReno and the options on.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp.h"

#define RING (1u << 18) /* the daemon's shm ring size: window scale 3 */
#define MAXQ 8192
#define MSS 1000
#define ADDR_A 0xc6120001u
#define ADDR_B 0xc6120002u
#define PORT_A 40000
#define PORT_B 80

struct pkt {
	uint64_t at;
	uint64_t n; /* enqueue order: FIFO among equal arrival times */
	int to;
	bool ce; /* the IP header's ECN field says CE (an AQM marked it) */
	uint32_t len;
	uint8_t data[TCP_HDR_MAX + MSS];
};

struct side {
	struct tcp_stack st;
	struct tcp_pcb pcb;
	bool live; /* pcb in use */
	bool accepted, eof, closed_called, shut;
	int err;
	uint8_t rbuf[RING], sbuf[RING];
	uint64_t rd_off, wr_off;
	uint32_t readable, rd;
	uint32_t addr;
};

struct sim {
	struct side s[2]; /* 0 = A (client), 1 = B (server) */
	struct tcp_listen lst;
	struct pkt *q;
	unsigned qn;
	uint64_t now;
	uint64_t rng;
	unsigned loss_pm, dup_pm; /* per mille */
	unsigned ce_pm;		  /* ECT packets marked CE, per mille */
	uint64_t delay, jitter;	  /* µs */
	uint64_t total;
	uint64_t sent_pkts, lost_pkts, enq;
	bool trace2; /* SIM_TRACE=2 */
};

static struct sim *S;
static double sim_last_secs; /* simulated duration of the last case (SIM_BENCH) */
static uint64_t sim_last_rto; /* A's RTO expirations in the last case */

/* The options of the current group of cases. */
static struct {
	bool opts_off; /* timestamps and window scaling off */
	bool reno;     /* NewReno instead of CUBIC */
	unsigned ce_pm; /* CE marks on ECT packets, per mille */
} mode;

static uint64_t
rnd(void)
{
	/* xorshift64*: enough for a reproducible link. */
	S->rng ^= S->rng >> 12;
	S->rng ^= S->rng << 25;
	S->rng ^= S->rng >> 27;
	return S->rng * 2685821657736338717ULL;
}

static uint8_t
pat(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) + 17);
}

static int
side_of(struct tcp_stack *st)
{
	return st == &S->s[0].st ? 0 : 1;
}

static void
enqueue(int to, const uint8_t *data, uint32_t len, uint64_t at, bool ce)
{
	assert_true(S->qn < MAXQ);
	struct pkt *p = &S->q[S->qn++];
	p->at = at;
	p->n = S->enq++;
	p->to = to;
	p->ce = ce;
	p->len = len;
	memcpy(p->data, data, len);
}

static void
emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	int from = side_of(st);
	uint8_t buf[TCP_HDR_MAX + MSS];
	uint32_t hl = tcp_write_hdr(buf, out);
	assert_true(out->len <= MSS);
	if (out->len > 0) {
		assert_non_null(pcb);
		for (uint32_t i = 0; i < out->len; i++)
			buf[hl + i] =
			    pcb->snd.data[(pcb->snd.head + out->data_off + i) & (RING - 1)];
	}
	S->sent_pkts++;
	bool lost = rnd() % 1000 < S->loss_pm;
	if (S->trace2) {
		/* SIM_TRACE=2: every segment sent, relative numbers, and its fate. */
		uint32_t iss = pcb != NULL ? pcb->iss : 0, irs = pcb != NULL ? pcb->irs : 0;
		uint32_t s0 = out->seq - iss;
		fprintf(stderr, "%9.4f %c> %u:%u%s ack %u cwnd %u ss %u%s",
			(double)(S->now - 1000000) / 1e6, "AB"[from], s0, s0 + out->len,
			out->rtx ? " RTX" : "", out->ack - irs, pcb != NULL ? pcb->cwnd : 0,
			pcb != NULL ? pcb->ssthresh : 0, lost ? " LOST" : "");
		for (unsigned i = 0; i < out->sack_n; i++)
			fprintf(stderr, " [%u:%u]", out->sack[i].left - irs,
				out->sack[i].right - irs);
		fprintf(stderr, "\n");
	}
	if (lost) {
		S->lost_pkts++;
		return;
	}
	uint64_t at = S->now + S->delay + (S->jitter ? rnd() % S->jitter : 0);
	bool ce = out->ect && S->ce_pm != 0 && rnd() % 1000 < S->ce_pm;
	enqueue(1 - from, buf, hl + out->len, at, ce);
	if (rnd() % 1000 < S->dup_pm)
		enqueue(1 - from, buf, hl + out->len, at + rnd() % (S->delay + 1), ce);
}

static void
copy_in(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len)
{
	memcpy(dst, (const uint8_t *)seg->payload + seg->payload_off + off, len);
}

static void
rcv_ready(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	(void)pcb;
	S->s[side_of(st)].readable += n;
}

static void
snd_acked(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	(void)st;
	(void)pcb;
	(void)n;
}

static void
attach(struct side *x)
{
	x->pcb.rcv.data = x->rbuf;
	x->pcb.rcv.size = RING;
	x->pcb.snd.data = x->sbuf;
	x->pcb.snd.size = RING;
}

static void
event(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg)
{
	struct side *x = &S->s[side_of(st)];
	(void)pcb;
	/* SIM_TRACE=1: state changes and late segments, for debugging. */
	if (getenv("SIM_TRACE") != NULL && ev == TCP_EV_STATE)
		fprintf(stderr, "%.3f %c %s -> %s\n", (double)(S->now - 1000000) / 1e6,
			"AB"[side_of(st)], tcp_state_name((unsigned)arg),
			tcp_state_name(pcb->state));
	switch (ev) {
	case TCP_EV_ACCEPT:
		attach(x);
		x->pcb.rcv.tail = 0;
		x->accepted = true;
		S->lst.acceptq_len--; /* accepted at once */
		break;
	case TCP_EV_PEER_FIN:
		x->eof = true;
		break;
	case TCP_EV_ERROR:
		x->err = arg;
		break;
	default:
		break;
	}
}

static struct tcp_pcb *
pcb_alloc(struct tcp_stack *st, struct tcp_listen *lst, const struct tcp_tuple *t)
{
	(void)lst;
	(void)t;
	struct side *x = &S->s[side_of(st)];
	if (x->live && x->pcb.state != TCPS_CLOSED)
		return NULL; /* one connection per side */
	x->live = true;
	return &x->pcb;
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
deliver(struct pkt *p)
{
	struct side *x = &S->s[p->to];
	struct tcp_seg seg;
	assert_int_equal(tcp_parse(p->data, p->len, &seg), TCP_DROP_NONE);
	seg.payload = p->data;
	seg.ce = p->ce;
	if (getenv("SIM_TRACE") != NULL && S->now - 1000000 > 1300000)
		fprintf(stderr, "%.3f -> %c flags 0x%02x seq %u ack %u len %u\n",
			(double)(S->now - 1000000) / 1e6, "AB"[p->to], seg.flags, seg.seq, seg.ack,
			seg.len);
	struct tcp_tuple t = {x->addr, S->s[1 - p->to].addr, seg.dport, seg.sport};
	if (x->live && x->pcb.state != TCPS_CLOSED) {
		tcp_input(&x->st, &x->pcb, &seg, S->now, NULL);
		return;
	}
	if (p->to == 1) {
		struct tcp_pcb *np;
		tcp_listen_input(&x->st, &S->lst, &seg, &t, S->now, &np, NULL);
		return;
	}
	struct tcp_out rst;
	if (tcp_closed_input(&x->st, &seg, &t, &rst))
		emit(&x->st, NULL, &rst);
}

/* Queue up to 16 KB more of `x`'s stream (pattern of the offset). */
static void
app_write(struct side *x, uint64_t total)
{
	if (x->wr_off >= total)
		return;
	uint32_t room = RING - x->pcb.snd.len;
	uint64_t k = total - x->wr_off;
	if (k > room)
		k = room;
	if (k > 16384)
		k = 16384;
	for (uint32_t i = 0; i < k; i++)
		x->sbuf[(x->pcb.snd.head + x->pcb.snd.len + i) & (RING - 1)] = pat(x->wr_off + i);
	x->wr_off += k;
	x->pcb.snd.len += (uint32_t)k;
	tcp_output(&x->st, &x->pcb, S->now);
}

/* Consume and check everything readable. */
static void
app_read(struct side *x)
{
	uint32_t n = x->readable;
	if (n == 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t v = x->rbuf[(x->rd + i) & (RING - 1)];
		if (v != pat(x->rd_off + i))
			fail_msg("%c: byte %" PRIu64 " is 0x%02x, expected 0x%02x",
				 x == &S->s[0] ? 'A' : 'B', x->rd_off + i, v, pat(x->rd_off + i));
	}
	x->rd += n;
	x->rd_off += n;
	x->readable = 0;
	tcp_recvd(&x->st, &x->pcb, n, S->now);
}

/* A sends `total` bytes then shuts down writing, and reads; B sends
 * `total_b` bytes, reads, and closes after the EOF and its own data. */
static void
app(uint64_t total_b)
{
	struct side *a = &S->s[0], *b = &S->s[1];
	if (a->pcb.state == TCPS_ESTABLISHED)
		app_write(a, S->total);
	if (a->wr_off == S->total && !a->shut && a->pcb.state == TCPS_ESTABLISHED) {
		a->shut = true;
		assert_int_equal(tcp_shutdown_wr(&a->st, &a->pcb, S->now), 0);
	}
	if (a->pcb.state != TCPS_CLOSED)
		app_read(a);
	if (b->accepted && (b->pcb.state == TCPS_ESTABLISHED || b->pcb.state == TCPS_CLOSE_WAIT))
		app_write(b, total_b);
	if (b->accepted && b->pcb.state != TCPS_CLOSED)
		app_read(b);
	if (b->eof && b->readable == 0 && b->wr_off == total_b && !b->closed_called) {
		b->closed_called = true;
		tcp_close(&b->st, &b->pcb, 0, S->now);
	}
}

static void
run_case(uint64_t seed, unsigned loss_pm, unsigned dup_pm, uint64_t delay, uint64_t jitter,
	 uint64_t total, uint64_t total_b)
{
	static const uint8_t ka[16] = {1}, kb[16] = {2};
	struct tcp_conf conf;

	S = calloc(1, sizeof(*S));
	S->q = calloc(MAXQ, sizeof(*S->q));
	S->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	S->loss_pm = loss_pm;
	S->dup_pm = dup_pm;
	S->delay = delay;
	S->jitter = jitter;
	S->total = total;
	S->now = 1000000;
	S->trace2 = getenv("SIM_TRACE") != NULL && atoi(getenv("SIM_TRACE")) == 2;
	print_message("seed %" PRIu64 ": loss %u/1000, dup %u/1000, delay %" PRIu64
		      " us + jitter %" PRIu64 " us, %" PRIu64 " + %" PRIu64 " bytes\n",
		      seed, loss_pm, dup_pm, delay, jitter, total, total_b);

	tcp_conf_default(&conf);
	if (mode.opts_off) {
		conf.timestamps = false;
		conf.window_scaling = false;
		conf.sack = false;
		conf.ecn = 0;
	} else {
		conf.ecn = 1;	  /* both ask (RFC 3168) */
		conf.sack = true; /* off by default for now (tcp_conf_default) */
	}
	S->ce_pm = mode.ce_pm;
	if (mode.reno)
		conf.cc = &tcp_cc_reno;
	conf.keepalive_time = 2000000; /* 2 s idle, then probes every 1 s */
	conf.keepalive_intvl = 1000000;
	conf.msl2 = 2000000;
	conf.retries2 = 30; /* a lossy link must not kill the connection */
	conf.syn_retries = 30;
	conf.synack_retries = 30;
	tcp_stack_init(&S->s[0].st, &ops, &conf, ka, S->now);
	tcp_stack_init(&S->s[1].st, &ops, &conf, kb, S->now);
	S->s[0].addr = ADDR_A;
	S->s[1].addr = ADDR_B;
	S->lst = (struct tcp_listen){
	    .local = {ADDR_B, 0, PORT_B, 0}, .backlog = 8, .adv_mss = MSS, .rcv_space = RING};

	struct side *a = &S->s[0], *b = &S->s[1];
	struct tcp_tuple t = {ADDR_A, ADDR_B, PORT_A, PORT_B};
	tcp_pcb_init(&a->pcb, &t, MSS);
	attach(a);
	a->pcb.rcv.space = RING;
	a->live = true;
	assert_int_equal(tcp_connect(&a->st, &a->pcb, S->now), 0);
	uint32_t max_wnd[2] = {0, 0};

	const uint64_t limit = S->now + 600ull * 1000000;
	while (S->now < limit) {
		S->now += 1000;
		/* Deliver what arrived by now, earliest first. */
		for (;;) {
			unsigned best = MAXQ;
			for (unsigned i = 0; i < S->qn; i++)
				if (S->q[i].at <= S->now &&
				    (best == MAXQ || S->q[i].at < S->q[best].at ||
				     (S->q[i].at == S->q[best].at && S->q[i].n < S->q[best].n)))
					best = i;
			if (best == MAXQ)
				break;
			struct pkt p = S->q[best];
			S->q[best] = S->q[--S->qn];
			deliver(&p);
		}
		tcp_stack_timers(&a->st, S->now);
		tcp_stack_timers(&b->st, S->now);
		app(total_b);
		for (int i = 0; i < 2; i++) {
			struct side *x = &S->s[i];
			if (x->pcb.state == TCPS_ESTABLISHED &&
			    !(x->pcb.flags & TCP_PF_KEEPALIVE))
				assert_int_equal(tcp_set_keepalive(&x->st, &x->pcb, true, S->now), 0);
			if (x->pcb.snd_wnd > max_wnd[i])
				max_wnd[i] = x->pcb.snd_wnd;
		}
		assert_int_equal(a->err, 0);
		assert_int_equal(b->err, 0);
		if (a->pcb.state == TCPS_CLOSED && b->pcb.state == TCPS_CLOSED && S->qn == 0)
			break;
	}
	sim_last_secs = (double)(S->now - 1000000) / 1e6;
	sim_last_rto = a->st.stats.rto_fires;
	print_message("  done at %.3f s: %" PRIu64 " segments, %" PRIu64
		      " lost; A retransmitted %" PRIu64 " (fast %" PRIu64 ", RTO %" PRIu64
		      "), SACK recoveries %" PRIu64 " D-SACKs %" PRIu64 " TLPs %" PRIu64
		      " lost rtx %" PRIu64
		      ", RACK recoveries %" PRIu64 " lost rtx %" PRIu64
		      ", windows %u/%u, keepalive probes %" PRIu64 "\n",
		      (double)(S->now - 1000000) / 1e6, S->sent_pkts, S->lost_pkts,
		      a->st.stats.retrans_segs, a->st.stats.fast_retrans, a->st.stats.rto_fires,
		      a->st.stats.sack_recoveries + b->st.stats.sack_recoveries,
		      a->st.stats.dsack_rcvd + b->st.stats.dsack_rcvd,
		      a->st.stats.tlp_probes + b->st.stats.tlp_probes,
		      a->st.stats.lost_retrans + b->st.stats.lost_retrans,
		      a->st.stats.rack_recoveries + b->st.stats.rack_recoveries,
		      a->st.stats.rack_lost_rxt + b->st.stats.rack_lost_rxt, max_wnd[0], max_wnd[1],
		      a->st.stats.keepalive_probes + b->st.stats.keepalive_probes);
	/* The options both ends offered were negotiated, and used. */
	uint8_t want = mode.opts_off ? 0 : TCP_OPT_F_TS | TCP_OPT_F_WSCALE | TCP_OPT_F_SACK_OK;
	assert_int_equal(a->pcb.opt_ok, want);
	assert_int_equal(b->pcb.opt_ok, want);
	/* ECN: both ends agree; a retransmitted SYN goes without ECN (as
	 * Linux), so with loss on the handshake it may be off. */
	assert_int_equal(a->pcb.ecn & TCP_ECN_OK, b->pcb.ecn & TCP_ECN_OK);
	if (mode.opts_off)
		assert_int_equal(a->pcb.ecn & TCP_ECN_OK, 0);
	else if (a->st.stats.retrans_segs == 0 && b->st.stats.retrans_segs == 0)
		assert_int_equal(a->pcb.ecn & TCP_ECN_OK, TCP_ECN_OK);
	if (mode.ce_pm != 0) {
		assert_true(a->st.stats.ecn_ce_rcvd + b->st.stats.ecn_ce_rcvd > 0);
		assert_true(a->st.stats.ecn_cwnd_reductions + b->st.stats.ecn_cwnd_reductions > 0);
		print_message("  CE marks %" PRIu64 ", ECN cwnd reductions %" PRIu64 "\n",
			      a->st.stats.ecn_ce_rcvd + b->st.stats.ecn_ce_rcvd,
			      a->st.stats.ecn_cwnd_reductions + b->st.stats.ecn_cwnd_reductions);
	}
	if (!mode.opts_off) {
		assert_int_equal(a->pcb.rcv_wscale, 3);
		assert_int_equal(b->pcb.snd_wscale, 3);
		assert_true(max_wnd[0] > 65535 && max_wnd[1] > 65535);
	} else {
		assert_true(max_wnd[0] <= 65535 && max_wnd[1] <= 65535);
	}
	assert_true(S->now < limit);
	assert_int_equal(b->rd_off, total);
	assert_int_equal(a->rd_off, total_b);
	/* A leaves through TIME-WAIT: after 2 MSL, or earlier when a
	 * duplicated last ACK reached B after it closed and B's RST ended
	 * TIME-WAIT (RFC 1337's assassination, which Linux also allows). */
	assert_int_equal(a->pcb.state, TCPS_CLOSED);
	assert_int_equal(b->pcb.state, TCPS_CLOSED);
	assert_int_equal(a->st.stats.bad_transitions, 0);
	assert_int_equal(b->st.stats.bad_transitions, 0);
	assert_int_equal(a->st.stats.state_enter[TCPS_TIME_WAIT], 1);
	assert_int_equal(b->st.stats.state_enter[TCPS_LAST_ACK], 1);
	assert_int_equal(a->st.wheel.count, 0);
	assert_int_equal(b->st.wheel.count, 0);
	free(S->q);
	free(S);
	S = NULL;
}

static void
test_clean_link(void **state)
{
	(void)state;
	run_case(1, 0, 0, 10000, 0, 2000000, 0);
	run_case(2, 0, 0, 10000, 0, 500000, 700000);
	/* Without loss nothing is retransmitted. */
}

static void
test_lossy_links(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++)
		run_case(seed, 20, 0, 10000, 0, 300000, seed * 50000);
	for (uint64_t seed = 7; seed <= 10; seed++)
		run_case(seed, 80, 0, 20000, 0, 200000, 100000);
	for (uint64_t seed = 20; seed <= 25; seed++)
		run_case(seed, 150, 0, 5000, 0, 100000, 30000);
}

/* 10% loss both ways on a short path (tests/netns/test_tcp_netem.sh's
 * loss10 against Linux): tail losses and lost retransmissions are the
 * common case; the tail loss probe and lost-retransmission detection
 * must keep RTOs the exception. */
static void
test_loss10(void **state)
{
	(void)state;
	for (uint64_t seed = 40; seed <= 43; seed++) {
		run_case(seed, 100, 0, 1500, 0, 1000000, 1000000);
		/* RACK, repeated probes and the recovery fixes (R5) keep RTOs
		 * rare: 0-3 per case; before them 11-17, each >= 200 ms. */
		assert_true(sim_last_rto <= 6);
	}
}

static void
test_reordering_and_duplication(void **state)
{
	(void)state;
	for (uint64_t seed = 11; seed <= 16; seed++)
		run_case(seed, 10, 20, 10000, 8000, 300000, 200000);
}

/* The RFC 9293 base path: no RFC 7323 options, NewReno. */
static void
test_options_off_newreno(void **state)
{
	(void)state;
	mode.opts_off = true;
	mode.reno = true;
	run_case(1, 0, 0, 10000, 0, 1000000, 0);
	for (uint64_t seed = 30; seed <= 33; seed++)
		run_case(seed, 20, 10, 10000, 4000, 300000, 100000);
	mode.opts_off = false;
	mode.reno = false;
}

/* An AQM marking CE instead of dropping (and a little loss): ECN
 * reductions, CWR/ECE exchange, still byte-exact. */
static void
test_ecn_marking(void **state)
{
	(void)state;
	mode.ce_pm = 30;
	for (uint64_t seed = 50; seed <= 53; seed++)
		run_case(seed, 5, 0, 10000, 2000, 400000, 200000);
	mode.ce_pm = 0;
}

/* Options on with NewReno: the congestion module is orthogonal. */
static void
test_options_on_newreno(void **state)
{
	(void)state;
	mode.reno = true;
	for (uint64_t seed = 40; seed <= 43; seed++)
		run_case(seed, 30, 10, 10000, 4000, 300000, 100000);
	mode.reno = false;
}

/*
 * SIM_BENCH="LOSS_PM DELAY_US BYTES SEEDS": no test, a measurement (R5's
 * loss-recovery work): A sends BYTES to B over a link losing LOSS_PM per
 * mille each way with DELAY_US one way, for seeds 1..SEEDS; prints the
 * simulated time of each and the mean. SIM_BENCH_DUP / SIM_BENCH_JITTER
 * add duplication (per mille) and jitter (µs, reordering).
 */
static int
sim_bench(const char *spec)
{
	unsigned loss = 0, seeds = 0;
	unsigned long long delay = 0, bytes = 0;
	if (sscanf(spec, "%u %llu %llu %u", &loss, &delay, &bytes, &seeds) != 4)
		return 2;
	const char *d = getenv("SIM_BENCH_DUP"), *j = getenv("SIM_BENCH_JITTER");
	unsigned dup = d != NULL ? (unsigned)atoi(d) : 0;
	uint64_t jit = j != NULL ? (uint64_t)atoll(j) : 0;
	double sum = 0;
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		run_case(seed, loss, dup, delay, jit, bytes, 0);
		sum += sim_last_secs;
	}
	printf("SIM_BENCH mean %.3f s over %u seeds\n", sum / seeds, seeds);
	return 0;
}

int
main(void)
{
	const char *bench = getenv("SIM_BENCH");
	if (bench != NULL)
		return sim_bench(bench);

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_link),
	    cmocka_unit_test(test_lossy_links),
	    cmocka_unit_test(test_loss10),
	    cmocka_unit_test(test_reordering_and_duplication),
	    cmocka_unit_test(test_options_off_newreno),
	    cmocka_unit_test(test_options_on_newreno),
	    cmocka_unit_test(test_ecn_marking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
