/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output: which segments to send now (RFC 9293 §3.8.6, RFC 5681, Nagle
 * RFC 896 in Linux's Minshall variant, sender and receiver silly-window
 * avoidance RFC 9293 §3.8.6.2), and the segments built for control
 * (SYN, ACK, RST, window probe). Every segment leaves through tcp_emit.
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

/*
 * The window to advertise (bytes, before scaling). Receiver SWS
 * avoidance (RFC 9293 §3.8.6.2.2): the right edge moves only when it
 * can move by min(buffer / 2, MSS); it never moves left (RFC 9293
 * §3.8.6: shrinking the window is strongly discouraged).
 */
uint32_t
tcp_rcv_window(const struct tcp_pcb *pcb)
{
	uint32_t cap = TCP_MAX_WINDOW << pcb->rcv_wscale;
	uint32_t space = TCP_MIN(pcb->rcv.space, cap);
	uint32_t cur = tcp_seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t buf = pcb->rcv.size != 0 ? pcb->rcv.size : pcb->rcv.space;
	uint32_t thresh = TCP_MIN(buf / 2, (uint32_t)pcb->adv_mss);

	if (space <= cur)
		return cur;
	if (space - cur >= thresh)
		return space;
	return cur;
}

void
tcp_out_prepare(const struct tcp_pcb *pcb, struct tcp_out *out, uint32_t seq, uint8_t flags)
{
	memset(out, 0, sizeof(*out));
	out->tuple = pcb->tuple;
	out->seq = seq;
	out->flags = flags;
	if (flags & TCP_ACK)
		out->ack = pcb->rcv_nxt;
}

/* Fill the window, count, hand to the glue; an ACK sent cancels any
 * delayed ACK (RFC 9293 §3.10.7.4: one ACK covers all). */
void
tcp_emit(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_out *out, uint64_t now)
{
	/* RFC 7323 §3.2: once negotiated, every segment carries TSval and
	 * the TS.Recent echo; the SYN offers it (TSecr 0), the SYN-ACK
	 * echoes the SYN's TSval. */
	/* RFC 3168: new data is ECT(0) (§6.1.5: never retransmissions, pure
	 * ACKs or SYNs); CWR on the first new data after a reduction
	 * (§6.1.2); ECE on every ACK while echoing a CE (§6.1.3). */
	if ((pcb->ecn & TCP_ECN_OK) && !(out->flags & (TCP_SYN | TCP_RST))) {
		if (out->len > 0 && !out->rtx) {
			out->ect = true;
			if (pcb->ecn & TCP_ECN_SEND_CWR) {
				out->flags |= TCP_CWR;
				pcb->ecn &= (uint8_t)~TCP_ECN_SEND_CWR;
			}
		}
		if ((pcb->ecn & TCP_ECN_ECHO) && (out->flags & TCP_ACK))
			out->flags |= TCP_ECE;
	}
	if ((pcb->opt_ok & TCP_OPT_F_TS) || (out->opts & TCP_OPT_F_TS)) {
		out->opts |= TCP_OPT_F_TS;
		out->tsval = tcp_ts_now(pcb, now);
		out->tsecr = pcb->state == TCPS_SYN_SENT ? 0 : pcb->ts_recent;
	}
	if (!(out->flags & TCP_RST)) {
		uint32_t win = tcp_rcv_window(pcb);
		/* RFC 7323 §2.2: the window in a SYN is never scaled. */
		uint32_t w = (out->flags & TCP_SYN) ? win : win >> pcb->rcv_wscale;
		out->wnd = (uint16_t)TCP_MIN(w, TCP_MAX_WINDOW);
		if (out->flags & TCP_ACK) {
			pcb->rcv_wnd = (uint32_t)out->wnd
				       << ((out->flags & TCP_SYN) ? 0 : pcb->rcv_wscale);
			if (tcp_seq_gt(pcb->rcv_nxt + pcb->rcv_wnd, pcb->rcv_adv))
				pcb->rcv_adv = pcb->rcv_nxt + pcb->rcv_wnd;
			pcb->t_delack = 0;
			pcb->delack_segs = 0;
			pcb->flags &= (uint16_t)~TCP_PF_ACK_NOW;
			pcb->ts_last_ack = out->ack; /* RFC 7323 Last.ACK.sent */
			if (!(out->flags & TCP_SYN))
				tcp_sack_fill(st, pcb, out);
		}
	}
	pcb->segs_out++;
	if (out->rtx) {
		st->stats.retrans_segs++;
		pcb->total_retrans++;
		pcb->bytes_retrans += out->len;
	} else {
		st->stats.out_segs++;
		pcb->bytes_sent += out->len;
	}
	if (out->flags & TCP_RST)
		st->stats.out_rsts++;
	if (out->len > 0)
		pcb->last_snd = now;
	st->ops->emit(st, pcb, out);
}

