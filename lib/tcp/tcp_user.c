/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user calls of RFC 9293 §3.10 (OPEN, CLOSE, ABORT) with Linux's
 * semantics: connect, shutdown(SHUT_WR), close, SO_LINGER 0 abort,
 * TCP_NODELAY.
 */
#include <errno.h>

#include "tcp_priv.h"

int
tcp_connect(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	switch (pcb->state) {
	case TCPS_CLOSED:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RCVD:
		return -EALREADY;
	case TCPS_LISTEN:
		return -EINVAL;
	default:
		return -EISCONN;
	}
	pcb->iss = pcb->tw_iss != 0 ? pcb->tw_iss : tcp_isn(st->secret, &pcb->tuple, now);
	pcb->snd_una = pcb->iss;
	pcb->snd_sml = pcb->iss;
	pcb->flags |= TCP_PF_ACTIVE;
	tcp_opts_active(st, pcb);
	tcp_set_state(st, pcb, TCPS_SYN_SENT);
	tcp_send_syn(st, pcb, now);
	tcp_arm_rtx(st, pcb, now);
	return 0;
}

/* Linux's tcp_need_reset(): the states in which an abort tells the peer. */
static bool
need_reset(uint8_t s)
{
	return s == TCPS_ESTABLISHED || s == TCPS_CLOSE_WAIT || s == TCPS_FIN_WAIT_1 ||
	       s == TCPS_FIN_WAIT_2 || s == TCPS_SYN_RCVD;
}

int
tcp_shutdown_wr(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	switch (pcb->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return -ENOTCONN;
	case TCPS_SYN_SENT:
		/* Linux tcp_close_state: SYN_SENT -> CLOSE, no FIN. */
		tcp_set_state(st, pcb, TCPS_CLOSED);
		return 0;
	case TCPS_SYN_RCVD:
		/* The FIN leaves once the handshake completes (tcp_output
		 * then moves to FIN-WAIT-1). */
		pcb->flags |= TCP_PF_SND_SHUT;
		pcb->snd.fin = true;
		return 0;
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		tcp_note_shutdown(st, pcb);
		tcp_output(st, pcb, now);
		return 0;
	default:
		return 0; /* already shut */
	}
}

void
tcp_abort(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	(void)now;
	pcb->flags |= TCP_PF_APP_CLOSED;
	if (pcb->state == TCPS_CLOSED)
		return;
	if (need_reset(pcb->state))
		tcp_send_rst_pcb(st, pcb);
	tcp_set_state(st, pcb, TCPS_CLOSED);
}

void
tcp_close(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t unread, uint64_t now)
{
	pcb->flags |= TCP_PF_APP_CLOSED;
	switch (pcb->state) {
	case TCPS_CLOSED:
		return;
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_set_state(st, pcb, TCPS_CLOSED);
		return;
	default:
		break;
	}
	if (unread > 0) {
		/* Linux tcp_close (RFC 2525 §2.17): unread data is lost, tell
		 * the peer with an RST instead of a FIN. */
		if (need_reset(pcb->state))
			tcp_send_rst_pcb(st, pcb);
		tcp_set_state(st, pcb, TCPS_CLOSED);
		return;
	}
	switch (pcb->state) {
	case TCPS_SYN_RCVD:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		tcp_shutdown_wr(st, pcb, now);
		break;
	case TCPS_FIN_WAIT_2:
		pcb->t_wait = now + st->conf.fin_wait2;
		tcp_timer_sync(st, pcb);
		break;
	default:
		break; /* FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT go on */
	}
}

void
tcp_set_nodelay(struct tcp_stack *st, struct tcp_pcb *pcb, bool on, uint64_t now)
{
	if (on) {
		pcb->flags |= TCP_PF_NODELAY;
		tcp_output(st, pcb, now);
	} else {
		pcb->flags &= (uint16_t)~TCP_PF_NODELAY;
	}
}

/* ---------------------------------------------------------------------- */
/* Keepalive / user-timeout socket options (issue 6), Linux's limits       */
/* ---------------------------------------------------------------------- */

#define MAX_KEEPIDLE 32767 /* Linux MAX_TCP_KEEPIDLE, seconds */
#define MAX_KEEPINTVL 32767
#define MAX_KEEPCNT 127

int
tcp_set_keepalive(struct tcp_stack *st, struct tcp_pcb *pcb, bool on, uint64_t now)
{
	if (on == tcp_has(pcb, TCP_PF_KEEPALIVE))
		return 0;
	if (on)
		pcb->flags |= TCP_PF_KEEPALIVE;
	else
		pcb->flags &= (uint16_t)~TCP_PF_KEEPALIVE;
	tcp_keepalive_reset(st, pcb, now);
	return 0;
}

