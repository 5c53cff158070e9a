/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pluggable congestion control (issue 6): NewReno (RFC 5681 + RFC 6582's
 * window arithmetic; the recovery itself is the core's) and CUBIC (RFC
 * 9438 as Linux's tcp_cubic.c: beta 717/1024, C 0.4, fast convergence,
 * the TCP-friendly region, HyStart's delay-increase detection). CUBIC
 * works in segments as Linux does; cwnd stays in bytes in the pcb.
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

/* Linux tcp_slow_start: cwnd grows by what was acknowledged (byte
 * counting, at most 2 SMSS per ACK, RFC 5681 §3.1 / RFC 3465 L=2), up to
 * ssthresh; returns the bytes left over for congestion avoidance. */
static uint32_t
slow_start(struct tcp_pcb *pcb, uint32_t acked)
{
	uint32_t inc = TCP_MIN(acked, 2u * pcb->mss);
	uint32_t room = pcb->ssthresh - pcb->cwnd;
	if (inc >= room) {
		pcb->cwnd = pcb->ssthresh;
		return acked - room;
	}
	pcb->cwnd += inc;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* NewReno                                                                 */
/* ---------------------------------------------------------------------- */

static void
reno_on_ack(struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us, uint64_t now)
{
	(void)rtt_us;
	(void)now;
	if (pcb->cwnd < pcb->ssthresh) {
		slow_start(pcb, acked);
		return; /* as before issue 6: the rest is not carried over */
	}
	/* Congestion avoidance, RFC 5681 §3.1 byte counting: + 1 SMSS per
	 * cwnd of data acknowledged. */
	pcb->bytes_acked += acked;
	if (pcb->bytes_acked >= pcb->cwnd) {
		pcb->bytes_acked -= pcb->cwnd;
		pcb->cwnd += pcb->mss;
	}
}

/* RFC 5681 (4): max(FlightSize / 2, 2 SMSS). */
static uint32_t
reno_ssthresh(struct tcp_pcb *pcb, uint64_t now)
{
	(void)now;
	/* RFC 5681 §3.2: data sent by limited transmit is not counted. */
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	flight = flight > pcb->lt_bytes ? flight - pcb->lt_bytes : 0;
	return TCP_MAX(flight / 2, 2u * pcb->mss);
}

const struct tcp_cc_ops tcp_cc_reno = {
    .name = "reno",
    .on_ack = reno_on_ack,
    .ssthresh = reno_ssthresh,
};

/* ---------------------------------------------------------------------- */
/* CUBIC (RFC 9438, Linux tcp_cubic.c)                                     */
/* ---------------------------------------------------------------------- */

#define BETA_SCALE 1024u
#define BETA 717u		 /* 0.7 * 1024 (RFC 9438 §4.6) */
#define CUBE_RTT_SCALE 410ull	 /* C = 0.4 as bic_scale 41 * 10 */
#define CUBE_SHIFT 40u		 /* 10 + 3 * BICTCP_HZ: t in 1/1024 s */
#define FRIENDLY_SCALE 15u	 /* Linux beta_scale: 8 (1024 + beta) / 3 / (1024 - beta) */
#define HYSTART_LOW_WINDOW 16u	 /* segments */
#define HYSTART_MIN_SAMPLES 8u
#define HYSTART_DELAY_MIN 4000u	 /* µs */
#define HYSTART_DELAY_MAX 16000u /* µs */

struct cubic {
	uint32_t cnt;		/* cwnd += 1 segment after cnt segments acked */
	uint32_t last_max_cwnd; /* W_max, segments */
	uint32_t last_cwnd;
	uint32_t origin;	/* bic_origin_point */
	uint32_t k;		/* K, 1/1024 s */
	uint32_t delay_min;	/* µs */
	uint32_t ack_cnt;	/* segments acked this epoch (TCP-friendly estimate) */
	uint32_t tcp_cwnd;	/* W_est, segments */
	uint32_t cwnd_cnt;	/* Linux snd_cwnd_cnt */
	uint32_t acked_bytes;	/* bytes not yet a whole segment */
	uint32_t end_seq;	/* HyStart: the round ends when SND.UNA passes it */
	uint32_t curr_rtt;	/* HyStart: smallest RTT this round */
	uint64_t last_time;	/* µs */
	uint64_t epoch_start;	/* µs, 0 = no epoch */
	uint8_t sample_cnt;
	uint8_t found;
};
_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_pcb *)0)->cc_priv),
	       "struct cubic must fit in tcp_pcb.cc_priv");

