/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A segment for a listener (RFC 9293 §3.10.7.2) and the queue bounds of
 * Linux (tcp_conn_request, sk_acceptq_is_full, inet_csk_reqsk_queue_is_full).
 */
#include "tcp_priv.h"

/* The SYN queue's bound: synq_max when set, else backlog + 1. Linux
 * bounds it by the backlog and falls back to syncookies beyond (so do we,
 * conf.syncookies); + 1 keeps a backlog-0 listener able to complete a
 * handshake. */
static uint32_t
synq_bound(const struct tcp_listen *lst)
{
	return lst->synq_max != 0 ? lst->synq_max : lst->backlog + 1;
}

/* Cookie ACKs are looked for only within 2 minutes of the last cookie
 * sent (Linux tcp_synq_no_recent_overflow), or always with mode 2:
 * otherwise a stray ACK costs two hashes for nothing. */
static bool
cookies_recent(const struct tcp_stack *st, const struct tcp_listen *lst, uint64_t now)
{
	if (st->conf.syncookies == 2)
		return true;
	return st->conf.syncookies == 1 && lst->last_overflow != 0 &&
	       now - lst->last_overflow < 120000000ull;
}

enum tcp_in_result
tcp_listen_input(struct tcp_stack *st, struct tcp_listen *lst, struct tcp_seg *seg,
		 const struct tcp_tuple *t, uint64_t now, struct tcp_pcb **newp,
		 enum tcp_drop *reason)
{
	enum tcp_drop r = TCP_DROP_NONE;
	enum tcp_in_result res = TCP_IN_DROP;
	uint8_t fl = seg->flags;

	*newp = NULL;
	st->stats.in_segs++;
	if (fl & TCP_RST) {
		/* First, check for an RST: "should be ignored". */
		r = TCP_DROP_NOT_SYN;
	} else if ((fl & (TCP_ACK | TCP_SYN)) == TCP_ACK && cookies_recent(st, lst, now) &&
		   lst->acceptq_len > lst->backlog &&
		   tcp_syncookie_check(st->secret, t, seg->seq - 1, seg->ack - 1, now) >= 0) {
		/* A valid cookie while the accept queue is full: dropped, the
		 * peer retransmits (Linux tcp_v4_syn_recv_sock exit_overflow). */
		st->stats.listen_overflows++;
		st->stats.listen_drops++;
		r = TCP_DROP_ACCEPTQ_FULL;
	} else if ((fl & (TCP_ACK | TCP_SYN)) == TCP_ACK && cookies_recent(st, lst, now) &&
		   (*newp = tcp_syncookie_ack(st, lst, seg, t, now)) != NULL) {
		/* The handshake completes as if the pcb had waited in
		 * SYN_RCVD; tcp_input counts the segment itself. */
		struct tcp_pcb *pcb = *newp;
		st->stats.in_segs--;
		res = tcp_input(st, pcb, seg, now, &r);
		if (pcb->state == TCPS_SYN_RCVD) /* not completed: retry as usual */
			tcp_arm_rtx(st, pcb, now);
		if (res == TCP_IN_DROP)
			res = TCP_IN_OK; /* the pcb exists; the drop was counted */
	} else if (fl & TCP_ACK) {
		/* Second, an ACK: <SEQ=SEG.ACK><CTL=RST>. */
		r = TCP_DROP_BAD_ACK;
		tcp_send_rst_for(st, NULL, seg, t);
		res = TCP_IN_RST;
	} else if (!(fl & TCP_SYN)) {
		/* Fourth, other text or control: drop. */
		r = TCP_DROP_NOT_SYN;
	} else if (lst->acceptq_len > lst->backlog) {
		/* Third, the SYN. Accept queue full: drop the SYN (Linux
		 * tcp_conn_request, ListenOverflows + ListenDrops). */
		st->stats.listen_overflows++;
		st->stats.listen_drops++;
		r = TCP_DROP_ACCEPTQ_FULL;
	} else if (st->conf.syncookies == 2 ||
		   (lst->synq_len >= synq_bound(lst) && st->conf.syncookies == 1 && !seg->has_isn)) {
		/* SYN flood (or always): a stateless SYN-ACK whose ISN is the
		 * cookie; no pcb until a valid ACK returns (TCP_IN_OK, *newp
		 * NULL). */
		tcp_syncookie_synack(st, lst, seg, t, now);
		res = TCP_IN_OK;
	} else if (lst->synq_len >= synq_bound(lst)) {
		st->stats.listen_drops++;
		r = TCP_DROP_SYNQ_FULL;
	} else {
		struct tcp_pcb *pcb = st->ops->pcb_alloc(st, lst, t);
		if (pcb == NULL) {
			st->stats.listen_drops++;
			r = TCP_DROP_NO_PCB;
		} else {
			tcp_pcb_init(pcb, t, lst->adv_mss);
			pcb->flags |= TCP_PF_PASSIVE;
			if (lst->nodelay)
				pcb->flags |= TCP_PF_NODELAY;
			pcb->listener = lst;
			pcb->rcv.space = lst->rcv_space;
			pcb->irs = seg->seq;
			pcb->rcv_nxt = seg->seq + 1;
			pcb->rcv_adv = pcb->rcv_nxt;
			tcp_opts_negotiate(st, pcb, seg, now);
			tcp_apply_mss(st, pcb, seg);
			pcb->snd_wnd = seg->wnd; /* unscaled in a SYN */
			pcb->max_sndwnd = pcb->snd_wnd;
			pcb->iss = seg->has_isn ? seg->isn : tcp_isn(st->secret, t, now);
			pcb->snd_una = pcb->iss;
			pcb->snd_sml = pcb->iss;
			pcb->snd_wl1 = seg->seq;
			pcb->snd_wl2 = pcb->iss;
			/* Data on the SYN is not taken (no TFO): not acknowledged,
			 * the peer sends it again. */
			tcp_set_state(st, pcb, TCPS_SYN_RCVD);
			lst->synq_len++;
			st->stats.passive_opens++;
			tcp_send_syn(st, pcb, now);
			tcp_arm_rtx(st, pcb, now);
			*newp = pcb;
			res = TCP_IN_OK;
		}
	}
	if (r != TCP_DROP_NONE)
		st->stats.drops[r]++;
	if (reason != NULL)
		*reason = r;
	return res;
}
