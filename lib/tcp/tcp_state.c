/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state machine as data: RFC 9293 §3.3.2's eleven states with Linux's
 * numbers, the transitions the core may make, and tcp_set_state(), the one
 * function through which every change goes. Also the stack and pcb
 * constructors and the observability snapshot.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "tcp_priv.h"

#define B(s) (1u << (s))

_Static_assert(sizeof(struct tcp_stats) % sizeof(uint64_t) == 0 &&
		   sizeof(struct tcp_stats) ==
		       (offsetof(struct tcp_stats, state_cur) + TCPS__COUNT * sizeof(int64_t)),
	       "struct tcp_stats: 64-bit counters only, state_cur last");

static const struct {
	const char *name; /* RFC 9293 spelling */
	/* States this one may move to. Besides RFC 9293's diagram: every
	 * state may go to CLOSED (RST, abort, timeout), as Linux's tcp_done. */
	uint32_t next;
} state_tab[TCPS__COUNT] = {
    [TCPS_NONE] = {"NONE", 0},
    /* CLOSED: active open; LISTEN; a passive pcb is born in SYN-RECEIVED
     * (RFC: LISTEN -> SYN-RECEIVED; the listener itself stays LISTEN). */
    [TCPS_CLOSED] = {"CLOSED", B(TCPS_SYN_SENT) | B(TCPS_SYN_RCVD) | B(TCPS_LISTEN)},
    [TCPS_LISTEN] = {"LISTEN", B(TCPS_CLOSED)},
    /* SYN-SENT: SYN,ACK -> ESTABLISHED; bare SYN -> SYN-RECEIVED
     * (simultaneous open, RFC 9293 §3.5 figure 8). */
    [TCPS_SYN_SENT] = {"SYN-SENT", B(TCPS_ESTABLISHED) | B(TCPS_SYN_RCVD) | B(TCPS_CLOSED)},
    /* SYN-RECEIVED: ACK of our SYN -> ESTABLISHED; close -> FIN-WAIT-1
     * (RFC 9293 §3.10.4). */
    [TCPS_SYN_RCVD] = {"SYN-RECEIVED", B(TCPS_ESTABLISHED) | B(TCPS_FIN_WAIT_1) | B(TCPS_CLOSED)},
    [TCPS_ESTABLISHED] = {"ESTABLISHED", B(TCPS_FIN_WAIT_1) | B(TCPS_CLOSE_WAIT) | B(TCPS_CLOSED)},
    /* FIN-WAIT-1: our FIN acked -> FIN-WAIT-2; their FIN first ->
     * CLOSING (simultaneous close); both in one segment -> TIME-WAIT. */
    [TCPS_FIN_WAIT_1] = {"FIN-WAIT-1",
			 B(TCPS_FIN_WAIT_2) | B(TCPS_CLOSING) | B(TCPS_TIME_WAIT) | B(TCPS_CLOSED)},
    [TCPS_FIN_WAIT_2] = {"FIN-WAIT-2", B(TCPS_TIME_WAIT) | B(TCPS_CLOSED)},
    [TCPS_CLOSE_WAIT] = {"CLOSE-WAIT", B(TCPS_LAST_ACK) | B(TCPS_CLOSED)},
    [TCPS_CLOSING] = {"CLOSING", B(TCPS_TIME_WAIT) | B(TCPS_CLOSED)},
    [TCPS_LAST_ACK] = {"LAST-ACK", B(TCPS_CLOSED)},
    [TCPS_TIME_WAIT] = {"TIME-WAIT", B(TCPS_CLOSED)},
};

const char *
tcp_state_name(unsigned state)
{
	return state < TCPS__COUNT ? state_tab[state].name : "?";
}

int
tcp_state_from_name(const char *name)
{
	for (unsigned s = 1; s < TCPS__COUNT; s++) {
		const char *n = state_tab[s].name;
		size_t i;
		for (i = 0; n[i] != '\0' && name[i] != '\0'; i++) {
			char a = n[i], b = name[i];
			if (a == '-' && b == '_')
				continue;
			if ((a | 0x20) != (b | 0x20))
				break;
		}
		if (n[i] == '\0' && name[i] == '\0')
			return (int)s;
	}
	if (strcasecmp(name, "SYN_RECV") == 0)
		return TCPS_SYN_RCVD;
	if (strcasecmp(name, "SYN_RCVD") == 0)
		return TCPS_SYN_RCVD;
	return -1;
}

