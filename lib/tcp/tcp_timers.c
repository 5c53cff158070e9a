/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcb's timers: retransmission (RFC 6298) also serving SYN/SYN-ACK
 * retries and the persist probes (RFC 9293 §3.8.6.1), delayed ACK (RFC
 * 9293 §3.8.6.3, Linux's ato/quick-ACK scheme), TIME-WAIT / orphaned
 * FIN-WAIT-2, keepalive (issue 6). Four deadlines per pcb; the wheel
 * holds the pcb once, at the earliest.
 */
#include <errno.h>

#include "tcp_priv.h"

uint64_t
tcp_next_deadline(const struct tcp_pcb *pcb)
{
	uint64_t d = 0;
	const uint64_t t[5] = {pcb->t_rtx, pcb->t_delack, pcb->t_wait, pcb->t_keep, pcb->t_reo};
	for (int i = 0; i < 5; i++)
		if (t[i] != 0 && (d == 0 || t[i] < d))
			d = t[i];
	return d;
}

void
tcp_timer_sync(struct tcp_stack *st, struct tcp_pcb *pcb)
{
	uint64_t d = tcp_next_deadline(pcb);
	if (d == 0)
		tcp_wheel_del(&st->wheel, &pcb->tnode);
	else if (!tcp_tnode_linked(&pcb->tnode) || pcb->tnode.expires != d)
		tcp_wheel_add(&st->wheel, &pcb->tnode, d);
}

/* The current RTO with exponential backoff (RFC 6298 5.5), bounded by
 * rto_max (RFC 6298 2.5 allows a maximum of at least 60 s; Linux 120 s). */
uint64_t
tcp_cur_rto(const struct tcp_stack *st, const struct tcp_pcb *pcb)
{
	uint64_t rto = pcb->rto != 0 ? pcb->rto : st->conf.rto_initial;
	for (unsigned i = 0; i < pcb->backoff && rto < st->conf.rto_max; i++)
		rto <<= 1;
	return rto < st->conf.rto_max ? rto : st->conf.rto_max;
}

/* RFC 8985 §7.2-7.3 (Linux tcp_schedule_loss_probe): a tail loss probe
 * instead of the first RTO when data is in flight with SACK (the probe's
 * SACK is what makes it a fast recovery), an RTT known, and no probe yet
 * since SND.UNA last moved. Unlike RFC 8985 also during SACK recovery:
 * there a lost retransmission is only found once data sent after it is
 * SACKed (tcp_sack_lost_rxt), and the probe is that data. */
/* The probe timeout's floor: Linux's TCP_TIMEOUT_MIN (2 jiffies, 2 ms at
 * HZ 1000) added to 2 SRTT. It was 10 ms: on a sub-millisecond path each
 * probe then cost 10 ms of silence, and at 10% loss there is one every
 * few dozen segments. */
#define TCP_PTO_MIN_US 2000u

/*
 * Probes per stall. RFC 8985 §7 sends one and then waits for the RTO;
 * on a path whose RTT is far below the 200 ms minimum RTO (a LAN, the
 * tests' namespaces) that RTO is hundreds of round trips, and at 10%
 * loss each way one probe in five is lost or has its ACK lost
 * (measured: most of the RTOs left after RACK). So up to three probes,
 * each after twice the previous PTO, as long as the backed-off PTO stays
 * at most a quarter of the RTO (tcp_arm_rtx); on a path with RTT near
 * the RTO this is RFC 8985's single probe. A probe is one segment per
 * PTO: it cannot load the path. A deliberate difference from Linux,
 * which sends one (docs/tcp-design.md, "RACK").
 */
#define TCP_TLP_MAX 3u

static bool
tlp_ok(const struct tcp_pcb *pcb)
{
	bool rec = tcp_has(pcb, TCP_PF_IN_RECOVERY) && !tcp_has(pcb, TCP_PF_SACK_RECOVERY);
	return (pcb->opt_ok & TCP_OPT_F_SACK_OK) && pcb->srtt != 0 && pcb->tlp_n < TCP_TLP_MAX &&
	       !rec && pcb->snd_una != pcb->snd_max && pcb->snd_wnd != 0 && pcb->backoff == 0 &&
	       !tcp_has(pcb, TCP_PF_PERSIST) &&
	       (pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_CLOSE_WAIT ||
		pcb->state == TCPS_FIN_WAIT_1 || pcb->state == TCPS_CLOSING ||
		pcb->state == TCPS_LAST_ACK);
}

void
tcp_arm_rtx(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	uint64_t rto = tcp_cur_rto(st, pcb);
	pcb->tlp_armed = false;
	if (tlp_ok(pcb)) {
		/* PTO = 2 SRTT, at least 10 ms; with one segment in flight
		 * the peer may hold its ACK for a delayed-ACK time (Linux's
		 * minimum ato is 40 ms). Never later than the RTO. */
		uint64_t pto = 2 * pcb->srtt;
		if (pcb->snd_max - pcb->snd_una <= pcb->mss)
			pto += 50000;
		if (pto < TCP_PTO_MIN_US)
			pto = TCP_PTO_MIN_US;
		/* Further probes (see TCP_TLP_MAX) back off, and are sent
		 * only while they stay far below the RTO. */
		pto <<= pcb->tlp_n;
		if (pcb->tlp_n == 0 ? pto < rto : 4 * pto <= rto) {
			rto = pto;
			pcb->tlp_armed = true;
		}
	}
	/* TCP_USER_TIMEOUT: the timer never sleeps past the moment the
	 * connection must give up (Linux tcp_clamp_rto_to_user_timeout). */
	if (pcb->user_timeout != 0 && pcb->snd_una != pcb->snd_max &&
	    !tcp_has(pcb, TCP_PF_PERSIST) && pcb->state != TCPS_SYN_SENT &&
	    pcb->state != TCPS_SYN_RCVD) {
		uint64_t end = pcb->una_ts + (uint64_t)pcb->user_timeout * 1000;
		uint64_t left = end > now ? end - now : 1;
		if (left < rto)
			rto = left;
	}
	pcb->t_rtx = now + rto;
	tcp_timer_sync(st, pcb);
}

/*
 * RFC 6298 §2: the first sample sets SRTT = R, RTTVAR = R/2; later ones
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R (that
 * order); RTO = SRTT + max(G, 4 RTTVAR) with G = the 1 ms tick, then
 * clamped to [rto_min, rto_max] (RFC 6298 2.4 recommends 1 s as minimum;
 * Linux, and we, use 200 ms).
 */
void
tcp_rtt_sample(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t r)
{
	if (r == 0)
		r = 1;
	tcp_rack_rtt(pcb, r);
	if (pcb->srtt == 0) {
		pcb->srtt = r;
		pcb->rttvar = r / 2;
	} else {
		uint64_t d = pcb->srtt > r ? pcb->srtt - r : r - pcb->srtt;
		pcb->rttvar = (3 * pcb->rttvar + d) / 4;
		pcb->srtt = (7 * pcb->srtt + r) / 8;
	}
	uint64_t k = 4 * pcb->rttvar;
	uint64_t rto = pcb->srtt + (k > TCP_WHEEL_TICK_US ? k : TCP_WHEEL_TICK_US);
	if (rto < st->conf.rto_min)
		rto = st->conf.rto_min;
	if (rto > st->conf.rto_max)
		rto = st->conf.rto_max;
	pcb->rto = rto;
}

/*
 * Delayed ACK as Linux (tcp_event_data_recv, __tcp_ack_snd_check):
 * - quick-ACK mode (every segment ACKed at once) for the first segments
 *   of a connection and after the receiver was idle longer than an RTO;
 * - otherwise ACK at once when two full-sized segments are unacknowledged
 *   (RFC 9293 §3.8.6.3 / RFC 5681 §4.2: "at least every second"), else
 *   within `ato`, which follows the inter-arrival time between
 *   delack_min (40 ms) and delack_max (200 ms);
 * - out-of-order or hole-filling data: ACK at once (RFC 5681 §4.2).
 */
void
tcp_delack_on_data(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t len, bool in_order,
		   uint64_t now)
{
	const struct tcp_conf *c = &st->conf;

	if (pcb->ato == 0) {
		/* First data: start in quick-ACK mode. */
		pcb->ato = c->delack_min;
		pcb->quickack = (uint8_t)TCP_MIN(c->quickacks, 255u);
	} else {
		uint64_t m = now - pcb->last_rcv;
		if (m <= c->delack_min / 2) {
			pcb->ato = pcb->ato / 2 + c->delack_min / 2;
		} else if (m > tcp_cur_rto(st, pcb)) {
			/* Idle: back to quick ACKs (Linux tcp_incr_quickack). */
			pcb->quickack = (uint8_t)TCP_MIN(c->quickacks, 255u);
			pcb->ato = c->delack_min;
		} else if (m < pcb->ato) {
			pcb->ato = pcb->ato / 2 + m;
		}
		if (pcb->ato < c->delack_min)
			pcb->ato = c->delack_min;
		if (pcb->ato > c->delack_max)
			pcb->ato = c->delack_max;
	}
	pcb->last_rcv = now;

	if (!in_order) {
		pcb->flags |= TCP_PF_ACK_NOW;
		return;
	}
	if (len >= pcb->adv_mss || len >= pcb->mss)
		pcb->delack_segs++;
	if (pcb->quickack > 0) {
		pcb->quickack--;
		pcb->flags |= TCP_PF_ACK_NOW;
	} else if (pcb->delack_segs >= 2) {
		pcb->flags |= TCP_PF_ACK_NOW;
	} else if (pcb->t_delack == 0) {
		pcb->t_delack = now + pcb->ato;
	}
}

/* RFC 8985 §7.3: one segment of new data if the receive window lets it
 * go (cwnd does not gate a probe), else the last segment again; then the
 * real RTO. Its ACK's SACK information starts the fast recovery the tail
 * could not (tcp_ack's dup_ack: tlp_sent). */
static void
tlp_probe(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t max = pcb->snd_max, cwnd = pcb->cwnd;
	pcb->tlp_sent = true;
	pcb->tlp_n++;
	st->stats.tlp_probes++;
	/* Room for exactly one segment past what tcp_output counts in
	 * flight (pipe during SACK recovery). */
	uint8_t dupacks = pcb->dupacks; /* no limited transmit on top */
	pcb->cwnd = (tcp_has(pcb, TCP_PF_SACK_RECOVERY) ? tcp_sack_pipe(pcb)
							 : pcb->snd_nxt - pcb->snd_una) +
		    pcb->mss;
	pcb->dupacks = 0;
	tcp_output(st, pcb, now);
	pcb->cwnd = cwnd;
	pcb->dupacks = dupacks;
	if (pcb->snd_max == max) {
		/* The last segment: with our FIN, the FIN and up to one SMSS of
		 * data before it. If the peer SACKed it already, a copy would
		 * only bring a D-SACK: SND.UNA's segment instead (the hole,
		 * its retransmission perhaps lost). */
		bool fin = tcp_has(pcb, TCP_PF_FIN_SENT) && pcb->snd_fin_seq + 1 == max;
		uint32_t end = fin ? pcb->snd_fin_seq : max;
		uint32_t len = tcp_seq_gt(end, pcb->snd_una)
				   ? TCP_MIN(end - pcb->snd_una, (uint32_t)pcb->mss)
				   : 0;
		if (!fin && pcb->sb_n > 0 && pcb->sb[pcb->sb_n - 1].right == max) {
			len = TCP_MIN(pcb->sb[0].left - pcb->snd_una, (uint32_t)pcb->mss);
			end = pcb->snd_una + len;
		}
		tcp_send_data_seg(st, pcb, end - len, len, fin, now);
	}
	tcp_arm_rtx(st, pcb, now);
}

/* RFC 6298 5.4-5.7 for data; SYN / SYN-ACK retries; persist probes. */
static void
rtx_timeout(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	const struct tcp_conf *c = &st->conf;

	pcb->t_rtx = 0;
	if (pcb->tlp_armed) {
		pcb->tlp_armed = false;
		if (tlp_ok(pcb)) {
			tlp_probe(st, pcb, now);
			return;
		}
	}
	if (tcp_has(pcb, TCP_PF_PERSIST)) {
		/* Linux tcp_probe_timer: the probes give up after retries2
		 * unanswered ones (any ACK resets the count). */
		if (pcb->retries >= c->retries2) {
			st->stats.timeouts++;
			tcp_fail(st, pcb, ETIMEDOUT);
			return;
		}
		pcb->retries++;
		st->stats.persist_probes++;
		tcp_send_probe(st, pcb, now);
		if (pcb->backoff < 31)
			pcb->backoff++;
		if (pcb->snd_una != pcb->snd_max)
			pcb->flags &= (uint16_t)~TCP_PF_PERSIST; /* data went out: RTO from now */
		tcp_arm_rtx(st, pcb, now);
		return;
	}
	st->stats.rto_fires++;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RCVD) {
		bool passive = tcp_has(pcb, TCP_PF_PASSIVE);
		uint32_t limit = passive ? c->synack_retries : c->syn_retries;
		if (pcb->retries >= limit) {
			st->stats.timeouts++;
			if (passive) /* nobody to tell: the request just goes away */
				tcp_set_state(st, pcb, TCPS_CLOSED);
			else
				tcp_fail(st, pcb, ETIMEDOUT);
			return;
		}
		pcb->retries++;
		if (pcb->backoff < 31)
			pcb->backoff++;
		pcb->flags |= TCP_PF_RTX_SYN;
		pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING; /* Karn */
		tcp_send_syn(st, pcb, now);
		tcp_arm_rtx(st, pcb, now);
		return;
	}
	if (pcb->snd_una == pcb->snd_max)
		return; /* everything acknowledged meanwhile */
	/* TCP_USER_TIMEOUT: data unacknowledged that long ends the
	 * connection, whatever retries2 says (Linux retransmits_timed_out
	 * with the user timeout; measured here from when SND.UNA last moved
	 * or data left an idle connection). */
	if (pcb->user_timeout != 0 &&
	    now - pcb->una_ts >= (uint64_t)pcb->user_timeout * 1000) {
		st->stats.timeouts++;
		st->stats.user_timeouts++;
		tcp_fail(st, pcb, ETIMEDOUT);
		return;
	}
	if (pcb->snd_wnd == 0) {
		/* The peer shrank its window to zero under data in flight: the
		 * retransmission is a window probe, and as Linux
		 * (tcp_retransmit_timer) the connection does not time out while
		 * the peer keeps answering, only after rto_max without an ACK. */
		if (now - pcb->last_ack_rcv > c->rto_max) {
			st->stats.timeouts++;
			tcp_fail(st, pcb, ETIMEDOUT);
			return;
		}
		if (pcb->backoff < 31)
			pcb->backoff++;
		pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING;
		/* Go back to after the probe (as tcp_enter_loss marks the rest
		 * lost): when the window opens, the rest goes again at once. */
		pcb->snd_nxt = pcb->snd_una + tcp_retransmit_head(st, pcb, now);
		tcp_arm_rtx(st, pcb, now);
		return;
	}
	if (pcb->retries >= c->retries2) {
		st->stats.timeouts++;
		tcp_fail(st, pcb, ETIMEDOUT);
		return;
	}
	pcb->retries++;
	if (pcb->backoff < 31)
		pcb->backoff++;
	/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 SMSS) once per
	 * loss episode (not again on a retransmission timing out, RFC 5681
	 * §3.1 note), cwnd = 1 SMSS (the loss window); RFC 6582 §4: recover
	 * = the highest sequence sent. Go back to SND.UNA (Linux marks
	 * everything outstanding lost). */
	if (pcb->retries == 1) {
		if (pcb->opt_ok & TCP_OPT_F_SACK_OK)
			tcp_undo_arm(pcb, now, true); /* the RTO may prove spurious */
		pcb->ssthresh = tcp_cc_ssthresh(st, pcb, now);
		tcp_cc_rto(pcb, now);
	}
	pcb->cwnd = pcb->mss;
	pcb->recover = pcb->snd_max;
	pcb->flags &= (uint16_t) ~(TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY | TCP_PF_SACK_LOSS |
				   TCP_PF_RTT_TIMING);
	pcb->dupacks = 0;
	pcb->bytes_acked = 0;
	if ((pcb->opt_ok & TCP_OPT_F_SACK_OK) && pcb->retries == 1) {
		/* With SACK, the first RTO keeps the scoreboard (as Linux's
		 * tcp_enter_loss unless it saw reneging): every hole is lost
		 * and goes again in slow start, SACKed data does not. At 10%
		 * loss going back N resent ~90% of the window for nothing
		 * and each loss in it waited for another RTO. */
		tcp_sack_enter_loss(st, pcb, now);
		return;
	}
	/* The receiver may have reneged (RFC 2018 §8): after a second RTO
	 * (or without SACK) the scoreboard is forgotten and everything from
	 * SND.UNA goes again. */
	pcb->rxt_log_n = 0;
	pcb->sb_n = 0;
	tcp_rack_reset(pcb);
	pcb->undo_cwnd = 0; /* go-back-N resends are not tracked: no undo */
	pcb->sacked_out = 0;
	pcb->high_rxt = pcb->snd_una;
	pcb->lt_bytes = 0;
	pcb->snd_nxt = pcb->snd_una;
	tcp_arm_rtx(st, pcb, now);
	tcp_output(st, pcb, now);
}

