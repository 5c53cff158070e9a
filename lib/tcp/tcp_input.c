/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment arrival for a connection: RFC 9293 §3.10.7.3 (SYN-SENT) and
 * §3.10.7.4 (the synchronized states) written as the RFC's numbered
 * steps, plus TIME-WAIT as Linux's tcp_timewait_state_process.
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

/* ---------------------------------------------------------------------- */
/* SYN-SENT (RFC 9293 §3.10.7.3)                                           */
/* ---------------------------------------------------------------------- */

static enum tcp_in_result
syn_sent_input(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_seg *seg, uint64_t now,
	       enum tcp_drop *r)
{
	uint8_t fl = seg->flags;

	/* First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK >
	 * SND.NXT, send a reset (unless the RST bit is set, if so drop the
	 * segment and return) <SEQ=SEG.ACK><CTL=RST>". */
	if (fl & TCP_ACK) {
		if (tcp_seq_leq(seg->ack, pcb->iss) || tcp_seq_gt(seg->ack, pcb->snd_max)) {
			*r = TCP_DROP_OLD_ACK;
			if (fl & TCP_RST)
				return TCP_IN_DROP;
			tcp_send_rst_for(st, pcb, seg, &pcb->tuple);
			return TCP_IN_RST;
		}
	}
	/* Second, the RST bit: with an acceptable ACK the connection was
	 * refused; without an ACK, drop (RFC 5961 §3 would also accept an
	 * exact SEQ; Linux requires the ACK). */
	if (fl & TCP_RST) {
		if (!(fl & TCP_ACK)) {
			*r = TCP_DROP_RST_OUT_OF_WINDOW;
			return TCP_IN_DROP;
		}
		st->stats.in_rsts++;
		tcp_fail(st, pcb, ECONNREFUSED);
		return TCP_IN_OK;
	}
	/* Third: security (not used). Fourth: the SYN bit. */
	if (!(fl & TCP_SYN)) {
		*r = TCP_DROP_BAD_FLAGS;
		return TCP_IN_DROP;
	}
	pcb->irs = seg->seq;
	pcb->rcv_nxt = seg->seq + 1;
	pcb->rcv_adv = pcb->rcv_nxt + pcb->rcv_wnd; /* what our SYN offered */
	tcp_opts_negotiate(st, pcb, seg, now);
	tcp_apply_mss(st, pcb, seg);
	pcb->snd_wnd = seg->wnd; /* never scaled in a SYN (RFC 7323 §2.2) */
	pcb->max_sndwnd = pcb->snd_wnd;
	pcb->snd_wl1 = seg->seq;
	pcb->snd_wl2 = seg->ack;
	if (fl & TCP_ACK) {
		if (tcp_has(pcb, TCP_PF_RTT_TIMING) && tcp_seq_gt(seg->ack, pcb->rtt_seq))
			tcp_rtt_sample(st, pcb, now - pcb->rtt_ts);
		pcb->flags &= (uint16_t) ~(TCP_PF_RTT_TIMING | TCP_PF_RTX_SYN);
		pcb->snd_una = seg->ack;
		pcb->last_ack_rcv = now;
		pcb->last_seg_rcv = now;
		pcb->una_ts = now;
		/* Our SYN is acknowledged: ESTABLISHED, <SEQ=SND.NXT>
		 * <ACK=RCV.NXT><CTL=ACK>. Data or FIN on the SYN-ACK is not
		 * taken (not acknowledged: the peer sends it again). */
		tcp_cc_init(st, pcb);
		pcb->retries = 0;
		pcb->backoff = 0;
		pcb->t_rtx = 0;
		tcp_set_state(st, pcb, TCPS_ESTABLISHED);
		tcp_keepalive_reset(st, pcb, now);
		tcp_event(st, pcb, TCP_EV_CONNECTED, 0);
		pcb->flags |= TCP_PF_ACK_NOW;
		tcp_output(st, pcb, now);
		return TCP_IN_OK;
	}
	/* Simultaneous open (RFC 9293 §3.5 figure 8): SYN-RECEIVED,
	 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	tcp_set_state(st, pcb, TCPS_SYN_RCVD);
	pcb->flags &= (uint16_t)~TCP_PF_RTX_SYN;
	tcp_send_syn(st, pcb, now);
	tcp_arm_rtx(st, pcb, now);
	return TCP_IN_OK;
}

/* ---------------------------------------------------------------------- */
/* TIME-WAIT (Linux tcp_timewait_state_process, no timestamps)             */
/* ---------------------------------------------------------------------- */

static enum tcp_in_result
time_wait_input(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_seg *seg, uint64_t now,
		enum tcp_drop *r)
{
	uint8_t fl = seg->flags;
	uint32_t end_seq = seg->seq + seg->len + !!(fl & TCP_SYN) + !!(fl & TCP_FIN);