/* A bare ACK carries SEQ = SND.MAX, not SND.NXT: after an RTO rolled
 * SND.NXT back, the peer may already hold bytes up to SND.MAX, and an ACK
 * below its RCV.NXT is unacceptable to it (RFC 9293 step one) -- two
 * such ends answer each other's ACKs forever and never process the
 * acknowledgments (the issue-6 simulation found this ACK loop). Linux
 * never moves snd_nxt back, which amounts to the same. */
void
tcp_send_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	struct tcp_out out;
	tcp_out_prepare(pcb, &out, pcb->snd_max, TCP_ACK);
	tcp_emit(st, pcb, &out, now);
}

/* SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED), first or again: <SEQ=ISS>,
 * our MSS (RFC 9293 §3.7.1: from the route's MTU, which the glue gave). */
void
tcp_send_syn(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	struct tcp_out out;
	uint8_t fl = pcb->state == TCPS_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;

	tcp_out_prepare(pcb, &out, pcb->iss, fl);
	out.opts = TCP_OPT_F_MSS;
	out.mss = pcb->adv_mss;
	tcp_opts_syn(st, pcb, &out);
	out.rtx = tcp_has(pcb, TCP_PF_RTX_SYN);
	pcb->snd_nxt = pcb->iss + 1;
	pcb->snd_max = pcb->iss + 1;
	if (!out.rtx) {
		pcb->rtt_seq = pcb->iss;
		pcb->rtt_ts = now;
		pcb->flags |= TCP_PF_RTT_TIMING;
	}
	tcp_emit(st, pcb, &out, now);
}

/* Active reset of a connection (abort, close with unread data): as
 * Linux's tcp_send_active_reset, <SEQ=SND.NXT><ACK=RCV.NXT><RST,ACK>. */
void
tcp_send_rst_pcb(struct tcp_stack *st, struct tcp_pcb *pcb)
{
	struct tcp_out out;
	tcp_out_prepare(pcb, &out, pcb->snd_max, TCP_RST | TCP_ACK);
	st->ops->emit(st, pcb, &out);
	st->stats.out_rsts++;
	pcb->segs_out++;
}

/*
 * The reset answering a segment (RFC 9293 §3.10.7.1 and the "bad ACK"
 * cases): if it had ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN(+SYN+FIN)><CTL=RST,ACK>.
 */
static void
rst_for(const struct tcp_seg *seg, const struct tcp_tuple *t, struct tcp_out *out)
{
	memset(out, 0, sizeof(*out));
	out->tuple = *t;
	if (seg->flags & TCP_ACK) {
		out->seq = seg->ack;
		out->flags = TCP_RST;
	} else {
		out->seq = 0;
		out->ack =
		    seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
		out->flags = TCP_RST | TCP_ACK;
	}
}

void
tcp_send_rst_for(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
		 const struct tcp_tuple *t)
{
	struct tcp_out out;
	rst_for(seg, t, &out);
	st->stats.out_rsts++;
	if (pcb != NULL)
		pcb->segs_out++;
	st->ops->emit(st, pcb, &out);
}

bool
tcp_closed_input(struct tcp_stack *st, const struct tcp_seg *seg, const struct tcp_tuple *t,
		 struct tcp_out *out)
{
	/* "An incoming segment containing a RST is discarded." */
	if (seg->flags & TCP_RST)
		return false;
	rst_for(seg, t, out);
	if (st != NULL)
		st->stats.out_rsts++;
	return true;
}

