/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the core's files; not for the glue. */
#ifndef CAV_TCP_PRIV_H
#define CAV_TCP_PRIV_H

#include <stddef.h>

#include "tcp.h"

#define TCP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TCP_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline bool
tcp_has(const struct tcp_pcb *pcb, uint16_t f)
{
	return (pcb->flags & f) != 0;
}

static inline struct tcp_pcb *
tcp_pcb_of_tnode(struct tcp_tnode *n)
{
	return (struct tcp_pcb *)((char *)n - offsetof(struct tcp_pcb, tnode));
}

/* tcp_output.c */
void tcp_out_prepare(const struct tcp_pcb *pcb, struct tcp_out *out, uint32_t seq, uint8_t flags);
void tcp_emit(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_out *out, uint64_t now);
void tcp_send_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_send_syn(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_send_rst_pcb(struct tcp_stack *st, struct tcp_pcb *pcb);
void tcp_send_rst_for(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
		      const struct tcp_tuple *t);
void tcp_send_probe(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
uint32_t tcp_data_end(const struct tcp_pcb *pcb);
void tcp_note_shutdown(struct tcp_stack *st, struct tcp_pcb *pcb);
uint32_t tcp_retransmit_head(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* tcp_reass.c: the out-of-order interval list (exposed for unit tests).
 * Insert [s, e) merging overlaps/neighbours: 0, or -1 when a new interval
 * is needed and `max` are in use. */
int tcp_ooo_insert(struct tcp_pcb *pcb, uint32_t max, uint32_t s, uint32_t e);
/* Remove the intervals that now start at or before rcv_nxt; returns the
 * new RCV.NXT (the end of the contiguous run). */
uint32_t tcp_ooo_advance(struct tcp_pcb *pcb, uint32_t rcv_nxt);

/* tcp_timers.c */
void tcp_timer_sync(struct tcp_stack *st, struct tcp_pcb *pcb);
uint64_t tcp_cur_rto(const struct tcp_stack *st, const struct tcp_pcb *pcb);
void tcp_arm_rtx(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_rtt_sample(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t rtt);
void tcp_delack_on_data(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t len, bool in_order,
			uint64_t now);

/* tcp_opts.c (issue 6: RFC 7323 options, PAWS, RFC 5961 challenge ACKs) */
void tcp_opts_active(const struct tcp_stack *st, struct tcp_pcb *pcb);
void tcp_opts_syn(const struct tcp_stack *st, const struct tcp_pcb *pcb, struct tcp_out *out);
void tcp_opts_negotiate(const struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
			uint64_t now);
uint32_t tcp_opts_len(const struct tcp_pcb *pcb);
uint32_t tcp_ts_offset(const uint8_t secret[16], const struct tcp_tuple *t);
bool tcp_paws_reject(const struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now);
void tcp_ts_update(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now);
bool tcp_send_challenge_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* tcp_sack.c (issue 6: RFC 2018, 2883, 6675, 3042) */
void tcp_sack_fill(struct tcp_stack *st, struct tcp_pcb *pcb, struct tcp_out *out);
void tcp_sack_note_ooo(struct tcp_pcb *pcb, uint32_t seq);
void tcp_sack_note_dup(struct tcp_pcb *pcb, uint32_t left, uint32_t right);
bool tcp_sack_update(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg);
void tcp_sack_clean(struct tcp_pcb *pcb);
bool tcp_sack_is_lost(const struct tcp_pcb *pcb, uint32_t seq);
uint32_t tcp_sack_pipe(const struct tcp_pcb *pcb);
void tcp_sack_enter_recovery(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_sack_send(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_sack_lost_rxt(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_sack_enter_loss(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_send_data_seg(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t seq, uint32_t len,
		       bool fin, uint64_t now);

/* tcp_rack.c (R5: RFC 8985 RACK by send order) */
bool tcp_rack_ok(const struct tcp_pcb *pcb);
uint64_t tcp_rack_reo_wnd(const struct tcp_pcb *pcb);
void tcp_rack_update(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
		     uint64_t now);
bool tcp_rack_rxt_lost(const struct tcp_pcb *pcb, uint32_t s);
bool tcp_rack_next_rxt(const struct tcp_pcb *pcb, uint32_t *seq);
bool tcp_rack_orig_lost(const struct tcp_pcb *pcb, uint32_t seq);
void tcp_rack_act(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_rack_timeout(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_rack_reset(struct tcp_pcb *pcb);
void tcp_rack_dsack(struct tcp_pcb *pcb);
void tcp_rack_rtt(struct tcp_pcb *pcb, uint64_t rtt);
void tcp_undo_arm(struct tcp_pcb *pcb, uint64_t now, bool rto);
void tcp_undo_note_rxt(struct tcp_pcb *pcb, uint32_t e);
void tcp_undo_ack(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg);
void tcp_undo_dsack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t l, uint32_t r);

/* tcp_syncookie.c */
void tcp_syncookie_synack(struct tcp_stack *st, struct tcp_listen *lst, const struct tcp_seg *seg,
			  const struct tcp_tuple *t, uint64_t now);
struct tcp_pcb *tcp_syncookie_ack(struct tcp_stack *st, struct tcp_listen *lst,
				  const struct tcp_seg *seg, const struct tcp_tuple *t, uint64_t now);

/* tcp_timers.c: keepalive (issue 6) */
void tcp_keepalive_reset(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* tcp_cc.c */
void tcp_cc_on_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t acked, uint64_t rtt_us,
		   uint64_t now);
uint32_t tcp_cc_ssthresh(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);
void tcp_cc_event(struct tcp_pcb *pcb, enum tcp_cc_event ev, uint64_t now);
void tcp_cc_rto(struct tcp_pcb *pcb, uint64_t now);

/* tcp_state.c */
void tcp_fail(struct tcp_stack *st, struct tcp_pcb *pcb, int err);
void tcp_enter_time_wait(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

/* tcp_ack.c */
void tcp_apply_mss(const struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg);
void tcp_cc_init(const struct tcp_stack *st, struct tcp_pcb *pcb);
/* Step five for a synchronized pcb: false when the segment must be
 * dropped (*r set; an ACK is due). */
bool tcp_ack_in(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now,
		enum tcp_drop *r);

/* tcp_reass.c: the segment's text [seq, seq+len), `off` bytes into its
 * payload, into the receive ring; a drop reason if not all was kept. */
enum tcp_drop tcp_data_in(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
			  uint32_t seq, uint32_t off, uint32_t len, uint64_t now);
/* The peer's FIN, in order: RCV.NXT + 1, state, TCP_EV_PEER_FIN. */
void tcp_fin_in(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now);

static inline void
tcp_event(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg)
{
	if (st->ops->event != NULL)
		st->ops->event(st, pcb, ev, arg);
}

#endif
