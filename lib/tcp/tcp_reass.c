/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive side's data placement (RFC 9293 §3.10.7.4 seventh and
 * eighth): in-order bytes at the receive ring's tail, out-of-order bytes
 * ahead of it tracked as a sorted interval list, the peer's FIN.
 */
#include <string.h>

#include "tcp_priv.h"

int
tcp_ooo_insert(struct tcp_pcb *pcb, uint32_t max, uint32_t s, uint32_t e)
{
	struct tcp_ooo *q = pcb->ooo;
	unsigned n = pcb->ooo_n, i = 0, j;

	while (i < n && tcp_seq_lt(q[i].end, s))
		i++;
	uint32_t ns = s, ne = e;
	for (j = i; j < n && tcp_seq_leq(q[j].start, e); j++) {
		ns = tcp_seq_min(ns, q[j].start);
		ne = tcp_seq_max(ne, q[j].end);
	}
	unsigned merged = j - i;
	if (merged == 0) {
		if (n >= max)
			return -1;
		memmove(&q[i + 1], &q[i], (n - i) * sizeof(*q));
		q[i].start = s;
		q[i].end = e;
		pcb->ooo_n++;
		return 0;
	}
	q[i].start = ns;
	q[i].end = ne;
	memmove(&q[i + 1], &q[j], (n - j) * sizeof(*q));
	pcb->ooo_n = (uint8_t)(n - (merged - 1));
	return 0;
}

uint32_t
tcp_ooo_advance(struct tcp_pcb *pcb, uint32_t nxt)
{
	unsigned k = 0;
	while (k < pcb->ooo_n && tcp_seq_leq(pcb->ooo[k].start, nxt)) {
		nxt = tcp_seq_max(nxt, pcb->ooo[k].end);
		k++;
	}
	if (k > 0) {
		memmove(&pcb->ooo[0], &pcb->ooo[k], (pcb->ooo_n - k) * sizeof(pcb->ooo[0]));
		pcb->ooo_n = (uint8_t)(pcb->ooo_n - k);
	}
	return nxt;
}

/* Copy payload [off, off+len) of seg to the receive ring at index idx,
 * across the wrap. */
static void
rcv_copy(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint32_t off,
	 uint32_t idx, uint32_t len)
{
	uint32_t pos = idx & (pcb->rcv.size - 1);
	uint32_t first = TCP_MIN(len, pcb->rcv.size - pos);
	st->ops->copy_in(pcb->rcv.data + pos, seg, off, first);
	if (first < len)
		st->ops->copy_in(pcb->rcv.data, seg, off + first, len - first);
}

/* The peer's FIN, in order (RFC 9293 §3.10.7.4 eighth). */
void
tcp_fin_in(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	pcb->rcv_nxt++;
	/* Nothing can follow the FIN: out-of-order data beyond it is void
	 * (Linux tcp_fin purges its out-of-order queue). */
	pcb->ooo_n = 0;
	pcb->flags |= TCP_PF_FIN_RCVD | TCP_PF_ACK_NOW;
	pcb->flags &= (uint16_t)~TCP_PF_FIN_OOO;
	tcp_event(st, pcb, TCP_EV_PEER_FIN, 0);
	switch (pcb->state) {
	case TCPS_SYN_RCVD:
	case TCPS_ESTABLISHED:
		tcp_set_state(st, pcb, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		/* Our FIN not yet acknowledged (step five would have moved us
		 * to FIN-WAIT-2): simultaneous close. */
		tcp_set_state(st, pcb, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_enter_time_wait(st, pcb, now);
		break;
	default:
		break;
	}
}

/* RFC 9293 §3.10.7.4 seventh: in-order data goes to tail, later data
 * ahead of it, tracked in the interval list. Returns a drop reason for
 * data that could not be kept (the ACK still goes out). */
enum tcp_drop
tcp_data_in(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint32_t seq,
	    uint32_t off, uint32_t len, uint64_t now)
{
	enum tcp_drop r = TCP_DROP_NONE;

	if (pcb->rcv.data == NULL) {
		pcb->flags |= TCP_PF_ACK_NOW;
		return TCP_DROP_RCV_NO_BUF;
	}
	/* Never beyond the room the app left (the window normally ensures it). */
	uint32_t limit = pcb->rcv_nxt + pcb->rcv.space;
	if (tcp_seq_geq(seq, limit)) {
		pcb->flags |= TCP_PF_ACK_NOW;
		return TCP_DROP_RCV_NO_BUF;
	}
	if (tcp_seq_gt(seq + len, limit)) {
		len = limit - seq;
		r = TCP_DROP_RCV_NO_BUF;
	}
	uint32_t ahead = seq - pcb->rcv_nxt;
	if (ahead > 0) {
		/* RFC 2883: a duplicate of data already held out of order is
		 * reported by a D-SACK block. */
		for (unsigned i = 0; i < pcb->ooo_n; i++)
			if (tcp_seq_geq(seq, pcb->ooo[i].start) &&
			    tcp_seq_leq(seq + len, pcb->ooo[i].end)) {
				tcp_sack_note_dup(pcb, seq, seq + len);
				break;
			}
		tcp_sack_note_ooo(pcb, seq);
		/* Out of order: keep it if the interval list has room; ACK at
		 * once either way (RFC 5681 §4.2: duplicate ACK for fast
		 * retransmit). */
		if (tcp_ooo_insert(pcb, st->conf.ooo_max, seq, seq + len) < 0) {
			pcb->ooo_drops++;
			pcb->flags |= TCP_PF_ACK_NOW;
			return TCP_DROP_OOO_FULL;
		}
		rcv_copy(st, pcb, seg, off, pcb->rcv.tail + ahead, len);
		tcp_delack_on_data(st, pcb, len, false, now);
		return r;
	}
	rcv_copy(st, pcb, seg, off, pcb->rcv.tail, len);
	bool had_hole = pcb->ooo_n > 0;
	uint32_t nxt = tcp_ooo_advance(pcb, pcb->rcv_nxt + len);
	uint32_t n = nxt - pcb->rcv_nxt;
	pcb->rcv_nxt = nxt;
	pcb->rcv.tail += n;
	pcb->rcv.space -= TCP_MIN(n, pcb->rcv.space);
	pcb->bytes_received += n;
	/* Filling a hole is ACKed at once (RFC 5681 §4.2). */
	tcp_delack_on_data(st, pcb, len, !had_hole, now);
	st->ops->rcv_ready(st, pcb, n);
	return r;
}
