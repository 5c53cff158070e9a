/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Selective acknowledgments (issue 6):
 * - receiver: SACK blocks from the out-of-order interval list, the block
 *   holding the most recently received segment first and then the other
 *   recent ones (RFC 2018 §4), a D-SACK block first for a duplicate
 *   (RFC 2883 §4: below RCV.NXT, or already held out of order);
 * - sender: a scoreboard of SACKed intervals above SND.UNA, and RFC 6675
 *   loss recovery (IsLost, SetPipe, NextSeg rules 1-2; rule 3 and the
 *   rescue retransmission, rule 4, are not done); RFC 3042 limited transmit lives
 *   in tcp_output's congestion gate.
 * The scoreboard holds intervals, not per-segment state: "retransmitted"
 * is HighRxt, as RFC 6675 defines it.
 */
#include <string.h>

#include "tcp_priv.h"

#define DUPTHRESH 3u

/* ---------------------------------------------------------------------- */
/* Receiver                                                                */
/* ---------------------------------------------------------------------- */

void
tcp_sack_note_ooo(struct tcp_pcb *pcb, uint32_t seq)
{
	unsigned n = pcb->sack_recent_n, i;
	for (i = 0; i < n && pcb->sack_recent[i] != seq; i++)
		;
	if (i == n) /* not there: drop the oldest if full */
		i = n < TCP_MAX_SACK ? n++ : n - 1;
	memmove(&pcb->sack_recent[1], &pcb->sack_recent[0], i * sizeof(pcb->sack_recent[0]));
	pcb->sack_recent[0] = seq;
	pcb->sack_recent_n = (uint8_t)n;
}

void
tcp_sack_note_dup(struct tcp_pcb *pcb, uint32_t left, uint32_t right)
{
	if (!(pcb->opt_ok & TCP_OPT_F_SACK_OK) || !tcp_seq_lt(left, right))
		return;
	pcb->dsack.left = left;
	pcb->dsack.right = right;
	pcb->dsack_pending = true;
	pcb->flags |= TCP_PF_ACK_NOW;
}

static int
ooo_holding(const struct tcp_pcb *pcb, uint32_t seq)
{
	for (unsigned i = 0; i < pcb->ooo_n; i++)
		if (tcp_seq_geq(seq, pcb->ooo[i].start) && tcp_seq_lt(seq, pcb->ooo[i].end))
			return (int)i;
	return -1;
}

void
tcp_sack_fill(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_out *out)
{
	if (!(pcb->opt_ok & TCP_OPT_F_SACK_OK))
		return;
	unsigned n = 0;
	uint32_t used = 0; /* intervals already listed (bit per ooo index) */
	if (pcb->dsack_pending) {
		out->sack[n++] = pcb->dsack;
		pcb->dsack_pending = false;
		st->stats.dsack_sent++;
	}
	for (unsigned i = 0; i < pcb->sack_recent_n && n < TCP_MAX_SACK; i++) {
		int k = ooo_holding(pcb, pcb->sack_recent[i]);
		if (k < 0 || (used & (1u << k)))
			continue;
		used |= 1u << k;
		out->sack[n].left = pcb->ooo[k].start;
		out->sack[n].right = pcb->ooo[k].end;
		n++;
	}
	/* The rest, highest first (the likeliest to be news to the sender). */
	for (int k = (int)pcb->ooo_n - 1; k >= 0 && n < TCP_MAX_SACK; k--) {
		if (used & (1u << k))
			continue;
		out->sack[n].left = pcb->ooo[k].start;
		out->sack[n].right = pcb->ooo[k].end;
		n++;
	}
	if (n > 0) {
		out->opts |= TCP_OPT_F_SACK;
		out->sack_n = (uint8_t)n;
	}
}

/* ---------------------------------------------------------------------- */
/* Sender: scoreboard                                                      */
/* ---------------------------------------------------------------------- */

static void
sb_recount(struct tcp_pcb *pcb)
{
	uint32_t s = 0;
	for (unsigned i = 0; i < pcb->sb_n; i++)
		s += pcb->sb[i].right - pcb->sb[i].left;
	pcb->sacked_out = s;
}