int
tcp_set_keepidle(struct tcp_stack *st, struct tcp_pcb *pcb, int secs, uint64_t now)
{
	if (secs < 1 || secs > MAX_KEEPIDLE)
		return -EINVAL;
	pcb->ka_idle = (uint64_t)secs * 1000000;
	/* Linux keepalive_time_elapsed: re-armed for the new idle time. */
	if (tcp_has(pcb, TCP_PF_KEEPALIVE))
		tcp_keepalive_reset(st, pcb, now);
	return 0;
}

int
tcp_set_keepintvl(struct tcp_pcb *pcb, int secs)
{
	if (secs < 1 || secs > MAX_KEEPINTVL)
		return -EINVAL;
	pcb->ka_intvl = (uint64_t)secs * 1000000;
	return 0;
}

int
tcp_set_keepcnt(struct tcp_pcb *pcb, int cnt)
{
	if (cnt < 1 || cnt > MAX_KEEPCNT)
		return -EINVAL;
	pcb->ka_cnt = (uint8_t)cnt;
	return 0;
}

int
tcp_set_user_timeout(struct tcp_pcb *pcb, int ms)
{
	if (ms < 0)
		return -EINVAL;
	pcb->user_timeout = (uint32_t)ms;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Path MTU discovery (RFC 1191; issue 6)                                  */
/* ---------------------------------------------------------------------- */

int
tcp_pmtu_update(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t quoted_seq, uint32_t mtu,
		uint64_t now)
{
	if (pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN ||
	    pcb->state == TCPS_TIME_WAIT || tcp_seq_lt(quoted_seq, pcb->snd_una) ||
	    tcp_seq_geq(quoted_seq, pcb->snd_max)) {
		st->stats.pmtu_rejected++;
		return -1;
	}
	if (mtu == 0)
		return 0;
	if (mtu < TCP_MIN_PMTU)
		mtu = TCP_MIN_PMTU;
	if (mtu > UINT16_MAX)
		mtu = UINT16_MAX;
	if (pcb->pmtu != 0 && mtu >= pcb->pmtu)
		return 0;
	pcb->pmtu = (uint16_t)mtu;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RCVD)
		return 0; /* applied when the MSS is settled (tcp_apply_mss) */
	uint32_t m = mtu - 40u - tcp_opts_len(pcb);
	if (m < TCP_MIN_MSS)
		m = TCP_MIN_MSS;
	if (m >= pcb->mss)
		return 0;
	pcb->mss = (uint16_t)m;
	st->stats.pmtu_updates++;
	/* Everything in flight was cut to the old size: send it again now
	 * (Linux tcp_simple_retransmit; no ssthresh/cwnd reduction: this is
	 * no congestion). Karn: the RTT timing stops. */
	if (pcb->snd_una != pcb->snd_max && !tcp_has(pcb, TCP_PF_PERSIST)) {
		pcb->flags &= (uint16_t) ~(TCP_PF_RTT_TIMING | TCP_PF_SACK_RECOVERY |
					   TCP_PF_IN_RECOVERY);
		pcb->sb_n = 0;
		pcb->sacked_out = 0;
		pcb->high_rxt = pcb->snd_una;
		pcb->dupacks = 0;
		pcb->snd_nxt = pcb->snd_una;
		tcp_output(st, pcb, now);
	}
	return 1;
}

/* ---------------------------------------------------------------------- */
/* TIME_WAIT reuse on connect (Linux tcp_twsk_unique with tcp_tw_reuse)    */
/* ---------------------------------------------------------------------- */

bool
tcp_tw_reusable(const struct tcp_pcb *tw, uint64_t now)
{
	return tw->state == TCPS_TIME_WAIT && (tw->opt_ok & TCP_OPT_F_TS) &&
	       tw->ts_recent_age != 0 && now >= tw->ts_recent_age &&
	       now - tw->ts_recent_age >= TCP_TW_REUSE_DELAY_US;
}

void
tcp_tw_reuse_into(struct tcp_pcb *pcb, const struct tcp_pcb *tw)
{
	uint32_t iss = tw->snd_max + 65535 + 2; /* Linux: tw_snd_nxt + 65535 + 2 */
	pcb->tw_iss = iss != 0 ? iss : 1;
	pcb->ts_recent = tw->ts_recent;
	pcb->ts_recent_age = tw->ts_recent_age;
}