static struct cubic *
cubic_of(struct tcp_pcb *pcb)
{
	return (struct cubic *)(void *)pcb->cc_priv;
}

static void
cubic_reset(struct cubic *ca)
{
	uint32_t dmin = ca->delay_min;
	uint32_t end = ca->end_seq, curr = ca->curr_rtt;
	uint8_t found = ca->found, sc = ca->sample_cnt;
	memset(ca, 0, sizeof(*ca));
	/* bictcp_reset keeps the HyStart and delay_min state. */
	ca->delay_min = dmin;
	ca->end_seq = end;
	ca->curr_rtt = curr;
	ca->found = found;
	ca->sample_cnt = sc;
}

static void
hystart_reset(struct tcp_pcb *pcb, struct cubic *ca)
{
	ca->end_seq = pcb->snd_nxt;
	ca->curr_rtt = UINT32_MAX;
	ca->sample_cnt = 0;
}

static void
cubic_init(struct tcp_pcb *pcb, uint64_t now)
{
	(void)now;
	struct cubic *ca = cubic_of(pcb);
	memset(ca, 0, sizeof(*ca));
	hystart_reset(pcb, ca);
}

/* Integer cube root (K is computed once per epoch). */
static uint32_t
cbrt64(uint64_t a)
{
	uint64_t lo = 0, hi = 2097152; /* 2^21: (2^21)^3 = 2^63 */
	while (lo < hi) {
		uint64_t m = (lo + hi + 1) / 2;
		if (m * m * m <= a)
			lo = m;
		else
			hi = m - 1;
	}
	return (uint32_t)lo;
}

/* Linux bictcp_update: the target window W_cubic(t + RTT) and the
 * TCP-friendly estimate decide `cnt`, the ACKed segments per +1. */
static void
cubic_update(struct tcp_pcb *pcb, struct cubic *ca, uint32_t cwnd, uint32_t acked, uint64_t now)
{
	ca->ack_cnt += acked;
	if (ca->last_cwnd == cwnd && now - ca->last_time <= 1000000 / 32)
		return;
	if (ca->epoch_start != 0 && now / 1000 == ca->last_time / 1000)
		goto friendliness; /* once per tick (a jiffy in Linux, 1 ms here) */
	ca->last_cwnd = cwnd;
	ca->last_time = now;
	if (ca->epoch_start == 0) {
		ca->epoch_start = now;
		ca->ack_cnt = acked;
		ca->tcp_cwnd = cwnd;
		if (ca->last_max_cwnd <= cwnd) {
			ca->k = 0;
			ca->origin = cwnd;
		} else {
			/* K = cbrt(W_max (1 - beta) / C), RFC 9438 eq. 2. */
			uint64_t factor = (1ull << CUBE_SHIFT) / CUBE_RTT_SCALE;
			ca->k = cbrt64(factor * (ca->last_max_cwnd - cwnd));
			ca->origin = ca->last_max_cwnd;
		}
	}
	/* t: time since the epoch plus one minimum RTT (RFC 9438 §4.2
	 * "t + RTT"), in 1/1024 s. */
	uint64_t t = ((now - ca->epoch_start) + ca->delay_min) * 1024 / 1000000;
	uint64_t offs = t < ca->k ? ca->k - t : t - ca->k;
	uint64_t delta = (CUBE_RTT_SCALE * offs * offs * offs) >> CUBE_SHIFT;
	uint32_t target;
	if (t < ca->k)
		target = delta < ca->origin ? ca->origin - (uint32_t)delta : 0;
	else
		target = ca->origin + (uint32_t)TCP_MIN(delta, (uint64_t)UINT32_MAX / 2);
	if (target > cwnd)
		ca->cnt = cwnd / (target - cwnd);
	else
		ca->cnt = 100 * cwnd; /* very small increment */
	/* The first epoch has no W_max: at most +5% per RTT (Linux). */
	if (ca->last_max_cwnd == 0 && ca->cnt > 20)
		ca->cnt = 20;
friendliness:
	/* TCP-friendly region (RFC 9438 §4.3): W_est grows as Reno would
	 * with CUBIC's beta; if it is ahead, follow it. */
	{
		uint32_t d = (cwnd * FRIENDLY_SCALE) >> 3;
		if (d == 0)
			d = 1;
		while (ca->ack_cnt > d) {
			ca->ack_cnt -= d;
			ca->tcp_cwnd++;
		}
		if (ca->tcp_cwnd > cwnd) {
			uint32_t max_cnt = cwnd / (ca->tcp_cwnd - cwnd);
			if (ca->cnt > max_cnt)
				ca->cnt = max_cnt;
		}
	}
	if (ca->cnt < 2)
		ca->cnt = 2;
	(void)pcb;
}