/* A data segment [seq, seq+len) (+FIN): payload from the send buffer. */
static void
send_data(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin,
	  uint64_t now)
{
	struct tcp_out out;
	uint32_t end = tcp_data_end(pcb);
	uint8_t fl = TCP_ACK;

	if (fin)
		fl |= TCP_FIN;
	/* PSH on the segment that empties what the app queued (as Linux's
	 * tcp_push marks the last skb of a write). */
	if (len > 0 && seq + len == end)
		fl |= TCP_PSH;
	tcp_out_prepare(pcb, &out, seq, fl);
	out.data_off = seq - pcb->snd_una;
	out.len = len;
	out.rtx = tcp_seq_lt(seq, pcb->snd_max);
	tcp_emit(st, pcb, &out, now);
}

void
tcp_send_data_seg(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin,
		  uint64_t now)
{
	send_data(st, pcb, seq, len, fin, now);
}

/*
 * Zero-window probe as Linux's tcp_write_wakeup / tcp_xmit_probe_skb:
 * if the window lets some data out, send it; otherwise a bare ACK with
 * SEQ = SND.UNA - 1, which the peer must answer with an ACK carrying its
 * current window (RFC 9293 §3.8.6.1 allows either form).
 */
void
tcp_send_probe(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t end = tcp_data_end(pcb);
	uint32_t avail = tcp_seq_lt(pcb->snd_nxt, end) ? end - pcb->snd_nxt : 0;
	uint32_t inflight = pcb->snd_nxt - pcb->snd_una;
	uint32_t usable = pcb->snd_wnd > inflight ? pcb->snd_wnd - inflight : 0;
	uint32_t len = TCP_MIN(TCP_MIN(avail, usable), (uint32_t)pcb->mss);

	if (len > 0) {
		bool fin = tcp_has(pcb, TCP_PF_SND_SHUT) && pcb->snd_nxt + len == end &&
			   !tcp_has(pcb, TCP_PF_FIN_SENT);
		send_data(st, pcb, pcb->snd_nxt, len, fin, now);
		pcb->snd_nxt += len + fin;
		if (fin) {
			pcb->flags |= TCP_PF_FIN_SENT;
			pcb->snd_fin_seq = end;
		}
		pcb->snd_max = tcp_seq_max(pcb->snd_max, pcb->snd_nxt);
		return;
	}
	struct tcp_out out;
	tcp_out_prepare(pcb, &out, pcb->snd_una - 1, TCP_ACK);
	tcp_emit(st, pcb, &out, now);
}

/* States in which data (new or retransmitted) and FIN may be sent. */
static bool
can_send(uint8_t s)
{
	return s == TCPS_ESTABLISHED || s == TCPS_CLOSE_WAIT || s == TCPS_FIN_WAIT_1 ||
	       s == TCPS_CLOSING || s == TCPS_LAST_ACK;
}

/* shutdown(SHUT_WR) noticed (tcp_shutdown_wr or snd.fin refreshed by the
 * glue): the state moves now, the FIN leaves when the data before it has
 * (RFC 9293 §3.10.4; Linux tcp_close_state). */
void
tcp_note_shutdown(struct tcp_stack *st, struct tcp_pcb *pcb)
{
	pcb->flags |= TCP_PF_SND_SHUT;
	pcb->snd.fin = true;
	if (pcb->state == TCPS_ESTABLISHED)
		tcp_set_state(st, pcb, TCPS_FIN_WAIT_1);
	else if (pcb->state == TCPS_CLOSE_WAIT)
		tcp_set_state(st, pcb, TCPS_LAST_ACK);
}