	/* In-window: only a bare ACK or an RST can be (the peer's FIN was
	 * received). An RST ends TIME-WAIT (RFC 1337 assassination, what
	 * Linux does with tcp_rfc1337 = 0); a bare ACK restarts it. */
	if (seg->seq == pcb->rcv_nxt && (seg->seq == end_seq || (fl & TCP_RST))) {
		if (fl & TCP_RST) {
			st->stats.in_rsts++;
			tcp_set_state(st, pcb, TCPS_CLOSED);
			return TCP_IN_OK;
		}
		pcb->t_wait = now + st->conf.msl2;
		tcp_timer_sync(st, pcb);
		return TCP_IN_OK;
	}
	/* A new SYN beyond what we received: a new incarnation (RFC 1122
	 * 4.2.2.13), with an ISN beyond the old SND.NXT. */
	if ((fl & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_SYN && tcp_seq_gt(seg->seq, pcb->rcv_nxt)) {
		uint32_t isn = pcb->snd_max + 65535 + 2; /* Linux: tw_snd_nxt + 65535 + 2 */
		seg->has_isn = true;
		seg->isn = isn != 0 ? isn : 1;
		tcp_set_state(st, pcb, TCPS_CLOSED);
		return TCP_IN_TW_REUSE;
	}
	*r = TCP_DROP_TW;
	if (fl & TCP_RST)
		return TCP_IN_DROP;
	/* Out of window (a retransmitted FIN among them): ACK it; an ACK
	 * restarts the 2 MSL. */
	if (fl & TCP_ACK)
		pcb->t_wait = now + st->conf.msl2;
	tcp_send_ack(st, pcb, now);
	tcp_timer_sync(st, pcb);
	return TCP_IN_DROP;
}

/* ---------------------------------------------------------------------- */
/* The synchronized states (RFC 9293 §3.10.7.4)                            */
/* ---------------------------------------------------------------------- */

static enum tcp_in_result
sync_input(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_seg *seg, uint64_t now,
	   enum tcp_drop *r)
{
	uint8_t fl = seg->flags;
	uint32_t seq = seg->seq;
	uint32_t len = seg->len;
	uint32_t off = 0; /* payload bytes trimmed from the front */
	bool syn = fl & TCP_SYN, fin = fl & TCP_FIN;