/* Is [l, r) SACKed already. */
static bool
sb_covers(const struct tcp_pcb *pcb, uint32_t l, uint32_t r)
{
	for (unsigned i = 0; i < pcb->sb_n; i++)
		if (tcp_seq_leq(pcb->sb[i].left, l) && tcp_seq_geq(pcb->sb[i].right, r))
			return true;
	return false;
}

/* Insert [l, r) merging overlaps and neighbours; a new interval beyond
 * the capacity is not recorded (less information, never wrong). */
static void
sb_insert(struct tcp_pcb *pcb, uint32_t l, uint32_t r)
{
	struct tcp_sack_block *q = pcb->sb;
	unsigned n = pcb->sb_n, i = 0, j;
	while (i < n && tcp_seq_lt(q[i].right, l))
		i++;
	uint32_t nl = l, nr = r;
	for (j = i; j < n && tcp_seq_leq(q[j].left, r); j++) {
		nl = tcp_seq_min(nl, q[j].left);
		nr = tcp_seq_max(nr, q[j].right);
	}
	if (j == i) {
		if (n >= TCP_SB_MAX)
			return;
		memmove(&q[i + 1], &q[i], (n - i) * sizeof(*q));
		q[i].left = l;
		q[i].right = r;
		pcb->sb_n++;
		return;
	}
	q[i].left = nl;
	q[i].right = nr;
	memmove(&q[i + 1], &q[j], (n - j) * sizeof(*q));
	pcb->sb_n = (uint8_t)(n - (j - i - 1));
}

/* SND.UNA moved: forget what it covers. */
void
tcp_sack_clean(struct tcp_pcb *pcb)
{
	unsigned k = 0;
	while (k < pcb->sb_n && tcp_seq_leq(pcb->sb[k].right, pcb->snd_una))
		k++;
	if (k > 0) {
		memmove(&pcb->sb[0], &pcb->sb[k], (pcb->sb_n - k) * sizeof(pcb->sb[0]));
		pcb->sb_n = (uint8_t)(pcb->sb_n - k);
	}
	if (pcb->sb_n > 0 && tcp_seq_lt(pcb->sb[0].left, pcb->snd_una))
		pcb->sb[0].left = pcb->snd_una;
	if (tcp_seq_lt(pcb->high_rxt, pcb->snd_una))
		pcb->high_rxt = pcb->snd_una;
	sb_recount(pcb);
	/* Retransmissions now acknowledged leave the log. */
	unsigned j = 0;
	for (unsigned i = 0; i < pcb->rxt_log_n; i++)
		if (tcp_seq_geq(pcb->rxt_log[i].seq, pcb->snd_una))
			pcb->rxt_log[j++] = pcb->rxt_log[i];
	pcb->rxt_log_n = (uint8_t)j;
}

/*
 * The SACK blocks of an ACK into the scoreboard. RFC 2883 §4: a first
 * block below the cumulative ACK, or inside the second block, is a
 * D-SACK (a duplicate arrived: counted, not a loss signal). Blocks
 * outside SND.UNA..SND.MAX are ignored (RFC 2018 says the sender must
 * not trust them). Returns whether new data was SACKed.
 */
