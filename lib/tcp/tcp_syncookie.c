/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies (issue 6) with Linux's encoding (net/ipv4/syncookies.c):
 *
 *   ISN = H1(tuple) + SEG.SEQ + (minute << 24)
 *         + ((H2(tuple, minute) + mss_index) & 0xffffff)
 *
 * valid for two minutes; the MSS is one of four table values. With
 * timestamps, the low 6 bits of our TSval carry what the SYN negotiated
 * (the peer's window shift, 0xf = none; SACK-permitted; ECN) and come
 * back in the ACK's TSecr (cookie_init_timestamp / cookie_timestamp_decode).
 * Without timestamps a cookie connection has no options but the MSS, as
 * Linux (tcp_clear_options). H1/H2 are SipHash keyed by the stack secret
 * over distinct inputs (Linux: two siphash keys).
 */
#include <string.h>

#include "tcp_priv.h"

#define COOKIEBITS 24u
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_AGE 2u		      /* minutes (Linux MAX_SYNCOOKIE_AGE) */
#define MINUTE 60000000ull	      /* µs */
#define VALID_AFTER_OVERFLOW 120000000ull /* Linux TCP_SYNCOOKIE_VALID: 2 min */
#define TSBITS 6u
#define TSMASK ((1u << TSBITS) - 1)
#define TS_WSCALE_NONE 0xfu
#define TS_SACK 0x10u
#define TS_ECN 0x20u

static const uint16_t msstab[] = {536, 1300, 1440, 1460}; /* Linux msstab (IPv4) */

static uint32_t
ck_hash(const uint8_t secret[16], const struct tcp_tuple *t, uint32_t count, uint8_t which)
{
	uint8_t b[20] = {'c', 'k', 'i', which};
	memcpy(b + 4, &t->laddr, 4);
	memcpy(b + 8, &t->raddr, 4);
	memcpy(b + 12, &t->lport, 2);
	memcpy(b + 14, &t->rport, 2);
	memcpy(b + 16, &count, 4);
	return (uint32_t)tcp_siphash24(secret, b, sizeof(b));
}

uint32_t
tcp_syncookie_make(const uint8_t secret[16], const struct tcp_tuple *t, uint32_t sseq,
		   unsigned mss_idx, uint64_t now)
{
	uint32_t count = (uint32_t)(now / MINUTE);
	return ck_hash(secret, t, 0, 1) + sseq + (count << COOKIEBITS) +
	       ((ck_hash(secret, t, count, 2) + mss_idx) & COOKIEMASK);
}

int
tcp_syncookie_check(const uint8_t secret[16], const struct tcp_tuple *t, uint32_t sseq,
		    uint32_t cookie, uint64_t now)
{
	uint32_t count = (uint32_t)(now / MINUTE);
	cookie -= ck_hash(secret, t, 0, 1) + sseq;
	/* The minute the cookie was made is in its top 8 bits. */
	uint32_t diff = (count - (cookie >> COOKIEBITS)) & (UINT32_MAX >> COOKIEBITS);
	if (diff >= MAX_AGE)
		return -1;
	uint32_t idx = (cookie - ck_hash(secret, t, count - diff, 2)) & COOKIEMASK;
	return idx < sizeof(msstab) / sizeof(msstab[0]) ? (int)idx : -1;
}

/* The stateless SYN-ACK (Linux tcp_conn_request with want_cookie). */
void
tcp_syncookie_synack(struct tcp_stack *st, struct tcp_listen *lst, const struct tcp_seg *seg,
		     const struct tcp_tuple *t, uint64_t now)
{
	const struct tcp_conf *c = &st->conf;
	uint32_t peer = (seg->opts & TCP_OPT_F_MSS) ? seg->mss : TCP_DEFAULT_MSS;
	uint32_t m = TCP_MIN(peer, (uint32_t)(lst->adv_mss != 0 ? lst->adv_mss : TCP_DEFAULT_MSS));
	unsigned idx = 0;
	for (unsigned i = sizeof(msstab) / sizeof(msstab[0]); i-- > 0;)
		if (msstab[i] <= m) {
			idx = i;
			break;
		}
	struct tcp_out out;
	memset(&out, 0, sizeof(out));
	out.tuple = *t;
	out.seq = tcp_syncookie_make(st->secret, t, seg->seq, idx, now);
	out.ack = seg->seq + 1;
	out.flags = TCP_SYN | TCP_ACK;
	out.opts = TCP_OPT_F_MSS;
	out.mss = lst->adv_mss != 0 ? lst->adv_mss : TCP_DEFAULT_MSS;
	out.wnd = (uint16_t)TCP_MIN(lst->rcv_space, TCP_MAX_WINDOW);
	if (c->timestamps && (seg->opts & TCP_OPT_F_TS)) {
		uint32_t o = TS_WSCALE_NONE;
		if (c->window_scaling && (seg->opts & TCP_OPT_F_WSCALE)) {
			o = TCP_MIN(seg->wscale, TCP_MAX_WSCALE);
			out.opts |= TCP_OPT_F_WSCALE;
			out.wscale = tcp_wscale_for(lst->rcv_space);
		}
		if (c->sack && (seg->opts & TCP_OPT_F_SACK_OK)) {
			o |= TS_SACK;
			out.opts |= TCP_OPT_F_SACK_OK;
		}
		if (c->ecn != 0 && (seg->flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR)) {
			o |= TS_ECN;
			out.flags |= TCP_ECE;
		}
		/* Never ahead of the clock the connection will use. */
		uint32_t ts_now = (uint32_t)(now / 1000) + tcp_ts_offset(st->secret, t);
		uint32_t ts = (ts_now & ~TSMASK) | o;
		if ((int32_t)(ts - ts_now) > 0)
			ts -= 1u << TSBITS;
		out.opts |= TCP_OPT_F_TS;
		out.tsval = ts;
		out.tsecr = seg->tsval;
	}
	st->stats.syncookies_sent++;
	st->stats.out_segs++;
	lst->last_overflow = now;
	st->ops->emit(st, NULL, &out);
}

/*
 * An ACK to the listener: a cookie? Returns the pcb, created and already
 * in SYN_RCVD with everything the cookie encoded, for tcp_input to
 * complete; NULL when the ACK is no valid cookie (syncookies_failed
 * counted; the caller answers with an RST as without cookies).
 */
struct tcp_pcb *
tcp_syncookie_ack(struct tcp_stack *st, struct tcp_listen *lst, const struct tcp_seg *seg,
		  const struct tcp_tuple *t, uint64_t now)
{
	const struct tcp_conf *c = &st->conf;
	int idx = tcp_syncookie_check(st->secret, t, seg->seq - 1, seg->ack - 1, now);
	if (idx < 0) {
		st->stats.syncookies_failed++;
		return NULL;
	}
	st->stats.syncookies_recv++;
	struct tcp_pcb *pcb = st->ops->pcb_alloc(st, lst, t);
	if (pcb == NULL)
		return NULL;
	tcp_pcb_init(pcb, t, lst->adv_mss);
	pcb->flags |= TCP_PF_PASSIVE;
	if (lst->nodelay)
		pcb->flags |= TCP_PF_NODELAY;
	pcb->listener = lst;
	pcb->rcv.space = lst->rcv_space;
	pcb->irs = seg->seq - 1;
	pcb->rcv_nxt = seg->seq;
	pcb->iss = seg->ack - 1;
	pcb->snd_una = pcb->iss;
	pcb->snd_nxt = seg->ack;
	pcb->snd_max = seg->ack;
	pcb->snd_sml = pcb->iss;
	pcb->snd_wl1 = pcb->irs;
	pcb->snd_wl2 = pcb->iss;
	if (c->timestamps && (seg->opts & TCP_OPT_F_TS) && seg->tsecr != 0) {
		uint32_t o = seg->tsecr & TSMASK;
		pcb->opt_ok |= TCP_OPT_F_TS;
		pcb->ts_off = tcp_ts_offset(st->secret, t);
		pcb->ts_recent = seg->tsval;
		pcb->ts_recent_age = now;
		if (c->window_scaling && (o & TS_WSCALE_NONE) != TS_WSCALE_NONE) {
			pcb->opt_ok |= TCP_OPT_F_WSCALE;
			pcb->snd_wscale = (uint8_t)TCP_MIN(o & TS_WSCALE_NONE, TCP_MAX_WSCALE);
			pcb->rcv_wscale = tcp_wscale_for(lst->rcv_space);
		}
		if (c->sack && (o & TS_SACK))
			pcb->opt_ok |= TCP_OPT_F_SACK_OK;
		if (c->ecn != 0 && (o & TS_ECN))
			pcb->ecn = TCP_ECN_OK;
	}
	uint32_t m = TCP_MIN((uint32_t)msstab[idx], (uint32_t)pcb->adv_mss) - tcp_opts_len(pcb);
	pcb->mss = (uint16_t)TCP_MAX(m, TCP_MIN_MSS);
	/* What our SYN-ACK offered (unscaled, RFC 7323 §2.2). */
	pcb->rcv_wnd = TCP_MIN(lst->rcv_space, TCP_MAX_WINDOW);
	pcb->rcv_adv = pcb->rcv_nxt + pcb->rcv_wnd;
	pcb->last_seg_rcv = now;
	tcp_set_state(st, pcb, TCPS_SYN_RCVD);
	lst->synq_len++;
	st->stats.passive_opens++;
	return pcb;
}