/* ---------------------------------------------------------------------- */
/* Keepalive (RFC 1122 4.2.3.6 as Linux's tcp_keepalive_timer)             */
/* ---------------------------------------------------------------------- */

static uint64_t
ka_idle(const struct tcp_stack *st, const struct tcp_pcb *pcb)
{
	return pcb->ka_idle != 0 ? pcb->ka_idle : st->conf.keepalive_time;
}

static uint64_t
ka_intvl(const struct tcp_stack *st, const struct tcp_pcb *pcb)
{
	return pcb->ka_intvl != 0 ? pcb->ka_intvl : st->conf.keepalive_intvl;
}

static bool
ka_state(uint8_t s)
{
	return s != TCPS_CLOSED && s != TCPS_LISTEN && s != TCPS_SYN_SENT && s != TCPS_SYN_RCVD &&
	       s != TCPS_TIME_WAIT;
}

/* (Re)arm the keepalive timer one idle period after the last segment
 * received, or cancel it (SO_KEEPALIVE off, or a state without it). */
void
tcp_keepalive_reset(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	if (!tcp_has(pcb, TCP_PF_KEEPALIVE) || !ka_state(pcb->state)) {
		pcb->t_keep = 0;
	} else {
		uint64_t last = pcb->last_seg_rcv != 0 ? pcb->last_seg_rcv : now;
		uint64_t d = last + ka_idle(st, pcb);
		pcb->t_keep = d > now ? d : now + 1;
	}
	tcp_timer_sync(st, pcb);
}

