/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RACK (RFC 8985 §6) by send order. RACK marks a segment lost once a
 * segment sent after it has been delivered (SACKed) and a reordering
 * window has passed. RFC 8985 compares per-segment transmit times; we
 * keep no per-segment state (the send ring is the only record), but the
 * order of transmissions is recoverable from sequence numbers:
 *
 * - data first sent at sequence s left before any data first sent at
 *   s' > s (SND.MAX only grows: a go-back-N pass after a second RTO is
 *   the exception, and RACK is off until it is over);
 * - a retransmission logged with mark M (SND.MAX when it left, rxt_log)
 *   left after everything below M and before anything at or above M.
 *
 * So "a segment sent after it was delivered" is: some SACKed byte at or
 * above the hole's end (an original) or at or above its mark (a
 * retransmission). rack_key is the right edge of the highest SACKed byte
 * seen; rack_lost follows it once the reorder window passed. Because
 * the delivered segment left no earlier than the hole, the time RFC
 * 8985 waits (RACK.rtt + reo_wnd after the hole left) has always passed
 * by the time its SACK arrives, except for reo_wnd itself, which we wait
 * from the SACK's arrival (t_reo): never earlier than RFC 8985, at most
 * one reo_wnd later.
 *
 * What this buys over RFC 6675's DupThresh (three segments SACKed above
 * a hole): a loss is seen on the first SACK above it, and a lost
 * retransmission on the first SACK of data sent after it, instead of
 * after two more round trips (limited transmit) in which, at 10% loss
 * each way, another loss often left only the RTO.
 */
#include "tcp_priv.h"

bool
tcp_rack_ok(const struct tcp_pcb *pcb)
{
	return (pcb->opt_ok & TCP_OPT_F_SACK_OK) && pcb->snd_nxt == pcb->snd_max;
}

/* RFC 8985 §6.2.4: no window while no reordering was seen and the
 * connection is in recovery or DupThresh segments are SACKed; else
 * reo_wnd_mult * min_rtt / 4, at most SRTT. */
uint64_t
tcp_rack_reo_wnd(const struct tcp_pcb *pcb)
{
	if (!pcb->rack_reord &&
	    (tcp_has(pcb, TCP_PF_IN_RECOVERY) || pcb->sacked_out >= 3u * pcb->mss))
		return 0;
	uint64_t mult = pcb->rack_reo_mult != 0 ? pcb->rack_reo_mult : 1;
	uint64_t w = mult * pcb->rack_min_rtt / 4;
	return w < pcb->srtt ? w : pcb->srtt;
}

static void
commit(struct tcp_pcb *pcb, uint32_t key)
{
	if (tcp_seq_gt(key, pcb->rack_lost))
		pcb->rack_lost = key;
}

/* The reorder window of rack_pend passed: it counts; rack_next (newer)
 * starts its own window. */
static void
expire(struct tcp_pcb *pcb, uint64_t now)
{
	commit(pcb, pcb->rack_pend);
	pcb->t_reo = 0;
	if (tcp_seq_gt(pcb->rack_next, pcb->rack_lost)) {
		uint64_t w = tcp_rack_reo_wnd(pcb);
		pcb->rack_pend = pcb->rack_next;
		if (w == 0)
			commit(pcb, pcb->rack_pend);
		else
			pcb->t_reo = now + w;
	}
}

/* Called with each ACK after the scoreboard took its SACK blocks and
 * before SND.UNA moves: the newest delivered send, reordering seen, the
 * lost boundary (at once or after the reorder window). */
void
tcp_rack_update(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	if (!(pcb->opt_ok & TCP_OPT_F_SACK_OK))
		return;
	/* Keep the boundaries inside SND.UNA..SND.MAX (a boundary left far
	 * behind would compare as ahead once the sequence space wraps). */
	if (tcp_seq_lt(pcb->rack_key, pcb->snd_una) || tcp_seq_gt(pcb->rack_key, pcb->snd_max))
		pcb->rack_key = pcb->snd_una;
	if (tcp_seq_lt(pcb->rack_lost, pcb->snd_una) || tcp_seq_gt(pcb->rack_lost, pcb->rack_key))
		pcb->rack_lost = pcb->snd_una;
	/* RACK.reord (RFC 8985 §6.2 step 3): the cumulative ACK filled a
	 * hole below SACKed data with an original transmission (never
	 * retransmitted: at or above HighRxt). The scoreboard notes the
	 * same for SACK blocks (tcp_sack_update). */
	if (tcp_seq_gt(seg->ack, pcb->snd_una) && pcb->sb_n > 0 &&
	    tcp_seq_lt(pcb->snd_una, pcb->sb[0].left) && tcp_seq_geq(pcb->snd_una, pcb->high_rxt) &&
	    !tcp_has(pcb, TCP_PF_IN_RECOVERY))
		pcb->rack_reord = true;
	if (!tcp_rack_ok(pcb))
		return;
	if (pcb->t_reo != 0 && now >= pcb->t_reo)
		expire(pcb, now);
	uint32_t key = pcb->sb_n > 0 ? pcb->sb[pcb->sb_n - 1].right : pcb->snd_una;
	if (!tcp_seq_gt(key, pcb->rack_key))
		return;
	pcb->rack_key = key;
	uint64_t w = tcp_rack_reo_wnd(pcb);
	if (w == 0 && pcb->t_reo == 0) {
		commit(pcb, key);
	} else if (pcb->t_reo == 0) {
		pcb->rack_pend = key;
		pcb->t_reo = now + w;
		tcp_timer_sync(st, pcb);
	} else {
		pcb->rack_next = key;
	}
}