bool
tcp_sack_update(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if (!(pcb->opt_ok & TCP_OPT_F_SACK_OK) || !(seg->opts & TCP_OPT_F_SACK))
		return false;
	unsigned first = 0;
	if (seg->sack_n > 0) {
		const struct tcp_sack_block *b = &seg->sack[0];
		bool dsack = tcp_seq_leq(b->right, seg->ack) ||
			     (seg->sack_n > 1 && tcp_seq_geq(b->left, seg->sack[1].left) &&
			      tcp_seq_leq(b->right, seg->sack[1].right));
		if (dsack) {
			st->stats.dsack_rcvd++;
			tcp_rack_dsack(pcb);
			tcp_undo_dsack(st, pcb, b->left, b->right);
			first = 1;
		}
	}
	uint32_t before = pcb->sacked_out;
	for (unsigned i = first; i < seg->sack_n; i++) {
		uint32_t l = seg->sack[i].left, r = seg->sack[i].right;
		if (!tcp_seq_lt(l, r) || tcp_seq_gt(r, pcb->snd_max) ||
		    tcp_seq_leq(r, pcb->snd_una) || tcp_seq_leq(r, seg->ack))
			continue;
		if (tcp_seq_lt(l, pcb->snd_una))
			l = pcb->snd_una;
		/* RFC 8985 §6.2 step 3, RACK.reord: newly SACKed data below
		 * the highest SACKed byte that was never retransmitted (at
		 * or above HighRxt) arrived after data sent later. Not in
		 * recovery: with many holes the receiver's three or four
		 * blocks report older intervals late, which would look the
		 * same. */
		if (!tcp_has(pcb, TCP_PF_IN_RECOVERY) && tcp_seq_leq(r, pcb->rack_key) &&
		    tcp_seq_geq(l, pcb->high_rxt) && !sb_covers(pcb, l, r))
			pcb->rack_reord = true;
		sb_insert(pcb, l, r);
	}
	sb_recount(pcb);
	return pcb->sacked_out > before;
}

/* ---------------------------------------------------------------------- */
/* Sender: RFC 6675                                                        */
/* ---------------------------------------------------------------------- */

/* IsLost(SeqNum): DupThresh discontiguous SACKed intervals above it, or
 * more than (DupThresh - 1) * SMSS SACKed bytes above it. */
bool
tcp_sack_is_lost(const struct tcp_pcb *pcb, uint32_t seq)
{
	/* After an RTO every hole of what was outstanding is lost (Linux
	 * tcp_enter_loss marks them all). */
	if (tcp_has(pcb, TCP_PF_SACK_LOSS) && tcp_seq_lt(seq, pcb->loss_end))
		return true;
	/* RACK: data sent after it was delivered (tcp_rack.c). */
	if (tcp_rack_orig_lost(pcb, seq))
		return true;
	uint32_t bytes = 0, blocks = 0;
	for (unsigned i = 0; i < pcb->sb_n; i++) {
		const struct tcp_sack_block *b = &pcb->sb[i];
		if (tcp_seq_leq(b->right, seq))
			continue;
		blocks++;
		bytes += b->right - tcp_seq_max(b->left, seq + 1);
	}
	return blocks >= DUPTHRESH || bytes > (DUPTHRESH - 1) * pcb->mss;
}

/* Walk the unSACKed holes between SND.UNA and SND.MAX in MSS-sized
 * pieces: cb(s, len) for each; a non-zero return stops the walk. */
static uint32_t
walk_holes(const struct tcp_pcb *pcb, uint32_t from,
	   uint32_t (*cb)(const struct tcp_pcb *, uint32_t, uint32_t, void *), void *arg)
{
	uint32_t s = tcp_seq_max(from, pcb->snd_una);
	unsigned i = 0;
	while (tcp_seq_lt(s, pcb->snd_max)) {
		while (i < pcb->sb_n && tcp_seq_leq(pcb->sb[i].right, s))
			i++;
		uint32_t hole_end = pcb->snd_max;
		if (i < pcb->sb_n) {
			if (tcp_seq_geq(s, pcb->sb[i].left)) {
				s = pcb->sb[i].right; /* inside a SACKed interval */
				continue;
			}
			hole_end = pcb->sb[i].left;
		}
		uint32_t len = TCP_MIN(hole_end - s, (uint32_t)pcb->mss);
		uint32_t r = cb(pcb, s, len, arg);
		if (r != 0)
			return r;
		s += len;
	}
	return 0;
}

static uint32_t
pipe_cb(const struct tcp_pcb *pcb, uint32_t s, uint32_t len, void *arg)
{
	uint32_t *pipe = arg;
	if (!tcp_sack_is_lost(pcb, s))
		*pipe += len;
	/* Retransmitted and in flight, unless RACK found it lost again. */
	if (tcp_seq_lt(s, pcb->high_rxt) && !tcp_rack_rxt_lost(pcb, s))
		*pipe += len;
	return 0;
}