/*
 * Linux tcp_keepalive_timer: nothing while data is in flight or queued
 * (the retransmission timer watches those); after `idle` without a
 * segment from the peer a probe (SEG.SEQ = SND.UNA - 1, no data, RFC
 * 1122's "garbage octet" form without the octet, as Linux) every `intvl`;
 * `cnt` unanswered probes -- or, with TCP_USER_TIMEOUT, that much idle
 * time once a probe went unanswered -- end the connection with an RST and
 * ETIMEDOUT. Any segment from the peer resets the probe count.
 */
static void
keepalive_timeout(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	pcb->t_keep = 0;
	if (!tcp_has(pcb, TCP_PF_KEEPALIVE) || !ka_state(pcb->state))
		return;
	if (pcb->snd_una != pcb->snd_max || pcb->snd.len > pcb->snd_nxt - pcb->snd_una) {
		pcb->t_keep = now + ka_intvl(st, pcb);
		return;
	}
	uint64_t last = pcb->last_seg_rcv != 0 ? pcb->last_seg_rcv : now;
	uint64_t elapsed = now - last;
	uint64_t idle = ka_idle(st, pcb);
	if (elapsed < idle) {
		pcb->t_keep = now + (idle - elapsed);
		return;
	}
	uint32_t cnt = pcb->ka_cnt != 0 ? pcb->ka_cnt : st->conf.keepalive_probes;
	bool dead = pcb->user_timeout != 0
			? elapsed >= (uint64_t)pcb->user_timeout * 1000 && pcb->ka_probes > 0
			: pcb->ka_probes >= cnt;
	if (dead) {
		st->stats.timeouts++;
		st->stats.keepalive_timeouts++;
		tcp_send_rst_pcb(st, pcb);
		tcp_fail(st, pcb, ETIMEDOUT);
		return;
	}
	st->stats.keepalive_probes++;
	tcp_send_probe(st, pcb, now);
	if (pcb->ka_probes < UINT8_MAX)
		pcb->ka_probes++;
	pcb->t_keep = now + ka_intvl(st, pcb);
}

