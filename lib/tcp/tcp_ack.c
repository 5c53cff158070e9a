/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9293 §3.10.7.4 fifth step for the synchronized states: the ACK
 * field, the send window, and what an ACK means for the RTT estimator
 * (RFC 6298) and congestion control (RFC 5681, NewReno RFC 6582).
 */
#include <string.h>

#include "tcp_priv.h"

/* Sending MSS (RFC 9293 §3.7.1, RFC 1122 4.2.2.6): the peer's MSS option,
 * 536 when absent, never above what our route allows (adv_mss), less the
 * option bytes every segment carries (timestamps: 12, as Linux's
 * mss_cache; RFC 9293 §3.7.1 "the MSS ... excludes TCP options"). Call
 * after tcp_opts_negotiate. */
void
tcp_apply_mss(const struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	(void)st;
	uint32_t m = (seg->opts & TCP_OPT_F_MSS) ? seg->mss : TCP_DEFAULT_MSS;
	if (m > pcb->adv_mss)
		m = pcb->adv_mss;
	if (pcb->pmtu != 0 && m > pcb->pmtu - 40u) /* RFC 1191 (learnt during the handshake) */
		m = pcb->pmtu - 40u;
	/* The floor first, then the option bytes: never below TCP_MIN_MSS
	 * (a tiny announced MSS would otherwise wrap). */
	m = m > TCP_MIN_MSS + tcp_opts_len(pcb) ? m - tcp_opts_len(pcb) : TCP_MIN_MSS;
	pcb->mss = (uint16_t)m;
}

/* Congestion state at the start of data transfer: IW 10 (RFC 6928 as
 * Linux), or 1 segment if the SYN or SYN-ACK had to be retransmitted
 * (RFC 5681 §3.1). */
void
tcp_cc_init(const struct tcp_stack *st, struct tcp_pcb *pcb)
{
	pcb->cwnd = pcb->retries > 0 ? pcb->mss : st->conf.init_cwnd * pcb->mss;
	pcb->ssthresh = UINT32_MAX;
	pcb->recover = pcb->iss;
	pcb->ecn_recover = pcb->iss;
	/* RACK's boundaries start at SND.UNA (not 0: with a random ISN, 0 may
	 * compare as ahead of every sequence number). */
	tcp_rack_reset(pcb);
	pcb->dupacks = 0;
	pcb->bytes_acked = 0;
	if (pcb->cc == NULL)
		pcb->cc = st->conf.cc != NULL ? st->conf.cc : &tcp_cc_cubic;
	memset(pcb->cc_priv, 0, sizeof(pcb->cc_priv));
	if (pcb->cc->init != NULL)
		pcb->cc->init(pcb, 0);
}

/* ---------------------------------------------------------------------- */
/* Step five's ACK processing for the synchronized states                  */
/* ---------------------------------------------------------------------- */