bool
tcp_state_transition_ok(enum tcp_state from, enum tcp_state to)
{
	if ((unsigned)from >= TCPS__COUNT || (unsigned)to >= TCPS__COUNT)
		return false;
	return (state_tab[from].next & B(to)) != 0;
}

static const char *const drop_names[TCP_DROP__COUNT] = {
    [TCP_DROP_NONE] = "none",
    [TCP_DROP_HDR_SHORT] = "hdr_short",
    [TCP_DROP_HDR_DOFF] = "hdr_doff",
    [TCP_DROP_OPT_BAD] = "opt_bad",
    [TCP_DROP_BAD_FLAGS] = "bad_flags",
    [TCP_DROP_NOT_SYN] = "listen_not_syn",
    [TCP_DROP_SYNQ_FULL] = "synq_full",
    [TCP_DROP_ACCEPTQ_FULL] = "acceptq_full",
    [TCP_DROP_NO_PCB] = "no_pcb",
    [TCP_DROP_OUT_OF_WINDOW] = "out_of_window",
    [TCP_DROP_RST_OUT_OF_WINDOW] = "rst_out_of_window",
    [TCP_DROP_BAD_ACK] = "bad_ack",
    [TCP_DROP_OLD_ACK] = "syn_sent_bad_ack",
    [TCP_DROP_OOO_FULL] = "ooo_full",
    [TCP_DROP_RCV_NO_BUF] = "rcv_no_buf",
    [TCP_DROP_DATA_AFTER_CLOSE] = "data_after_close",
    [TCP_DROP_STATE] = "state",
    [TCP_DROP_TW] = "time_wait",
};

const char *
tcp_drop_name(enum tcp_drop r)
{
	return (unsigned)r < TCP_DROP__COUNT ? drop_names[r] : "?";
}

void
tcp_conf_default(struct tcp_conf *c)
{
	*c = (struct tcp_conf){
	    .syn_retries = 6,
	    .synack_retries = 5,
	    .retries2 = 15,
	    .rto_initial = 1000000,
	    .rto_min = 200000,
	    .rto_max = 120000000,
	    .msl2 = 60000000,
	    .delack_min = 40000,
	    .delack_max = 200000,
	    .fin_wait2 = 60000000,
	    .init_cwnd = 10,
	    .quickacks = 16,
	    .ooo_max = TCP_OOO_MAX,
	    .window_scaling = true,
	    .timestamps = true,
	    /* Linux's default is 1. (It was off while the RFC 6675 sender
	     * lost its time in RTOs against Linux receivers: the tail loss
	     * probe, lost-retransmission detection and the RTO keeping the
	     * scoreboard fixed that; docs/tcp-design.md, SACK.) */
	    .sack = true,
	    /* Linux's default is 2 (accept ECN when asked). 0 until the glue
	     * fills tcp_seg.ce: a connection that negotiated ECN but never
	     * learns of CE marks would ignore a marking AQM's congestion
	     * signal. The glue sets 2 once it passes CE (and ECT). */
	    .ecn = 0,
	    .challenge_ack_limit = 1000,
	    .invalid_ratelimit = 500000,
	    .keepalive_time = 7200000000ull,
	    .keepalive_intvl = 75000000ull,
	    .keepalive_probes = 9,
	    .cc = NULL,
	    .syncookies = 1,
	};
}

void
tcp_stack_init(struct tcp_stack *st, const struct tcp_ops *ops, const struct tcp_conf *conf,
	       const uint8_t secret[16], uint64_t now)
{
	memset(&st->stats, 0, sizeof(st->stats));
	st->ops = ops;
	if (conf != NULL)
		st->conf = *conf;
	else
		tcp_conf_default(&st->conf);
	if (st->conf.ooo_max == 0 || st->conf.ooo_max > TCP_OOO_MAX)
		st->conf.ooo_max = TCP_OOO_MAX;
	memcpy(st->secret, secret, sizeof(st->secret));
	st->chack_sec = 0;
	st->chack_left = UINT32_MAX; /* drawn at the first challenge ACK */
	tcp_wheel_init(&st->wheel, now);
}

void
tcp_pcb_init(struct tcp_pcb *pcb, const struct tcp_tuple *t, uint16_t adv_mss)
{
	void *user = pcb->user;
	memset(pcb, 0, sizeof(*pcb));
	pcb->user = user;
	pcb->state = TCPS_CLOSED;
	pcb->tuple = *t;
	pcb->adv_mss = adv_mss != 0 ? adv_mss : TCP_DEFAULT_MSS;
	pcb->mss = TCP_DEFAULT_MSS;
	pcb->snd_wnd = 0;
	pcb->ssthresh = UINT32_MAX; /* RFC 5681 3.1: arbitrarily high */
}