/* SetPipe (RFC 6675 §4): the sender's estimate of bytes in the network. */
uint32_t
tcp_sack_pipe(const struct tcp_pcb *pcb)
{
	uint32_t pipe = 0;
	walk_holes(pcb, pcb->snd_una, pipe_cb, &pipe);
	return pipe;
}

struct next_seg {
	bool need_lost;
	uint32_t seq, len;
};

static uint32_t
next_cb(const struct tcp_pcb *pcb, uint32_t s, uint32_t len, void *arg)
{
	struct next_seg *ns = arg;
	if (ns->need_lost && !tcp_sack_is_lost(pcb, s))
		return 0;
	ns->seq = s;
	ns->len = len;
	return 1;
}

/* Retransmit [s, s+len) of the sequence space (the FIN rides along when
 * it is the next byte, as tcp_retransmit_head). */
static void
rexmit(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t s, uint32_t len, uint64_t now)
{
	bool fin_out = tcp_has(pcb, TCP_PF_FIN_SENT) && tcp_seq_lt(pcb->snd_fin_seq, pcb->snd_max);
	uint32_t dlen = len;
	bool fin = false;
	if (fin_out && tcp_seq_geq(s + len, pcb->snd_fin_seq + 1)) {
		dlen = pcb->snd_fin_seq - s;
		fin = true;
	}
	st->stats.sack_retrans++;
	tcp_send_data_seg(st, pcb, s, dlen, fin, now);
	tcp_undo_note_rxt(pcb, s + len);
	if (tcp_seq_gt(s + len, pcb->high_rxt))
		pcb->high_rxt = s + len;
	/* Log it (replacing an older entry for the same start; when full
	 * the new one is not logged: the lowest holes, next to SND.UNA,
	 * matter first): lost-retransmission detection needs SND.MAX. */
	unsigned i, n = pcb->rxt_log_n;
	for (i = 0; i < n && pcb->rxt_log[i].seq != s; i++)
		;
	if (i == n) {
		if (n == TCP_RXT_LOG)
			return;
		pcb->rxt_log_n++;
	}
	pcb->rxt_log[i].seq = s;
	pcb->rxt_log[i].mark = pcb->snd_max;
}

/*
 * A retransmission lost too (Linux's tcp_mark_lost_retrans before RACK):
 * SND.UNA's segment was retransmitted when SND.MAX was `mark`; once at
 * least one SMSS sent after that has been SACKed while SND.UNA still
 * is a hole, the retransmission should have arrived first: send it
 * again instead of waiting for the RTO (which at 10% loss otherwise
 * fires on about every tenth recovery, and costs 200 ms or more).
 */
void
tcp_sack_lost_rxt(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	if (!tcp_has(pcb, TCP_PF_SACK_RECOVERY) || pcb->sb_n == 0 ||
	    !tcp_seq_lt(pcb->snd_una, pcb->sb[0].left))
		return;
	unsigned i;
	for (i = 0; i < pcb->rxt_log_n && pcb->rxt_log[i].seq != pcb->snd_una; i++)
		;
	if (i == pcb->rxt_log_n)
		return;
	uint32_t mark = pcb->rxt_log[i].mark, above = 0;
	for (unsigned k = 0; k < pcb->sb_n; k++)
		if (tcp_seq_gt(pcb->sb[k].right, mark))
			above += pcb->sb[k].right - tcp_seq_max(pcb->sb[k].left, mark);
	if (above < pcb->mss)
		return;
	uint32_t len = TCP_MIN(pcb->sb[0].left - pcb->snd_una, (uint32_t)pcb->mss);
	st->stats.lost_retrans++;
	rexmit(st, pcb, pcb->snd_una, len, now);
}