static void
new_ack(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	uint32_t ack = seg->ack;
	uint32_t acked = ack - pcb->snd_una;
	bool fin_acked = tcp_has(pcb, TCP_PF_FIN_SENT) && tcp_seq_gt(ack, pcb->snd_fin_seq);
	uint32_t data = acked - fin_acked;
	uint64_t rtt = 0;

	/* RTT sample (RFC 6298 §3, Karn: the timed segment was never
	 * retransmitted, timing stops on any retransmission). */
	if (tcp_has(pcb, TCP_PF_RTT_TIMING) && tcp_seq_gt(ack, pcb->rtt_seq)) {
		rtt = now - pcb->rtt_ts;
		pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING;
	} else if ((pcb->opt_ok & TCP_OPT_F_TS) && (seg->opts & TCP_OPT_F_TS) && seg->tsecr != 0) {
		/* RFC 7323 §4.1: every ACK advancing SND.UNA gives a sample
		 * from its TSecr, retransmissions included (the echo says
		 * which transmission it answers). ms resolution: the µs timed
		 * sample is preferred when there is one (as Linux prefers its
		 * skb timestamps). A TSecr from the future is ignored. */
		uint32_t d = tcp_ts_now(pcb, now) - seg->tsecr;
		if ((int32_t)d >= 0 && d < 600000u)
			rtt = d > 0 ? (uint64_t)d * 1000 : 1000;
	}
	if (rtt != 0)
		tcp_rtt_sample(st, pcb, rtt);
	pcb->una_ts = now;
	pcb->ka_probes = 0;
	pcb->retries = 0;
	pcb->backoff = 0; /* RFC 6298 5.7 / Linux: a new ACK ends the backoff */

	if (data > pcb->snd.len)
		data = pcb->snd.len;
	pcb->snd.head += data;
	pcb->snd.len -= data;
	pcb->bytes_acked_total += data;
	pcb->snd_una = ack;
	if (tcp_seq_lt(pcb->snd_nxt, ack))
		pcb->snd_nxt = ack;
	pcb->lt_bytes = 0;
	pcb->tlp_sent = false;
	pcb->tlp_n = 0;
	tcp_sack_clean(pcb);

	if (tcp_has(pcb, TCP_PF_IN_RECOVERY)) {
		if (tcp_seq_geq(ack, pcb->recover)) {
			uint32_t flight = pcb->snd_max - pcb->snd_una;
			if (tcp_has(pcb, TCP_PF_SACK_LOSS)) {
				/* Recovery begun by an RTO: slow start went on
				 * through it; cwnd stays (Linux leaving CA_Loss). */
			} else if (tcp_has(pcb, TCP_PF_SACK_RECOVERY)) {
				/* RFC 6937 §3 (PRR) / Linux tcp_end_cwnd_reduction:
				 * the reduction ends at ssthresh. RFC 6582's option
				 * 1 below deflates to FlightSize + SMSS, which is
				 * 2 SMSS when the full ACK covers everything: on a
				 * lossy path every recovery then left cwnd at 2-3
				 * segments (measured at 10% loss against Linux). */
				if (pcb->ssthresh != UINT32_MAX)
					pcb->cwnd = pcb->ssthresh;
			} else {
				/* RFC 6582 §3.2 step 3, full ACK: deflate, option 1:
				 * min(ssthresh, max(FlightSize, SMSS) + SMSS). */
				pcb->cwnd = TCP_MIN(pcb->ssthresh,
						    TCP_MAX(flight, (uint32_t)pcb->mss) + pcb->mss);
			}
			pcb->flags &= (uint16_t) ~(TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY |
						   TCP_PF_SACK_LOSS);
			pcb->dupacks = 0;
			tcp_cc_event(pcb, TCP_CA_EV_RECOVERY_END, now);
		} else if (tcp_has(pcb, TCP_PF_SACK_RECOVERY)) {
			/* RFC 6675: a partial ACK is one more ACK; NextSeg.
			 * After an RTO, slow start meanwhile (RFC 5681 §3.1:
			 * cwnd grows per ACK up to ssthresh). */
			if (tcp_has(pcb, TCP_PF_SACK_LOSS) && pcb->cwnd < pcb->ssthresh)
				pcb->cwnd += TCP_MIN(acked, TCP_MIN((uint32_t)pcb->mss,
								    pcb->ssthresh - pcb->cwnd));
			tcp_sack_send(st, pcb, now);
		} else {
			/* Step 4, partial ACK: retransmit the next hole, deflate
			 * by the amount acked, add back one SMSS if that was at
			 * least one SMSS, restart the timer. */
			tcp_retransmit_head(st, pcb, now);
			pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked : 0;
			if (acked >= pcb->mss)
				pcb->cwnd += pcb->mss;
			if (pcb->cwnd < pcb->mss)
				pcb->cwnd = pcb->mss;
		}
	} else {
		pcb->dupacks = 0;
		tcp_cc_on_ack(st, pcb, acked, rtt, now);
	}
	/* RFC 6298 5.2 / 5.3. */
	if (pcb->snd_una == pcb->snd_max) {
		pcb->t_rtx = 0;
		pcb->t_reo = 0;
		pcb->flags &= (uint16_t)~TCP_PF_PERSIST;
	} else if (!tcp_has(pcb, TCP_PF_PERSIST)) {
		tcp_arm_rtx(st, pcb, now);
	}
	if (data > 0)
		st->ops->snd_acked(st, pcb, data);
	if (fin_acked)
		tcp_event(st, pcb, TCP_EV_WRITE_DONE, 0);
}