int
tcp_output(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	int sent = 0;

	if (pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN || pcb->state == TCPS_SYN_SENT)
		return 0;
	if (pcb->snd.fin && (pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_CLOSE_WAIT))
		tcp_note_shutdown(st, pcb);
	/* The app may not queue bytes after its FIN took a sequence number. */
	if (tcp_has(pcb, TCP_PF_FIN_SENT) && pcb->snd.len > pcb->snd_fin_seq - pcb->snd_una)
		pcb->snd.len = pcb->snd_fin_seq - pcb->snd_una;

	/*
	 * Restart after idle (RFC 5681 §4.1, Linux tcp_cwnd_restart): when
	 * nothing was sent for an RTO, cwnd falls back to the restart window.
	 */
	if (can_send(pcb->state) && pcb->snd_una == pcb->snd_max && pcb->last_snd != 0 &&
	    now - pcb->last_snd > tcp_cur_rto(st, pcb)) {
		uint32_t rw = TCP_MIN(st->conf.init_cwnd * pcb->mss, pcb->cwnd);
		pcb->cwnd = rw;
	}
	/* Data leaves with nothing in flight: the CC module may need to
	 * know (CUBIC shifts its epoch, Linux CA_EVENT_TX_START), and
	 * TCP_USER_TIMEOUT counts from here. */
	if (can_send(pcb->state) && pcb->snd_una == pcb->snd_max &&
	    tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)) && pcb->t_rtx == 0) {
		tcp_cc_event(pcb, TCP_CA_EV_TX_START, now);
		pcb->una_ts = now;
	}

	/* Congestion gate. In RFC 6675 recovery the bytes in flight are
	 * `pipe`, not SND.NXT - SND.UNA. RFC 3042 limited transmit: on the
	 * first and second duplicate ACK one more segment each may go
	 * beyond cwnd (the receiver window still holds). */
	bool sack_rec = tcp_has(pcb, TCP_PF_SACK_RECOVERY);
	uint32_t lt = (!tcp_has(pcb, TCP_PF_IN_RECOVERY) && pcb->dupacks > 0 && pcb->dupacks < 3)
			  ? pcb->dupacks * (uint32_t)pcb->mss
			  : 0;
	while (can_send(pcb->state)) {
		uint32_t end = tcp_data_end(pcb);
		uint32_t avail = tcp_seq_lt(pcb->snd_nxt, end) ? end - pcb->snd_nxt : 0;
		uint32_t inflight = pcb->snd_nxt - pcb->snd_una;
		uint32_t cflight = sack_rec ? tcp_sack_pipe(pcb) : inflight;
		uint32_t cw = pcb->cwnd + lt;
		uint32_t uw = pcb->snd_wnd > inflight ? pcb->snd_wnd - inflight : 0;
		uint32_t uc = cw > cflight ? cw - cflight : 0;
		uint32_t usable = TCP_MIN(uw, uc);
		uint32_t len = TCP_MIN(TCP_MIN(avail, usable), (uint32_t)pcb->mss);
		bool shut = tcp_has(pcb, TCP_PF_SND_SHUT);
		/* FIN rides on the segment carrying the last byte, or alone
		 * (also again after an RTO rolled SND.NXT back). */
		bool fin = shut && pcb->snd_nxt + len == end;

		if (len == 0 && !fin)
			break;
		if (len < avail && len < pcb->mss) {
			/* Window-limited small segment: sender SWS avoidance
			 * (RFC 9293 §3.8.6.2.1): only if it is at least half the
			 * largest window the peer ever offered. */
			if (len < pcb->max_sndwnd / 2 || len == 0)
				break;
		} else if (len < pcb->mss && !fin) {
			/* The queue's small tail: Nagle, as Linux (Minshall):
			 * held while an earlier small segment is unacknowledged. */
			bool small_out = tcp_seq_gt(pcb->snd_sml, pcb->snd_una) &&
					 tcp_seq_leq(pcb->snd_sml, pcb->snd_nxt);
			if (!tcp_has(pcb, TCP_PF_NODELAY) && small_out && !shut)
				break;
		}
		uint32_t seq = pcb->snd_nxt;
		bool rtx = tcp_seq_lt(seq, pcb->snd_max);
		if (lt > 0 && cflight + len > pcb->cwnd) {
			pcb->lt_bytes += len;
			st->stats.limited_transmits++;
		}
		send_data(st, pcb, seq, len, fin, now);
		sent++;
		pcb->snd_nxt = seq + len + fin;
		if (len < pcb->mss)
			pcb->snd_sml = pcb->snd_nxt;
		if (fin && !tcp_has(pcb, TCP_PF_FIN_SENT)) {
			pcb->flags |= TCP_PF_FIN_SENT;
			pcb->snd_fin_seq = end;
		}
		if (tcp_seq_gt(pcb->snd_nxt, pcb->snd_max)) {
			pcb->snd_max = pcb->snd_nxt;
			/* Time one segment per RTT; never a retransmitted one (Karn). */
			if (!rtx && !tcp_has(pcb, TCP_PF_RTT_TIMING)) {
				pcb->rtt_seq = seq;
				pcb->rtt_ts = now;
				pcb->flags |= TCP_PF_RTT_TIMING;
			}
		}
		if (pcb->t_rtx == 0 || tcp_has(pcb, TCP_PF_PERSIST)) {
			pcb->flags &= (uint16_t)~TCP_PF_PERSIST;
			tcp_arm_rtx(st, pcb, now);
		}
		if (fin)
			break;
	}
	/* RFC 8985 §7.2: the probe timeout restarts when data is sent (its
	 * length depends on what is in flight: Linux tcp_schedule_loss_probe
	 * after each tcp_write_xmit). */
	if (sent > 0 && pcb->tlp_armed)
		tcp_arm_rtx(st, pcb, now);

	/* Data waiting, nothing in flight, and the window (or SWS) holds it:
	 * the persist timer probes (RFC 9293 §3.8.6.1). */
	if (can_send(pcb->state) && pcb->snd_una == pcb->snd_max &&
	    tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)) && pcb->t_rtx == 0) {
		pcb->flags |= TCP_PF_PERSIST;
		pcb->backoff = 0;
		tcp_arm_rtx(st, pcb, now);
	}

	if (sent == 0 && tcp_has(pcb, TCP_PF_ACK_NOW) && pcb->state != TCPS_SYN_RCVD) {
		tcp_send_ack(st, pcb, now);
		sent++;
	}
	tcp_timer_sync(st, pcb);
	return sent;
}