/* HyStart, delay increase (Linux hystart_update with HYSTART_DELAY):
 * per round (one window of data), the smallest of the first 8 RTT
 * samples; if it exceeds the connection's minimum by clamp(min/8, 4 ms,
 * 16 ms), slow start ends here (ssthresh = cwnd). The ACK-train
 * heuristic is not implemented (optional in the brief, and it needs
 * per-ACK µs arrival spacing that delayed ACKs blur). */
static void
hystart_update(struct tcp_stack *st, struct tcp_pcb *pcb, struct cubic *ca, uint32_t delay)
{
	if (tcp_seq_gt(pcb->snd_una, ca->end_seq))
		hystart_reset(pcb, ca);
	if (ca->curr_rtt > delay)
		ca->curr_rtt = delay;
	if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
		ca->sample_cnt++;
		return;
	}
	uint32_t thresh = ca->delay_min >> 3;
	thresh = TCP_MAX(thresh, HYSTART_DELAY_MIN);
	thresh = TCP_MIN(thresh, HYSTART_DELAY_MAX);
	if (ca->curr_rtt > ca->delay_min + thresh) {
		ca->found = 1;
		pcb->ssthresh = pcb->cwnd;
		if (st != NULL)
			st->stats.hystart_exits++;
	}
}

/* Linux bictcp_acked + cubictcp_cong_avoid; `st` only for the counter. */
static void
cubic_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us,
	  uint64_t now)
{
	struct cubic *ca = cubic_of(pcb);

	if (rtt_us != 0 && !(ca->epoch_start != 0 && now - ca->epoch_start < 1000000)) {
		/* Delay samples right after recovery are discarded (Linux). */
		uint32_t delay = (uint32_t)TCP_MIN(rtt_us, (uint64_t)UINT32_MAX);
		if (ca->delay_min == 0 || ca->delay_min > delay)
			ca->delay_min = delay;
		if (!ca->found && pcb->cwnd < pcb->ssthresh &&
		    pcb->cwnd / pcb->mss >= HYSTART_LOW_WINDOW)
			hystart_update(st, pcb, ca, delay);
	}
	if (pcb->cwnd < pcb->ssthresh) {
		acked = slow_start(pcb, acked);
		if (acked == 0)
			return;
	}
	ca->acked_bytes += acked;
	uint32_t segs = ca->acked_bytes / pcb->mss;
	if (segs == 0)
		return;
	ca->acked_bytes -= segs * pcb->mss;
	uint32_t cwnd = pcb->cwnd / pcb->mss;
	cubic_update(pcb, ca, cwnd, segs, now);
	/* Linux tcp_cong_avoid_ai(tp, cnt, acked). */
	if (ca->cwnd_cnt >= ca->cnt) {
		ca->cwnd_cnt = 0;
		cwnd++;
	}
	ca->cwnd_cnt += segs;
	if (ca->cwnd_cnt >= ca->cnt) {
		uint32_t d = ca->cwnd_cnt / ca->cnt;
		ca->cwnd_cnt -= d * ca->cnt;
		cwnd += d;
	}
	pcb->cwnd = TCP_MAX(pcb->cwnd, cwnd * pcb->mss);
}