/* Is the retransmission logged at rxt_log[i] lost again: something sent
 * after it (at or above its mark) delivered, the window passed. */
static bool
rxt_entry_lost(const struct tcp_pcb *pcb, unsigned i)
{
	return tcp_seq_lt(pcb->rxt_log[i].mark, pcb->rack_lost);
}

/* Is [s, ...) inside a SACKed interval. */
static bool
sacked(const struct tcp_pcb *pcb, uint32_t s)
{
	for (unsigned i = 0; i < pcb->sb_n; i++)
		if (tcp_seq_geq(s, pcb->sb[i].left) && tcp_seq_lt(s, pcb->sb[i].right))
			return true;
	return false;
}

/* The hole piece at s (below HighRxt) was retransmitted and that
 * retransmission is lost too: it is no longer in the pipe. */
bool
tcp_rack_rxt_lost(const struct tcp_pcb *pcb, uint32_t s)
{
	if (!tcp_rack_ok(pcb))
		return false;
	for (unsigned i = 0; i < pcb->rxt_log_n; i++)
		if (tcp_seq_geq(s, pcb->rxt_log[i].seq) &&
		    tcp_seq_lt(s, pcb->rxt_log[i].seq + pcb->mss))
			return rxt_entry_lost(pcb, i);
	return false;
}

/* The lowest retransmission RACK found lost again that is still a hole:
 * *seq and true, or false. */
bool
tcp_rack_next_rxt(const struct tcp_pcb *pcb, uint32_t *seq)
{
	if (!tcp_rack_ok(pcb))
		return false;
	bool found = false;
	for (unsigned i = 0; i < pcb->rxt_log_n; i++) {
		uint32_t s = pcb->rxt_log[i].seq;
		if (!rxt_entry_lost(pcb, i) || tcp_seq_lt(s, pcb->snd_una) ||
		    !tcp_seq_lt(s, pcb->snd_max) || sacked(pcb, s))
			continue;
		if (!found || tcp_seq_lt(s, *seq))
			*seq = s;
		found = true;
	}
	return found;
}

/* An original transmission (at or above HighRxt) in a hole at seq is
 * lost: data sent after it was delivered and the window passed. */
bool
tcp_rack_orig_lost(const struct tcp_pcb *pcb, uint32_t seq)
{
	return tcp_rack_ok(pcb) && tcp_seq_geq(seq, pcb->high_rxt) &&
	       tcp_seq_lt(seq, pcb->rack_lost);
}

/* What RACK's marks call for: in SACK recovery, NextSeg (which now sees
 * them); outside it, recovery if SND.UNA's segment is lost (RFC 8985
 * §6.2 step 5 starts fast recovery; no RFC 6582 "above recover" guard:
 * only newly SACKed data can move rack_lost). */
void
tcp_rack_act(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	if (!tcp_rack_ok(pcb) || pcb->snd_una == pcb->snd_max || pcb->snd_wnd == 0 ||
	    tcp_has(pcb, TCP_PF_PERSIST))
		return;
	if (tcp_has(pcb, TCP_PF_SACK_RECOVERY)) {
		tcp_sack_send(st, pcb, now);
		return;
	}
	if (tcp_has(pcb, TCP_PF_IN_RECOVERY) || !tcp_rack_orig_lost(pcb, pcb->snd_una))
		return;
	st->stats.rack_recoveries++;
	tcp_sack_enter_recovery(st, pcb, now);
}

/* t_reo expired (tcp_timers). */
void
tcp_rack_timeout(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	st->stats.rack_reo_timeouts++;
	expire(pcb, now);
	tcp_rack_act(st, pcb, now);
	tcp_output(st, pcb, now);
}

/* The scoreboard was forgotten (second RTO, go-back-N): nothing is
 * known delivered above SND.UNA any more. */
void
tcp_rack_reset(struct tcp_pcb *pcb)
{
	pcb->rack_key = pcb->rack_lost = pcb->rack_pend = pcb->rack_next = pcb->snd_una;
	pcb->t_reo = 0;
}