	/* A retransmitted SYN while in SYN-RECEIVED: the SYN-ACK was lost,
	 * send it again (Linux tcp_check_req). */
	if (pcb->state == TCPS_SYN_RCVD && (fl & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    seq == pcb->irs) {
		pcb->flags |= TCP_PF_RTX_SYN;
		pcb->flags &= (uint16_t)~TCP_PF_RTT_TIMING;
		tcp_send_syn(st, pcb, now);
		return TCP_IN_OK;
	}

	/* Simultaneous open: the peer's SYN-ACK (its SYN again, now with the
	 * ACK of ours) completes SYN-RECEIVED (RFC 9293 figure 8 line 6); as
	 * Linux's tcp_validate_incoming, take it as the ACK it carries. */
	if (pcb->state == TCPS_SYN_RCVD && !tcp_has(pcb, TCP_PF_PASSIVE) &&
	    (fl & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) && seq == pcb->irs &&
	    seg->ack == pcb->snd_max) {
		syn = false;
		seq++;
		fl &= (uint8_t)~TCP_SYN;
	}

	/* RFC 7323 §5.3 R1, before the sequence check (Linux
	 * tcp_validate_incoming): an old timestamp is a segment from an
	 * earlier wrap. Dup-ACK it (unless RST, which PAWS never drops) and
	 * drop. Linux's exception for reordered pure ACKs
	 * (tcp_disordered_ack) is not made: such an ACK is only lost
	 * information, the next one carries it. */
	if (tcp_paws_reject(pcb, seg, now)) {
		st->stats.paws_rejects++;
		*r = TCP_DROP_OUT_OF_WINDOW;
		tcp_send_ack(st, pcb, now);
		tcp_timer_sync(st, pcb);
		return TCP_IN_DROP;
	}

	/* First, check the sequence number (the four cases of RFC 9293
	 * §3.10.7.4's table). RCV.WND is what we advertised. */
	uint32_t wnd = tcp_seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t seg_len = len + syn + fin;
	bool ok;
	if (seg_len == 0)
		ok = wnd == 0
			 ? seq == pcb->rcv_nxt
			 : tcp_seq_geq(seq, pcb->rcv_nxt) && tcp_seq_lt(seq, pcb->rcv_nxt + wnd);
	else if (wnd == 0)
		ok = false;
	else
		ok = (tcp_seq_geq(seq, pcb->rcv_nxt) && tcp_seq_lt(seq, pcb->rcv_nxt + wnd)) ||
		     (tcp_seq_geq(seq + seg_len - 1, pcb->rcv_nxt) &&
		      tcp_seq_lt(seq + seg_len - 1, pcb->rcv_nxt + wnd));
	if (!ok) {
		/* "special allowance should be made to accept valid ACKs, URGs,
		 * and RSTs" with a zero window: a segment at RCV.NXT keeps its
		 * control bits, its data is dropped (a zero-window probe). */
		if (wnd == 0 && seq == pcb->rcv_nxt) {
			len = 0;
			fin = false;
			pcb->flags |= TCP_PF_ACK_NOW;
			*r = TCP_DROP_RCV_NO_BUF;
		} else {
			if (fl & TCP_RST) {
				*r = TCP_DROP_RST_OUT_OF_WINDOW;
				return TCP_IN_DROP;
			}
			/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with a D-SACK
			 * block when it was old data (RFC 2883 §4). */
			if (seg->len > 0 && tcp_seq_leq(seq + len, pcb->rcv_nxt))
				tcp_sack_note_dup(pcb, seq, seq + len);
			*r = TCP_DROP_OUT_OF_WINDOW;
			tcp_send_ack(st, pcb, now);
			tcp_timer_sync(st, pcb);
			return TCP_IN_DROP;
		}
	}
	/* Trim to the window: what precedes RCV.NXT (a SYN first) ... */
	if (tcp_seq_lt(seq, pcb->rcv_nxt)) {
		uint32_t d = pcb->rcv_nxt - seq;
		if (syn) {
			syn = false;
			d--;
			seq++;
		}
		if (d > len) { /* only a FIN at or before RCV.NXT could remain */
			fin = fin && seq + len == pcb->rcv_nxt;
			d = len;
		}
		if (d > 0) /* RFC 2883: the duplicated part */
			tcp_sack_note_dup(pcb, seq, seq + d);
		off += d;
		len -= d;
		seq += d;
	}
	/* ... and what goes past its right edge (a FIN there too). */
	if (tcp_seq_gt(seq + len, pcb->rcv_nxt + wnd)) {
		len = pcb->rcv_nxt + wnd - seq;
		fin = false;
	}

	/* Second, check the RST bit. RFC 5961 §3.2: reset only if SEG.SEQ
	 * == RCV.NXT exactly (or RCV.NXT - 1 after the peer's FIN, Linux
	 * tcp_reset_check); any other in-window RST gets a challenge ACK and
	 * is dropped. A passive SYN-RECEIVED pcb keeps RFC 9293's in-window
	 * rule, as Linux's request sockets (tcp_check_req). */
	if ((fl & TCP_RST) && !(pcb->state == TCPS_SYN_RCVD && tcp_has(pcb, TCP_PF_PASSIVE))) {
		bool exact = seg->seq == pcb->rcv_nxt ||
			     ((pcb->state == TCPS_CLOSE_WAIT || pcb->state == TCPS_LAST_ACK ||
			       pcb->state == TCPS_CLOSING) &&
			      seg->seq == pcb->rcv_nxt - 1);
		if (!exact) {
			st->stats.rst_challenges++;
			*r = TCP_DROP_RST_OUT_OF_WINDOW;
			tcp_send_challenge_ack(st, pcb, now);
			return TCP_IN_DROP;
		}
	}
	if (fl & TCP_RST) {
		st->stats.in_rsts++;
		if (pcb->state == TCPS_SYN_RCVD && tcp_has(pcb, TCP_PF_PASSIVE)) {
			/* "return this connection to LISTEN": the listener never
			 * left it; this request just goes. */
			tcp_set_state(st, pcb, TCPS_CLOSED);
		} else if (pcb->state == TCPS_SYN_RCVD) {
			tcp_fail(st, pcb, ECONNREFUSED);
		} else {
			/* Linux tcp_reset: EPIPE in CLOSE-WAIT, else ECONNRESET. */
			tcp_fail(st, pcb, pcb->state == TCPS_CLOSE_WAIT ? EPIPE : ECONNRESET);
		}
		return TCP_IN_OK;
	}

	/* Third, security: nothing. Fourth, the SYN bit: a SYN in the
	 * window of a synchronized connection gets a challenge ACK (RFC
	 * 9293 §3.10.7.4 fourth, RFC 5961 §4) and is dropped. */
	if (syn) {
		*r = TCP_DROP_BAD_FLAGS;
		st->stats.syn_challenges++;
		tcp_send_challenge_ack(st, pcb, now);
		return TCP_IN_DROP;
	}

	/* The segment is acceptable: RFC 7323 §4.3 TS.Recent, and the
	 * connection is not idle (keepalive, Linux rcv_tstamp/lrcvtime). */
	tcp_ts_update(pcb, seg, now);
	pcb->last_seg_rcv = now;
	pcb->ka_probes = 0;
	/* RFC 3168 §6.1.3: the peer's CWR ends our ECE echo; a CE mark
	 * (in this same segment too: CWR first) starts it, ACKed at once as
	 * Linux's quick ACK on CE. */
	if (pcb->ecn & TCP_ECN_OK) {
		if (fl & TCP_CWR)
			pcb->ecn &= (uint8_t)~TCP_ECN_ECHO;
		if (seg->ce) {
			st->stats.ecn_ce_rcvd++;
			pcb->ecn |= TCP_ECN_ECHO;
			pcb->flags |= TCP_PF_ACK_NOW;
		}
	}

	/* Fifth, check the ACK field. */
	if (!(fl & TCP_ACK)) {
		*r = TCP_DROP_BAD_FLAGS;
		return TCP_IN_DROP;
	}
	if (pcb->state == TCPS_SYN_RCVD) {
		if (!(tcp_seq_gt(seg->ack, pcb->snd_una) && tcp_seq_leq(seg->ack, pcb->snd_max))) {
			/* <SEQ=SEG.ACK><CTL=RST> */
			*r = TCP_DROP_BAD_ACK;
			tcp_send_rst_for(st, pcb, seg, &pcb->tuple);
			return TCP_IN_RST;
		}
		struct tcp_listen *lst = tcp_has(pcb, TCP_PF_PASSIVE) ? pcb->listener : NULL;
		if (lst != NULL && lst->acceptq_len > lst->backlog) {
			/* Accept queue full (Linux sk_acceptq_is_full, len >
			 * backlog): drop the ACK, stay in SYN-RECEIVED; the
			 * SYN-ACK is retransmitted and the peer's next ACK tries
			 * again (tcp_abort_on_overflow = 0). */
			st->stats.listen_overflows++;
			st->stats.listen_drops++;
			*r = TCP_DROP_ACCEPTQ_FULL;
			return TCP_IN_DROP;
		}
		if (tcp_has(pcb, TCP_PF_RTT_TIMING) && tcp_seq_gt(seg->ack, pcb->rtt_seq))
			tcp_rtt_sample(st, pcb, now - pcb->rtt_ts);
		pcb->flags &= (uint16_t) ~(TCP_PF_RTT_TIMING | TCP_PF_RTX_SYN);
		tcp_cc_init(st, pcb);
		pcb->snd_una = seg->ack;
		pcb->snd_wnd = (uint32_t)seg->wnd << pcb->snd_wscale;
		pcb->max_sndwnd = TCP_MAX(pcb->max_sndwnd, pcb->snd_wnd);
		pcb->snd_wl1 = seg->seq;
		pcb->snd_wl2 = seg->ack;
		pcb->retries = 0;
		pcb->backoff = 0;
		pcb->t_rtx = 0;
		pcb->una_ts = now;
		tcp_set_state(st, pcb, TCPS_ESTABLISHED);
		tcp_keepalive_reset(st, pcb, now);
		if (lst != NULL) {
			lst->acceptq_len++;
			tcp_event(st, pcb, TCP_EV_ACCEPT, 0);
		} else {
			tcp_event(st, pcb, TCP_EV_CONNECTED, 0);
		}
	}
	if (!tcp_ack_in(st, pcb, seg, now, r)) {
		tcp_output(st, pcb, now);
		return TCP_IN_DROP;
	}
	bool fin_acked =
	    tcp_has(pcb, TCP_PF_FIN_SENT) && tcp_seq_gt(pcb->snd_una, pcb->snd_fin_seq);
	switch (pcb->state) {
	case TCPS_FIN_WAIT_1:
		if (fin_acked) {
			tcp_set_state(st, pcb, TCPS_FIN_WAIT_2);
			/* An orphan does not wait forever for the peer's FIN. */
			if (tcp_has(pcb, TCP_PF_APP_CLOSED)) {
				pcb->t_wait = now + st->conf.fin_wait2;
				tcp_timer_sync(st, pcb);
			}
		}
		break;
	case TCPS_CLOSING:
		if (fin_acked) {
			tcp_enter_time_wait(st, pcb, now);
			return TCP_IN_OK;
		}
		break;
	case TCPS_LAST_ACK:
		if (fin_acked) {
			tcp_set_state(st, pcb, TCPS_CLOSED);
			return TCP_IN_OK;
		}
		break;
	default:
		break;
	}

	/* Sixth, the URG bit: ignored (urgent data not supported). */

	/* Seventh, process the segment text. */
	if (len > 0) {
		switch (pcb->state) {
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			if (tcp_has(pcb, TCP_PF_APP_CLOSED)) {
				/* Nobody will read it: reset, as Linux
				 * (TCPAbortOnData, RFC 2525 §2.17). */
				*r = TCP_DROP_DATA_AFTER_CLOSE;
				tcp_send_rst_pcb(st, pcb);
				tcp_set_state(st, pcb, TCPS_CLOSED);
				return TCP_IN_RST;
			}
			{
				enum tcp_drop d = tcp_data_in(st, pcb, seg, seq, off, len, now);
				if (d != TCP_DROP_NONE) {
					*r = d;
					if (d == TCP_DROP_OOO_FULL || d == TCP_DROP_RCV_NO_BUF)
						fin = false;
				}
			}
			break;
		default:
			/* CLOSE-WAIT, CLOSING, LAST-ACK: the FIN was received;
			 * ignore the text. */
			break;
		}
	}

	/* Eighth, check the FIN bit. Beyond a hole it is remembered and
	 * taken when the hole fills. */
	if (fin && pcb->state != TCPS_CLOSED) {
		uint32_t fseq = seq + len;
		if (fseq == pcb->rcv_nxt) {
			tcp_fin_in(st, pcb, now);
		} else if (tcp_seq_gt(fseq, pcb->rcv_nxt)) {
			pcb->flags |= TCP_PF_FIN_OOO | TCP_PF_ACK_NOW;
			pcb->rcv_fin_seq = fseq;
		}
	} else if (tcp_has(pcb, TCP_PF_FIN_OOO) && pcb->rcv_fin_seq == pcb->rcv_nxt) {
		tcp_fin_in(st, pcb, now);
	}
	tcp_output(st, pcb, now);
	return *r == TCP_DROP_NONE ? TCP_IN_OK : TCP_IN_DROP;
}

enum tcp_in_result
tcp_input(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_seg *seg, uint64_t now,
	  enum tcp_drop *reason)
{
	enum tcp_drop r = TCP_DROP_NONE;
	enum tcp_in_result res;

	st->stats.in_segs++;
	pcb->segs_in++;
	switch (pcb->state) {
	case TCPS_CLOSED:
		/* RFC 9293 §3.10.7.1 (a pcb the glue kept after the end). */
		r = TCP_DROP_STATE;
		if (seg->flags & TCP_RST) {
			res = TCP_IN_DROP;
		} else {
			tcp_send_rst_for(st, pcb, seg, &pcb->tuple);
			res = TCP_IN_RST;
		}
		break;
	case TCPS_LISTEN:
		r = TCP_DROP_STATE;
		res = TCP_IN_DROP;
		break;
	case TCPS_SYN_SENT:
		res = syn_sent_input(st, pcb, seg, now, &r);
		break;
	case TCPS_TIME_WAIT:
		res = time_wait_input(st, pcb, seg, now, &r);
		break;
	default:
		res = sync_input(st, pcb, seg, now, &r);
		break;
	}
	if (r != TCP_DROP_NONE)
		st->stats.drops[r]++;
	if (reason != NULL)
		*reason = r;
	return res;
}
