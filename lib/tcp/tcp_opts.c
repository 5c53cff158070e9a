/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 6, the handshake options and what they protect:
 * - RFC 7323 window scaling (§2) and timestamps (§3, §4): negotiated on
 *   SYN / SYN-ACK only when both sides send them; TSval from a ms clock
 *   derived from `now` plus a keyed per-connection offset (Linux
 *   secure_tcp_ts_off), TS.Recent kept per RFC 7323 §4.3 with Linux's
 *   Last.ACK.sent rule; PAWS (§5) with Linux's one-tick window;
 * - RFC 5961 challenge ACKs and their rate limits (§7).
 */
#include <string.h>

#include "tcp_priv.h"

#define PAWS_24DAYS (24ull * 86400ull * 1000000ull) /* RFC 7323 §5.5, µs */
#define PAWS_WINDOW 1u				    /* Linux TCP_PAWS_WINDOW */
#define TS_OPT_LEN 12u				    /* NOP NOP TS: Linux TCPOLEN_TSTAMP_ALIGNED */

uint32_t
tcp_ts_now(const struct tcp_pcb *pcb, uint64_t now)
{
	return (uint32_t)(now / 1000) + pcb->ts_off;
}

uint8_t
tcp_wscale_for(uint32_t space)
{
	/* Linux tcp_select_initial_window: ilog2(space) - 15, clamped. */
	int l = 31;
	if (space == 0)
		return 0;
	while (!(space & (1u << l)))
		l--;
	int ws = l - 15;
	if (ws < 0)
		ws = 0;
	if (ws > (int)TCP_MAX_WSCALE)
		ws = TCP_MAX_WSCALE;
	return (uint8_t)ws;
}

/* A keyed per-connection TSval offset: the raw ms clock is not exposed
 * (uptime leak) and two connections' clocks are unrelated (Linux
 * secure_tcp_ts_off, RFC 7323 §7.1). A different input layout from the
 * ISN's keeps the two hashes apart. */
uint32_t
tcp_ts_offset(const uint8_t secret[16], const struct tcp_tuple *t)
{
	uint8_t b[16] = {'t', 's', 'o', 'f'};
	memcpy(b + 4, &t->laddr, 4);
	memcpy(b + 8, &t->raddr, 4);
	memcpy(b + 12, &t->lport, 2);
	memcpy(b + 14, &t->rport, 2);
	return (uint32_t)tcp_siphash24(secret, b, sizeof(b));
}

/* The receive buffer our window-scale offer is computed from: the ring
 * the glue attached (or the space it announced before attaching). */
static uint32_t
rcv_buffer(const struct tcp_pcb *pcb)
{
	return pcb->rcv.size != 0 ? pcb->rcv.size : pcb->rcv.space;
}

/* Active open: what our SYN offers (the stack's switches). */
void
tcp_opts_active(const struct tcp_stack *st, struct tcp_pcb *pcb)
{
	pcb->opt_ok = 0;
	pcb->rcv_wscale = st->conf.window_scaling ? tcp_wscale_for(rcv_buffer(pcb)) : 0;
	pcb->snd_wscale = 0;
	pcb->ts_off = st->conf.timestamps ? tcp_ts_offset(st->secret, &pcb->tuple) : 0;
}

/* Options of our SYN / SYN-ACK. SYN: everything enabled; SYN-ACK: what
 * the peer's SYN offered and we accepted (pcb->opt_ok). */
void
tcp_opts_syn(const struct tcp_stack *st, const struct tcp_pcb *pcb, struct tcp_out *out)
{
	uint8_t want;
	if (pcb->state == TCPS_SYN_SENT)
		want = (st->conf.window_scaling ? TCP_OPT_F_WSCALE : 0) |
		       (st->conf.timestamps ? TCP_OPT_F_TS : 0) |
		       (st->conf.sack ? TCP_OPT_F_SACK_OK : 0);
	else
		want = pcb->opt_ok;
	out->opts |= want;
	/* RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, the
	 * SYN-ACK accepting it ECE alone. A retransmitted SYN goes without
	 * (Linux tcp_ecn_clear_syn: a middlebox may drop ECN SYNs). */
	if (pcb->state == TCPS_SYN_SENT) {
		if (st->conf.ecn == 1 && !tcp_has(pcb, TCP_PF_RTX_SYN))
			out->flags |= TCP_ECE | TCP_CWR;
	} else if (pcb->ecn & TCP_ECN_OK) {
		out->flags |= TCP_ECE;
	}
	if (want & TCP_OPT_F_WSCALE)
		out->wscale = pcb->rcv_wscale;
	/* TSval/TSecr are filled by tcp_emit. */
}

/*
 * The peer's SYN (passive) or SYN-ACK (active) decides: an option is on
 * when both sides sent it (RFC 7323 §1.3, §2.2: "both sides must send
 * Window Scale options in their <SYN> segments to enable window scaling
 * in either direction"). For the SYN-ACK, only what our SYN offered can
 * come back (a SYN-ACK option we did not offer is ignored, as Linux).
 */