void
tcp_timers(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	if (pcb->t_wait != 0 && pcb->t_wait <= now) {
		/* TIME-WAIT over (RFC 9293 §3.10.8), or an orphan's
		 * FIN-WAIT-2 gave up (Linux tcp_fin_timeout). */
		pcb->t_wait = 0;
		tcp_set_state(st, pcb, TCPS_CLOSED);
		return;
	}
	if (pcb->t_rtx != 0 && pcb->t_rtx <= now) {
		rtx_timeout(st, pcb, now);
		if (pcb->state == TCPS_CLOSED)
			return;
	}
	if (pcb->t_reo != 0 && pcb->t_reo <= now) {
		tcp_rack_timeout(st, pcb, now); /* RACK's reorder window passed */
		if (pcb->state == TCPS_CLOSED)
			return;
	}
	if (pcb->t_delack != 0 && pcb->t_delack <= now) {
		pcb->t_delack = 0;
		st->stats.delayed_acks++;
		tcp_send_ack(st, pcb, now);
	}
	if (pcb->t_keep != 0 && pcb->t_keep <= now) {
		keepalive_timeout(st, pcb, now);
		if (pcb->state == TCPS_CLOSED)
			return;
	}
	tcp_timer_sync(st, pcb);
}

struct expire_ctx {
	struct tcp_stack *st;
	uint64_t now;
};

static void
wheel_cb(struct tcp_tnode *n, void *arg)
{
	struct expire_ctx *x = arg;
	tcp_timers(x->st, tcp_pcb_of_tnode(n), x->now);
}

unsigned
tcp_stack_timers(struct tcp_stack *st, uint64_t now)
{
	struct expire_ctx x = {st, now};
	return tcp_wheel_expire(&st->wheel, now, wheel_cb, &x);
}