/*
 * RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS, NextSeg: (1) the first
 * lost unSACKed segment at or above HighRxt; (2) new data (tcp_output,
 * whose congestion gate uses pipe during SACK recovery, runs after us).
 * Rule (3), retransmitting a segment not yet deemed lost when there is no
 * new data, is not done: Linux does not either, and in the simulation it
 * tripled the retransmissions (D-SACKs showed them spurious) at the tail
 * of a transfer, where cwnd is large and everything is in flight.
 */
void
tcp_sack_send(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	for (int guard = 0; guard < 64; guard++) {
		uint32_t pipe = tcp_sack_pipe(pcb);
		if (pcb->cwnd < pipe || pcb->cwnd - pipe < pcb->mss)
			return;
		/* RACK: a retransmission lost again goes first (the oldest
		 * data; NextSeg's rule 1 looks only at or above HighRxt). */
		uint32_t rs;
		if (tcp_rack_next_rxt(pcb, &rs)) {
			uint32_t end = pcb->snd_max;
			for (unsigned k = 0; k < pcb->sb_n; k++)
				if (tcp_seq_gt(pcb->sb[k].left, rs)) {
					end = pcb->sb[k].left;
					break;
				}
			st->stats.rack_lost_rxt++;
			rexmit(st, pcb, rs, TCP_MIN(end - rs, (uint32_t)pcb->mss), now);
			continue;
		}
		struct next_seg ns = {.need_lost = true};
		if (walk_holes(pcb, pcb->high_rxt, next_cb, &ns) == 0)
			return; /* rule 2: tcp_output sends new data next */
		rexmit(st, pcb, ns.seq, ns.len, now);
	}
}

/* RFC 6675 §5 (4): enter loss recovery. The first retransmission is
 * SND.UNA's segment whatever NextSeg says. cwnd = ssthresh (no NewReno
 * inflation: pipe does that job). */
void
tcp_sack_enter_recovery(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	tcp_undo_arm(pcb, now, false);
	pcb->ssthresh = tcp_cc_ssthresh(st, pcb, now);
	pcb->recover = pcb->snd_max;
	pcb->flags |= TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY;
	pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING;
	st->stats.fast_retrans++;
	st->stats.sack_recoveries++;
	pcb->cwnd = pcb->ssthresh;
	pcb->high_rxt = pcb->snd_una;
	uint32_t hole = TCP_MIN(pcb->snd_max - pcb->snd_una, (uint32_t)pcb->mss);
	if (pcb->sb_n > 0)
		hole = TCP_MIN(hole, pcb->sb[0].left - pcb->snd_una);
	if (hole > 0)
		rexmit(st, pcb, pcb->snd_una, hole, now);
	tcp_sack_send(st, pcb, now);
	/* A new episode may probe again: the probe that started it did its
	 * job, and the retransmissions just sent can be lost too (at 10%
	 * loss one in ten); with a small cwnd nothing sent after them would
	 * show it, and the RTO (200 ms or more) would be the only way out.
	 * Bounded: one probe per episode, and an episode needs new SACK
	 * information. The timer restarts from this transmission. */
	pcb->tlp_sent = false;
	pcb->tlp_n = 0;
	tcp_arm_rtx(st, pcb, now);
}

/* The RTO with a scoreboard (tcp_timers): RFC 6675 recovery over every
 * hole below SND.MAX, from cwnd = 1 SMSS in slow start (new_ack grows
 * it on partial ACKs). RFC 6675 §5.1: no new recovery before SND.UNA
 * passes `recover` (set by the caller). */
void
tcp_sack_enter_loss(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	pcb->flags |= TCP_PF_IN_RECOVERY | TCP_PF_SACK_RECOVERY | TCP_PF_SACK_LOSS;
	pcb->loss_end = pcb->snd_max;
	pcb->high_rxt = pcb->snd_una;
	pcb->lt_bytes = 0;
	pcb->snd_nxt = pcb->snd_max;
	tcp_arm_rtx(st, pcb, now);
	tcp_sack_send(st, pcb, now);
	tcp_output(st, pcb, now);
}