static void
cubic_on_ack(struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us, uint64_t now)
{
	cubic_ack(NULL, pcb, acked, rtt_us, now);
}

/* RFC 9438 §4.6-4.7 (Linux cubictcp_recalc_ssthresh): W_max with fast
 * convergence, ssthresh = beta * cwnd (at least 2 segments). */
static uint32_t
cubic_ssthresh(struct tcp_pcb *pcb, uint64_t now)
{
	(void)now;
	struct cubic *ca = cubic_of(pcb);
	uint32_t cwnd = pcb->cwnd / pcb->mss;
	ca->epoch_start = 0;
	if (cwnd < ca->last_max_cwnd)
		ca->last_max_cwnd = (cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE);
	else
		ca->last_max_cwnd = cwnd;
	return TCP_MAX((cwnd * BETA) / BETA_SCALE, 2u) * pcb->mss;
}

/* RTO (Linux cubictcp_state TCP_CA_Loss): a new epoch, HyStart again. */
static void
cubic_on_rto(struct tcp_pcb *pcb, uint64_t now)
{
	(void)now;
	struct cubic *ca = cubic_of(pcb);
	cubic_reset(ca);
	hystart_reset(pcb, ca);
	ca->found = 0;
}

/* Idle restart (Linux cubictcp_cwnd_event CA_EVENT_TX_START): shift the
 * epoch by the idle time so the curve does not jump. */
static void
cubic_event(struct tcp_pcb *pcb, enum tcp_cc_event ev, uint64_t now)
{
	struct cubic *ca = cubic_of(pcb);
	if (ev == TCP_CA_EV_TX_START && ca->epoch_start != 0 && pcb->last_snd != 0 &&
	    now > pcb->last_snd) {
		ca->epoch_start += now - pcb->last_snd;
		if (ca->epoch_start > now)
			ca->epoch_start = now;
	}
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .ssthresh = cubic_ssthresh,
    .on_rto = cubic_on_rto,
    .cwnd_event = cubic_event,
};

/* ---------------------------------------------------------------------- */
/* Dispatch                                                                */
/* ---------------------------------------------------------------------- */

static const struct tcp_cc_ops *
cc_of(struct tcp_pcb *pcb)
{
	return pcb->cc != NULL ? pcb->cc : &tcp_cc_cubic;
}

void
tcp_cc_on_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us,
	      uint64_t now)
{
	const struct tcp_cc_ops *cc = cc_of(pcb);
	if (cc == &tcp_cc_cubic)
		cubic_ack(st, pcb, acked, rtt_us, now); /* counts HyStart exits */
	else
		cc->on_ack(pcb, acked, rtt_us, now);
}

uint32_t
tcp_cc_ssthresh(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	(void)st;
	return cc_of(pcb)->ssthresh(pcb, now);
}

void
tcp_cc_event(struct tcp_pcb *pcb, enum tcp_cc_event ev, uint64_t now)
{
	const struct tcp_cc_ops *cc = cc_of(pcb);
	if (cc->cwnd_event != NULL)
		cc->cwnd_event(pcb, ev, now);
}

void
tcp_cc_rto(struct tcp_pcb *pcb, uint64_t now)
{
	const struct tcp_cc_ops *cc = cc_of(pcb);
	if (cc->on_rto != NULL)
		cc->on_rto(pcb, now);
}

const struct tcp_cc_ops *
tcp_cc_find(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "cubic") == 0)
		return &tcp_cc_cubic;
	if (strcmp(name, "reno") == 0)
		return &tcp_cc_reno;
	return NULL;
}

int
tcp_set_congestion(struct tcp_stack *st, struct tcp_pcb *pcb, const char *name, uint64_t now)
{
	(void)st;
	const struct tcp_cc_ops *cc = tcp_cc_find(name);
	if (cc == NULL)
		return -ENOENT;
	if (cc == pcb->cc)
		return 0;
	pcb->cc = cc;
	memset(pcb->cc_priv, 0, sizeof(pcb->cc_priv));
	if (cc->init != NULL)
		cc->init(pcb, now);
	return 0;
}