/*
 * Every state change. Counters: transitions into each state and pcbs
 * currently in each (CLOSED is not counted as "current": a closed pcb is
 * about to be freed); the SNMP counters Linux derives from transitions
 * (tcp_set_state: ActiveOpens at SYN_SENT, AttemptFails, EstabResets).
 */
void
tcp_set_state(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_state ns)
{
	enum tcp_state os = pcb->state;

	if (os == ns)
		return;
	if (!tcp_state_transition_ok(os, ns))
		st->stats.bad_transitions++;
	pcb->state = (uint8_t)ns;
	st->stats.state_enter[ns]++;
	if (os != TCPS_CLOSED)
		st->stats.state_cur[os]--;
	if (ns != TCPS_CLOSED)
		st->stats.state_cur[ns]++;

	if (ns == TCPS_SYN_SENT)
		st->stats.active_opens++;
	if (ns == TCPS_CLOSED) {
		if (os == TCPS_SYN_SENT || os == TCPS_SYN_RCVD)
			st->stats.attempt_fails++;
		if (os == TCPS_ESTABLISHED || os == TCPS_CLOSE_WAIT)
			st->stats.estab_resets += pcb->so_error != 0;
	}
	/* A passive pcb leaving SYN-RECEIVED frees its SYN-queue place. */
	if (os == TCPS_SYN_RCVD && tcp_has(pcb, TCP_PF_PASSIVE) && pcb->listener != NULL &&
	    pcb->listener->synq_len > 0)
		pcb->listener->synq_len--;

	tcp_event(st, pcb, TCP_EV_STATE, (int)os);
	if (ns == TCPS_CLOSED) {
		pcb->t_rtx = pcb->t_delack = pcb->t_wait = pcb->t_keep = pcb->t_reo = 0;
		tcp_wheel_del(&st->wheel, &pcb->tnode);
		tcp_event(st, pcb, TCP_EV_CLOSED, 0);
	}
}

/* The connection ends with an error the app sees (so_error). */
void
tcp_fail(struct tcp_stack *st, struct tcp_pcb *pcb, int err)
{
	pcb->so_error = err;
	tcp_event(st, pcb, TCP_EV_ERROR, err);
	tcp_set_state(st, pcb, TCPS_CLOSED);
}

/* RFC 9293 §3.10.7.4 eighth: TIME-WAIT for 2 MSL; every other timer off. */
void
tcp_enter_time_wait(struct tcp_stack *st, struct tcp_pcb *pcb, uint64_t now)
{
	tcp_set_state(st, pcb, TCPS_TIME_WAIT);
	pcb->t_rtx = 0;
	pcb->t_delack = 0;
	pcb->t_keep = 0;
	pcb->flags &= (uint16_t)~TCP_PF_PERSIST;
	pcb->t_wait = now + st->conf.msl2;
	tcp_timer_sync(st, pcb);
}

int
tcp_listen(struct tcp_stack *st, struct tcp_pcb *pcb)
{
	if (pcb->state != TCPS_CLOSED)
		return -EINVAL;
	tcp_set_state(st, pcb, TCPS_LISTEN);
	return 0;
}

uint32_t
tcp_data_end(const struct tcp_pcb *pcb)
{
	if (tcp_has(pcb, TCP_PF_FIN_SENT))
		return pcb->snd_fin_seq;
	return pcb->snd_una + pcb->snd.len;
}

/* Linux's tcpi_lost (lost_out), in segments: with SACK the holes RFC
 * 6675's IsLost (or an RTO) marks; NewReno marks SND.UNA's segment in
 * fast recovery; an RTO without SACK marks everything outstanding. */