void
tcp_opts_negotiate(const struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_seg *seg,
		   uint64_t now)
{
	bool active = pcb->state == TCPS_SYN_SENT;
	const struct tcp_conf *c = &st->conf;

	pcb->opt_ok = 0;
	if (c->window_scaling && (seg->opts & TCP_OPT_F_WSCALE)) {
		pcb->opt_ok |= TCP_OPT_F_WSCALE;
		/* RFC 7323 §2.3: a shift above 14 is used as 14 (Linux logs
		 * and clamps the same way). */
		pcb->snd_wscale = (uint8_t)TCP_MIN(seg->wscale, TCP_MAX_WSCALE);
		if (!active)
			pcb->rcv_wscale = tcp_wscale_for(rcv_buffer(pcb));
	} else {
		pcb->snd_wscale = 0;
		pcb->rcv_wscale = 0;
	}
	if (c->timestamps && (seg->opts & TCP_OPT_F_TS)) {
		pcb->opt_ok |= TCP_OPT_F_TS;
		if (!active)
			pcb->ts_off = tcp_ts_offset(st->secret, &pcb->tuple);
		pcb->ts_recent = seg->tsval;
		pcb->ts_recent_age = now;
	}
	if (c->sack && (seg->opts & TCP_OPT_F_SACK_OK))
		pcb->opt_ok |= TCP_OPT_F_SACK_OK;
	/* ECN: a SYN-ACK answers with ECE and not CWR (to our ECN-setup SYN:
	 * tcp_ecn = 1); a SYN (passive or simultaneous open) asks with both,
	 * and any non-zero tcp_ecn accepts. */
	uint8_t ec = seg->flags & (TCP_ECE | TCP_CWR);
	pcb->ecn = 0;
	if ((seg->flags & TCP_ACK) ? (c->ecn == 1 && ec == TCP_ECE)
				   : (c->ecn != 0 && ec == (TCP_ECE | TCP_CWR)))
		pcb->ecn = TCP_ECN_OK;
}

/* The MSS the option bytes leave for data: Linux's mss_cache subtracts
 * the aligned timestamp option from every segment's room. */
uint32_t
tcp_opts_len(const struct tcp_pcb *pcb)
{
	return (pcb->opt_ok & TCP_OPT_F_TS) ? TS_OPT_LEN : 0;
}

/*
 * RFC 7323 §5.3 R1 (PAWS), as Linux's tcp_paws_discard: a segment whose
 * TSval is older than TS.Recent is a duplicate from an earlier wrap of
 * the sequence space. Linux's tolerance of one tick (TCP_PAWS_WINDOW) is
 * kept; TS.Recent older than 24 days is no longer trusted (§5.5). An RST
 * is never discarded here (Linux: "Reset is accepted even if it did not
 * pass PAWS"); RFC 5961's exact-sequence rule protects it instead.
 */
bool
tcp_paws_reject(const struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	if (!(pcb->opt_ok & TCP_OPT_F_TS) || !(seg->opts & TCP_OPT_F_TS) || (seg->flags & TCP_RST))
		return false;
	if ((int32_t)(pcb->ts_recent - seg->tsval) <= (int32_t)PAWS_WINDOW)
		return false;
	if (now - pcb->ts_recent_age > PAWS_24DAYS)
		return false;
	return true;
}

/* RFC 7323 §4.3 (Linux tcp_replace_ts_recent): remember the peer's TSval
 * when the segment covers Last.ACK.sent and is not older. */
void
tcp_ts_update(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	if (!(pcb->opt_ok & TCP_OPT_F_TS) || !(seg->opts & TCP_OPT_F_TS))
		return;
	if (tcp_seq_gt(seg->seq, pcb->ts_last_ack))
		return;
	if ((int32_t)(seg->tsval - pcb->ts_recent) >= 0 || now - pcb->ts_recent_age > PAWS_24DAYS) {
		pcb->ts_recent = seg->tsval;
		pcb->ts_recent_age = now;
	}
}

/*
 * RFC 5961 §7 challenge ACK with Linux's two limits
 * (tcp_send_challenge_ack): first per pcb, one per invalid_ratelimit
 * (500 ms, __tcp_oow_rate_limited); then stack-wide, challenge_ack_limit
 * per second with the budget drawn in [limit/2, limit*3/2) each second so
 * that the shared counter is no side channel (CVE-2016-5696). The draw is
 * keyed by the stack secret, so it is reproducible in tests. Returns
 * whether the ACK was sent.
 */
bool
tcp_send_challenge_ack(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	const struct tcp_conf *c = &st->conf;

	if (pcb->last_oow_ack != 0 && now - pcb->last_oow_ack < c->invalid_ratelimit) {
		st->stats.challenge_acks_skipped++;
		return false;
	}
	pcb->last_oow_ack = now;
	if (c->challenge_ack_limit != 0) {
		uint64_t sec = now / 1000000;
		if (sec != st->chack_sec || st->chack_left == UINT32_MAX) {
			uint32_t half = (c->challenge_ack_limit + 1) / 2;
			uint8_t b[12] = {'c', 'h', 'a', 'k'};
			memcpy(b + 4, &sec, 8);
			st->chack_sec = sec;
			st->chack_left =
			    half + (uint32_t)(tcp_siphash24(st->secret, b, sizeof(b)) %
					      c->challenge_ack_limit);
		}
		if (st->chack_left == 0) {
			st->stats.challenge_acks_skipped++;
			return false;
		}
		st->chack_left--;
	}
	st->stats.challenge_acks++;
	tcp_send_ack(st, pcb, now);
	tcp_timer_sync(st, pcb);
	return true;
}