/*
 * The app read `n` bytes. Window update as Linux's tcp_cleanup_rbuf:
 * only when the window we advertised fell to half the buffer or less and
 * the new one is at least twice it (this covers RFC 9293 §3.8.6.2.2's
 * reopening of a closed window and avoids one update per read).
 */
void
tcp_recvd(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n, uint64_t now)
{
	pcb->rcv.space += n;
	if (pcb->state != TCPS_ESTABLISHED && pcb->state != TCPS_FIN_WAIT_1 &&
	    pcb->state != TCPS_FIN_WAIT_2)
		return; /* no more data will come: no update needed */
	uint32_t cur = tcp_seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t clamp = TCP_MIN(pcb->rcv.size, TCP_MAX_WINDOW << pcb->rcv_wscale);
	if (2 * cur <= clamp) {
		uint32_t nw = tcp_rcv_window(pcb);
		if (nw > cur && nw >= 2 * cur) {
			tcp_send_ack(st, pcb, now);
			tcp_timer_sync(st, pcb);
		}
	}
}

/* Retransmit the first unacknowledged segment (fast retransmit, NewReno
 * partial ACK, zero-window RTO): up to one MSS of what was already sent
 * from SND.UNA (never beyond SND.MAX), with our FIN if it fits. Returns
 * the sequence space it covers (0: nothing outstanding). */
uint32_t
tcp_retransmit_head(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t out = pcb->snd_max - pcb->snd_una;
	bool fin_out = tcp_has(pcb, TCP_PF_FIN_SENT) && tcp_seq_lt(pcb->snd_fin_seq, pcb->snd_max);
	uint32_t data_out = out - fin_out;
	uint32_t len = TCP_MIN(data_out, (uint32_t)pcb->mss);
	bool fin = fin_out && pcb->snd_una + len == pcb->snd_fin_seq;

	if (len == 0 && !fin)
		return 0;
	send_data(st, pcb, pcb->snd_una, len, fin, now);
	return len + fin;
}