/* RFC 5681 §3.2 fast retransmit on the third duplicate ACK, NewReno
 * (RFC 6582 §3.2 steps 1-2) only if it covers more than `recover`. */
static void
dup_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	pcb->dupacks++;
	pcb->dupacks_total++;
	if (tcp_has(pcb, TCP_PF_SACK_RECOVERY)) {
		tcp_sack_send(st, pcb, now); /* RFC 6675 (C): pipe, not inflation */
		return;
	}
	if (tcp_has(pcb, TCP_PF_IN_RECOVERY)) {
		pcb->cwnd += pcb->mss; /* step 3: inflate per further dup ACK */
		return;
	}
	bool sack = (pcb->opt_ok & TCP_OPT_F_SACK_OK) != 0;
	/* RFC 6675 §5: DupThresh duplicates, or IsLost(SND.UNA) from the
	 * scoreboard; never again below `recover` (RFC 6582 §3.2 step 2). */
	/* After a tail loss probe, data sent 2 SRTT after SND.UNA's segment
	 * has been SACKed while SND.UNA was not: lost (RFC 8985's RACK rule
	 * for that case; tcp_rack.c has the general one).
	 *
	 * RFC 6582's "only above `recover`" guards NewReno against the
	 * duplicate ACKs its own go-back-N retransmissions cause. With SACK
	 * a new recovery needs newly SACKed data, which such duplicates do
	 * not bring (they are D-SACKs), so the guard stays only while a
	 * go-back-N pass is still resending (SND.NXT < SND.MAX): RFC 6675
	 * has no such rule, nor has Linux. Without this, a loss of the
	 * segment right at a finished recovery's point could only end in
	 * an RTO (at 10% loss: most of the RTOs seen against Linux). */
	bool guard = !sack || tcp_seq_lt(pcb->snd_nxt, pcb->snd_max);
	if (!(pcb->dupacks >= 3 ||
	      (sack && (pcb->tlp_sent || tcp_sack_is_lost(pcb, pcb->snd_una)))) ||
	    (guard && !tcp_seq_gt(pcb->snd_una, pcb->recover)))
		return;
	if (sack) {
		tcp_sack_enter_recovery(st, pcb, now);
		return;
	}
	if (pcb->dupacks != 3)
		return;
	pcb->ssthresh = tcp_cc_ssthresh(st, pcb, now);
	pcb->recover = pcb->snd_max;
	pcb->flags |= TCP_PF_IN_RECOVERY;
	pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING;
	st->stats.fast_retrans++;
	tcp_retransmit_head(st, pcb, now);
	pcb->cwnd = pcb->ssthresh + 3u * pcb->mss;
}

/* Returns false when the segment must be dropped (bad ACK handled). */
bool
tcp_ack_in(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now,
	   enum tcp_drop *r)
{
	uint32_t ack = seg->ack;

	if (tcp_seq_gt(ack, pcb->snd_max)) {
		/* "If the ACK acks something not yet sent (SEG.ACK >
		 * SND.NXT), then send an ACK, drop the segment, and return." */
		pcb->flags |= TCP_PF_ACK_NOW;
		*r = TCP_DROP_BAD_ACK;
		return false;
	}
	/* RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND is not
	 * acceptable (blind data injection): challenge ACK, drop the whole
	 * segment (Linux tcp_ack: TCP_TOO_OLD_ACK). max_sndwnd is Linux's
	 * max_window, the largest window the peer offered. */
	if (tcp_seq_lt(ack, pcb->snd_una - pcb->max_sndwnd)) {
		st->stats.old_ack_drops++;
		tcp_send_challenge_ack(st, pcb, now);
		*r = TCP_DROP_BAD_ACK;
		return false;
	}
	bool window_same = ((uint32_t)seg->wnd << pcb->snd_wscale) == pcb->snd_wnd;
	pcb->last_ack_rcv = now;
	pcb->retries = tcp_has(pcb, TCP_PF_PERSIST) ? 0 : pcb->retries; /* probe answered */