static uint32_t
info_lost(const struct tcp_pcb *pcb)
{
	/* `ss` reads a pcb its worker is changing (tcp_get_info's callers
	 * in the daemon): one snapshot of the bounds, and a walk bounded by
	 * them whatever the scoreboard says meanwhile. */
	uint32_t mss = pcb->mss != 0 ? pcb->mss : TCP_DEFAULT_MSS;
	uint32_t una = pcb->snd_una, out = pcb->snd_max - una;
	/* In flight never exceeds the send buffer (+ FIN); more is a torn read. */
	uint32_t cap = pcb->snd.size != 0 ? pcb->snd.size + 1 : UINT32_C(1) << 30;
	if (out == 0 || out > cap || pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RCVD)
		return 0;
	uint32_t segs = (out + mss - 1) / mss;
	if (pcb->opt_ok & TCP_OPT_F_SACK_OK) {
		uint32_t n = 0;
		unsigned b = 0, sb_n = pcb->sb_n < TCP_SB_MAX ? pcb->sb_n : TCP_SB_MAX;
		for (uint32_t i = 0; i < segs; i++) {
			uint32_t s = una + i * mss;
			while (b < sb_n && tcp_seq_leq(pcb->sb[b].right, s))
				b++;
			bool sacked = b < sb_n && tcp_seq_geq(s, pcb->sb[b].left);
			if (!sacked && tcp_sack_is_lost(pcb, s))
				n++;
		}
		return n;
	}
	if (tcp_has(pcb, TCP_PF_IN_RECOVERY))
		return 1;
	return pcb->backoff > 0 ? segs : 0;
}

void
tcp_get_info(const struct tcp_pcb *pcb, struct tcp_pcb_info *i)
{
	memset(i, 0, sizeof(*i));
	i->state = pcb->state;
	i->backoff = pcb->backoff;
	i->retransmits = pcb->retries;
	i->total_retrans = pcb->total_retrans;
	i->rto = (uint32_t)pcb->rto;
	i->srtt = (uint32_t)pcb->srtt;
	i->rttvar = (uint32_t)pcb->rttvar;
	i->snd_mss = pcb->mss;
	i->rcv_mss = pcb->adv_mss;
	i->snd_cwnd = pcb->cwnd;
	i->snd_ssthresh = pcb->ssthresh;
	i->unacked = pcb->snd_max - pcb->snd_una;
	i->snd_wnd = pcb->snd_wnd;
	i->rcv_wnd = pcb->rcv_wnd;
	i->dupacks = pcb->dupacks;
	i->bytes_sent = pcb->bytes_sent;
	i->bytes_retrans = pcb->bytes_retrans;
	i->bytes_acked = pcb->bytes_acked_total;
	i->bytes_received = pcb->bytes_received;
	i->segs_in = pcb->segs_in;
	i->segs_out = pcb->segs_out;
	i->dupacks_total = pcb->dupacks_total;
	if (pcb->opt_ok & TCP_OPT_F_TS)
		i->options |= TCP_INFO_OPT_TIMESTAMPS;
	if (pcb->opt_ok & TCP_OPT_F_SACK_OK)
		i->options |= TCP_INFO_OPT_SACK;
	if (pcb->ecn & TCP_ECN_OK)
		i->options |= TCP_INFO_OPT_ECN;
	if (pcb->opt_ok & TCP_OPT_F_WSCALE) {
		i->options |= TCP_INFO_OPT_WSCALE;
		i->snd_wscale = pcb->snd_wscale;
		i->rcv_wscale = pcb->rcv_wscale;
	}
	i->sacked = pcb->sacked_out;
	const char *cc = pcb->cc != NULL ? pcb->cc->name : tcp_cc_cubic.name;
	strncpy(i->cc_name, cc, sizeof(i->cc_name) - 1);
	/* The pending timer as Linux's inet_diag picks it. */
	i->lost = info_lost(pcb);
	if (pcb->state == TCPS_TIME_WAIT && pcb->t_wait != 0) {
		i->timer = TCP_INFO_TIMER_TIMEWAIT;
		i->timer_at = pcb->t_wait;
	} else if (pcb->t_rtx != 0) {
		i->timer = tcp_has(pcb, TCP_PF_PERSIST) ? TCP_INFO_TIMER_PROBE0 : TCP_INFO_TIMER_ON;
		i->timer_at = pcb->t_rtx;
		i->timer_count = pcb->retries;
	} else if (pcb->t_keep != 0) {
		i->timer = TCP_INFO_TIMER_KEEPALIVE;
		i->timer_at = pcb->t_keep;
		i->timer_count = pcb->ka_probes;
	} else if (pcb->t_wait != 0) {
		/* Orphaned FIN-WAIT-2: Linux runs it on the keepalive timer. */
		i->timer = TCP_INFO_TIMER_KEEPALIVE;
		i->timer_at = pcb->t_wait;
	}
	i->keepalive = tcp_has(pcb, TCP_PF_KEEPALIVE);
	i->user_timeout = pcb->user_timeout;
}