/* RFC 8985 §6.2.4: each D-SACK widens the reorder window by min_rtt/4
 * (up to SRTT through the cap in tcp_rack_reo_wnd). Linux resets the
 * multiplier after 16 recoveries without D-SACK; we keep it. */
void
tcp_rack_dsack(struct tcp_pcb *pcb)
{
	if (pcb->rack_reo_mult < UINT8_MAX)
		pcb->rack_reo_mult =
		    (uint8_t)(pcb->rack_reo_mult == 0 ? 2 : pcb->rack_reo_mult + 1);
}

/* An RTT sample: RACK's reorder window scales with the minimum RTT. */
void
tcp_rack_rtt(struct tcp_pcb *pcb, uint64_t rtt)
{
	uint32_t r = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
	if (pcb->rack_min_rtt == 0 || r < pcb->rack_min_rtt)
		pcb->rack_min_rtt = r;
}

/* ---------------------------------------------------------------------- */
/* Undo of spurious reductions (RFC 3522 Eifel, RFC 3708 D-SACK; Linux    */
/* tcp_try_undo_recovery / _loss / _dsack)                                 */
/* ---------------------------------------------------------------------- */

/* A reduction is about to happen (fast recovery, first RTO): remember
 * what to go back to, and when its first retransmission leaves. */
void
tcp_undo_arm(struct tcp_pcb *pcb, uint64_t now, bool rto)
{
	pcb->undo_rto = rto;
	pcb->undo_cwnd = pcb->cwnd;
	pcb->undo_ssthresh = pcb->ssthresh;
	pcb->undo_ts = tcp_ts_now(pcb, now);
	pcb->undo_lo = pcb->snd_una;
	pcb->undo_hi = pcb->snd_una;
	pcb->undo_rxt = 0;
}

/* rexmit: one more retransmission of [s, e) in the armed episode. */
void
tcp_undo_note_rxt(struct tcp_pcb *pcb, uint32_t e)
{
	if (pcb->undo_cwnd == 0)
		return;
	if (pcb->undo_rxt < UINT16_MAX)
		pcb->undo_rxt++;
	if (tcp_seq_gt(e, pcb->undo_hi))
		pcb->undo_hi = e;
}

static void
undo(struct tcp_pcb *pcb)
{
	if (pcb->cwnd < pcb->undo_cwnd)
		pcb->cwnd = pcb->undo_cwnd;
	if (pcb->ssthresh < pcb->undo_ssthresh)
		pcb->ssthresh = pcb->undo_ssthresh;
	/* The episode was a mistake: leave recovery (Linux tcp_try_keep_open
	 * / leaving CA_Loss); after an RTO every hole was deemed lost, no
	 * longer. RACK and IsLost decide from here; SND.UNA's segment was
	 * retransmitted, so RACK does not start a new episode on it. */
	pcb->flags &= (uint16_t) ~(TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY | TCP_PF_SACK_LOSS);
	pcb->dupacks = 0;
	pcb->undo_cwnd = 0;
	/* A fast retransmit proven spurious means the original arrived after
	 * data sent later: reordering (Linux tcp_try_undo_partial ->
	 * tcp_check_sack_reordering). RACK keeps a reorder window from now
	 * on, also in recovery. Not for an RTO: lost ACKs explain those. */
	if (!pcb->undo_rto)
		pcb->rack_reord = true;
}

/* Eifel (RFC 3522 §3.2): an ACK for the retransmitted data echoing a
 * TSval older than the first retransmission was caused by the original:
 * the data was not lost. TSvals tick in ms: an original sent in the same
 * ms as its retransmission cannot be told apart (no undo: safe). */
void
tcp_undo_ack(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if (pcb->undo_cwnd == 0 || !(pcb->opt_ok & TCP_OPT_F_TS) || !(seg->opts & TCP_OPT_F_TS) ||
	    seg->tsecr == 0 || !tcp_seq_gt(seg->ack, pcb->undo_lo) || pcb->undo_rxt == 0)
		return;
	if (tcp_seq_lt(seg->tsecr, pcb->undo_ts)) {
		st->stats.undo_eifel++;
		undo(pcb);
	}
}

/* A D-SACK (RFC 2883) for data retransmitted in the armed episode: one
 * retransmission fewer that may have been needed; none left -> undo
 * (RFC 3708 §3). Network duplicates of data never retransmitted fall
 * outside undo_lo..undo_hi and do not count. */
void
tcp_undo_dsack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t l, uint32_t r)
{
	if (pcb->undo_cwnd == 0 || pcb->undo_rxt == 0 || tcp_seq_lt(l, pcb->undo_lo) ||
	    tcp_seq_gt(r, pcb->undo_hi))
		return;
	if (--pcb->undo_rxt == 0) {
		st->stats.undo_dsack++;
		undo(pcb);
	}
}