	/* Window update: "If SND.UNA =< SEG.ACK =< SND.NXT" and the segment
	 * is newer (SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK). */
	if (tcp_seq_geq(ack, pcb->snd_una) &&
	    (tcp_seq_lt(pcb->snd_wl1, seg->seq) ||
	     (pcb->snd_wl1 == seg->seq && tcp_seq_leq(pcb->snd_wl2, ack)))) {
		pcb->snd_wnd = (uint32_t)seg->wnd << pcb->snd_wscale;
		pcb->snd_wl1 = seg->seq;
		pcb->snd_wl2 = ack;
		if (pcb->snd_wnd > pcb->max_sndwnd)
			pcb->max_sndwnd = pcb->snd_wnd;
	}

	bool new_sack = tcp_sack_update(st, pcb, seg);
	tcp_rack_update(st, pcb, seg, now);
	tcp_undo_ack(st, pcb, seg);
	if (tcp_seq_gt(ack, pcb->snd_una)) {
		new_ack(st, pcb, seg, now);
	} else if (ack == pcb->snd_una &&
		   ((seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) && window_same) ||
		    new_sack) &&
		   pcb->snd_una != pcb->snd_max &&
		   !tcp_has(pcb, TCP_PF_PERSIST) && pcb->snd_wnd != 0) {
		/* RFC 5681 §2's duplicate ACK (a) to (e). Not with a zero
		 * window: those ACKs answer our probes, they say nothing of
		 * loss. With SACK, RFC 6675 §2's definition: an ACK that
		 * SACKs new data is a duplicate even if the window moved (a
		 * Linux receiver's window shrinks with every out-of-order
		 * segment it holds, so (e) would almost never hold), and
		 * whether or not it carries data (Linux tcp_ack: SACKed data
		 * makes any ACK "dubious"; the reverse direction's data would
		 * otherwise hide every loss signal of a two-way transfer). */
		dup_ack(st, pcb, now);
	}
	/* "If SEG.ACK < SND.UNA" (old duplicate): ignored; the rest of the
	 * segment is still processed. */
	tcp_rack_act(st, pcb, now);
	tcp_sack_lost_rxt(st, pcb, now);

	/* RFC 3168 §6.1.2: ECE -> reduce as for a loss, at most once per
	 * window of data (ecn_recover), without retransmitting; CWR goes
	 * on the next new data. Already in loss recovery: no second
	 * reduction, but CWR still tells the receiver we reacted. */
	if ((pcb->ecn & TCP_ECN_OK) && (seg->flags & TCP_ECE) && !(seg->flags & TCP_SYN) &&
	    tcp_seq_gt(ack, pcb->ecn_recover)) {
		if (!tcp_has(pcb, TCP_PF_IN_RECOVERY)) {
			pcb->ssthresh = tcp_cc_ssthresh(st, pcb, now);
			pcb->cwnd = TCP_MAX(pcb->ssthresh, (uint32_t)pcb->mss);
			pcb->bytes_acked = 0;
			st->stats.ecn_cwnd_reductions++;
		}
		pcb->ecn_recover = pcb->snd_max;
		pcb->ecn |= TCP_ECN_SEND_CWR;
	}

	/* The window opened while probing: back to normal sending
	 * (Linux tcp_ack_probe). */
	if (tcp_has(pcb, TCP_PF_PERSIST) && pcb->snd_wnd > 0) {
		pcb->flags &= (uint16_t)~TCP_PF_PERSIST;
		pcb->t_rtx = 0;
		pcb->backoff = 0;
		pcb->retries = 0;
	}
	return true;
}
