/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cavctl ss: the sockets of libcavsock clients, like `ss -uanp` for UDP
 * (protocol, state, queue depths, local and peer address, owning pid and
 * worker) and `ss -tn` for TCP (connections from lib/tcpdp's table, TIME_WAIT
 * included, and listeners; -i adds the `ss -tio` figures: options, congestion
 * control, RTT, windows, the pending timer); `ss -s`: the
 * session summary (clients attached, dropped and why, TCP counters).
 * Runs on the main lcore, the writer of the socket table; queue depths are
 * read from the shared indices and clamped (a client may write anything
 * there); a connection's figures are read while its owner worker updates
 * them (relaxed, as `ss` reads a live kernel socket).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "counter.h"
#include "daemon.h"
#include "parse.h"
#include "session.h"
#include "tcpdp.h"

static uint32_t
depth(const struct cav_ring_idx *idx, uint32_t size)
{
	uint32_t used = __atomic_load_n(&idx->prod, __ATOMIC_RELAXED) -
			__atomic_load_n(&idx->cons, __ATOMIC_RELAXED);
	return used > size ? size : used;
}

static void
fmt_ep(char *out, size_t n, uint64_t w, bool any_port)
{
	char ip[16];
	if (any_port && sess_w_port(w) == 0)
		snprintf(out, n, "%s:*", fmt_ip4(sess_w_addr(w), ip));
	else
		snprintf(out, n, "%s:%u", fmt_ip4(sess_w_addr(w), ip), sess_w_port(w));
}

static void
fmt_tuple_ep(char *out, size_t n, uint32_t addr, uint16_t port)
{
	char ip[16];
	snprintf(out, n, "%s:%u", fmt_ip4(addr, ip), port);
}

/* ss's state names (iproute2 misc/ss.c sstate_name). */
static const char *const ss_state[TCPS__COUNT] = {
	[TCPS_NONE] = "UNKNOWN",     [TCPS_ESTABLISHED] = "ESTAB",
	[TCPS_SYN_SENT] = "SYN-SENT", [TCPS_SYN_RCVD] = "SYN-RECV",
	[TCPS_FIN_WAIT_1] = "FIN-WAIT-1", [TCPS_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCPS_TIME_WAIT] = "TIME-WAIT", [TCPS_CLOSED] = "UNCONN",
	[TCPS_CLOSE_WAIT] = "CLOSE-WAIT", [TCPS_LAST_ACK] = "LAST-ACK",
	[TCPS_LISTEN] = "LISTEN",     [TCPS_CLOSING] = "CLOSING",
};

/* struct tcp_stats by name: Linux's /proc/net/snmp and netstat meaning
 * (the comments in lib/tcp/tcp.h); every member is a uint64_t. CurrEstab
 * is computed (state_cur), the drops are the graph's drop_tcp_* nodes. */
#define F(f) {#f, offsetof(struct tcp_stats, f)}
const struct tcp_stat_field tcp_stat_fields[] = {
	F(active_opens),	   F(passive_opens),	   F(attempt_fails),
	F(estab_resets),	   F(in_segs),		   F(out_segs),
	F(retrans_segs),	   F(in_errs),		   F(out_rsts),
	F(in_rsts),		   F(timeouts),		   F(rto_fires),
	F(fast_retrans),	   F(persist_probes),	   F(delayed_acks),
	F(bad_transitions),	   F(listen_overflows),	   F(listen_drops),
	/* issue 6 */
	F(paws_rejects),	   F(challenge_acks),	   F(challenge_acks_skipped),
	F(syn_challenges),	   F(rst_challenges),	   F(old_ack_drops),
	F(keepalive_probes),	   F(keepalive_timeouts),  F(user_timeouts),
	F(hystart_exits),	   F(sack_recoveries),	   F(sack_retrans),
	F(dsack_sent),		   F(dsack_rcvd),	   F(lost_retrans),
	F(tlp_probes),		   F(limited_transmits),   F(ecn_ce_rcvd),
	F(ecn_cwnd_reductions),	   F(syncookies_sent),	   F(syncookies_recv),
	F(syncookies_failed),	   F(pmtu_updates),	   F(pmtu_rejected),
	/* R5: RACK, undo */
	F(rack_recoveries),	   F(rack_reo_timeouts),   F(rack_lost_rxt),
	F(undo_eifel),		   F(undo_dsack),
};
#undef F
const unsigned int tcp_stat_n_fields = sizeof(tcp_stat_fields) / sizeof(tcp_stat_fields[0]);
/* The named counters are the uint64_t members before drops[] (lib/tcp
 * appends new ones there): `cavctl stats` says when this table has fallen
 * behind (tcp_summary), rather than breaking the build of whoever adds one. */
static const unsigned int tcp_stat_n_struct = offsetof(struct tcp_stats, drops) / sizeof(uint64_t);

static void
tcp_summary(const struct dp_shared *sh, struct ctl_reply *r)
{
	struct tcp_stats st;
	tcpdp_stats_sum(sh, &st);
	int64_t estab = st.state_cur[TCPS_ESTABLISHED] + st.state_cur[TCPS_CLOSE_WAIT];
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, "tcp");
		for (unsigned int f = 0; f < tcp_stat_n_fields; f++)
			jw_u64(jw, tcp_stat_fields[f].name, tcp_stat_get(&st, f));
		jw_u64(jw, "curr_estab", (uint64_t)estab);
		for (unsigned int c = 0; c < TCPDP_C__COUNT; c++)
			jw_u64(jw, tcpdp_ctr_names[c], tcpdp_counter(sh, c));
		if (tcp_stat_n_fields != tcp_stat_n_struct)
			jw_u64(jw, "unlisted_counters", tcp_stat_n_struct - tcp_stat_n_fields);
		jw_obj_end(jw);
		return;
	}
	cbuf_printf(&r->body, "tcp: curr_estab %ld", (long)estab);
	for (unsigned int f = 0; f < tcp_stat_n_fields; f++)
		cbuf_printf(&r->body, "%s%s %lu", f % 8 == 7 ? "\n    " : " ", tcp_stat_fields[f].name,
			    tcp_stat_get(&st, f));
	if (tcp_stat_n_fields != tcp_stat_n_struct)
		cbuf_printf(&r->body, "\n    (%u counters of struct tcp_stats not in ctl_ss.c's table)",
			    tcp_stat_n_struct - tcp_stat_n_fields);
	cbuf_printf(&r->body, "\ntcp glue:");
	for (unsigned int c = 0; c < TCPDP_C__COUNT; c++)
		cbuf_printf(&r->body, " %s %lu", tcpdp_ctr_names[c], tcpdp_counter(sh, c));
	cbuf_printf(&r->body, "\n");
}

/* `cavctl stats` shows the same TCP counters (ctl_cmds.c). */
void
ss_tcp_stats(const struct daemon *d, struct ctl_reply *r)
{
	if (d->sh->tcp != NULL)
		tcp_summary(d->sh, r);
}

static int
ss_summary(const struct daemon *d, struct ctl_reply *r)
{
	const struct sess_table *t = d->sh->sess;
	unsigned int clients = 0, socks = 0, streams = 0;
	for (unsigned int i = 0; i < SESS_MAX_CLIENTS; i++)
		clients += t->clients[i].used;
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++) {
		socks += t->socks[i].used;
		streams += t->socks[i].used && t->socks[i].proto == SESS_P_TCP;
	}
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, NULL);
		jw_u64(jw, "clients", clients);
		jw_u64(jw, "sockets", socks);
		jw_u64(jw, "tcp_sockets", streams);
		jw_u64(jw, "attached", t->attached);
		jw_u64(jw, "detached", t->detached);
		jw_u64(jw, "attach_refused", t->attach_refused);
		jw_u64(jw, "command_ring_full", t->cmd_full);
		jw_u64(jw, "rss_matched_ports", t->rss_ports);
		jw_obj_begin(jw, "violations");
		for (unsigned int v = 1; v < SESS_V_NB; v++)
			jw_u64(jw, sess_violation_names[v], t->violations[v]);
		jw_obj_end(jw);
		ss_tcp_stats(d, r);
		jw_obj_end(jw);
		cbuf_put(&r->body, "\n", 1);
		return 0;
	}
	cbuf_printf(&r->body, "clients: %u attached now, %lu since start, %lu released, %lu refused\n",
		    clients, t->attached, t->detached, t->attach_refused);
	cbuf_printf(&r->body, "sockets: %u (%u TCP, %u UDP)\nclients dropped for violations:",
		    socks, streams, socks - streams);
	for (unsigned int v = 1; v < SESS_V_NB; v++)
		cbuf_printf(&r->body, " %s %lu", sess_violation_names[v], t->violations[v]);
	cbuf_printf(&r->body, "\n");
	ss_tcp_stats(d, r);
	return 0;
}

static void
udp_rows(const struct sess_table *t, struct ctl_reply *r)
{
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++) {
		const struct sess_sock *s = &t->socks[i];
		if (!s->used || s->client == NULL || s->proto != SESS_P_UDP)
			continue;
		char local[32], peer[32];
		fmt_ep(local, sizeof(local), s->local_w, false);
		fmt_ep(peer, sizeof(peer), s->connected ? s->remote_w : 0, true);
		if (!s->connected)
			snprintf(peer, sizeof(peer), "0.0.0.0:*");
		const char *state = s->connected ? "ESTAB" : "UNCONN";
		uint32_t rq = depth(&s->shm->rx, CAV_SHM_RX_RING);
		uint32_t sq = depth(&s->shm->tx, CAV_SHM_TX_RING);
		if (r->json) {
			struct jw *jw = &r->jw;
			jw_obj_begin(jw, NULL);
			jw_str(jw, "netid", "udp");
			jw_str(jw, "state", state);
			jw_u64(jw, "recv_q", rq);
			jw_u64(jw, "send_q", sq);
			jw_str(jw, "local", local);
			jw_str(jw, "peer", peer);
			jw_u64(jw, "pid", (uint64_t)s->client->pid);
			jw_u64(jw, "worker", s->owner);
			jw_u64(jw, "rx_dgrams", s->rx_dgrams);
			jw_u64(jw, "rx_drops", s->rx_drops);
			jw_u64(jw, "tx_dgrams", s->tx_dgrams);
			jw_u64(jw, "tx_drops", s->tx_drops);
			jw_obj_end(jw);
		} else {
			cbuf_printf(&r->body, "%-6s %-10s %7u %7u %-21s %-21s pid=%d,worker=%u,drops=%lu\n",
				    "udp", state, rq, sq, local, peer, (int)s->client->pid, s->owner,
				    s->rx_drops);
		}
	}
}

static void
tcp_listeners(const struct sess_table *t, struct ctl_reply *r)
{
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++) {
		const struct sess_sock *s = &t->socks[i];
		if (!s->used || s->client == NULL || s->proto != SESS_P_TCP ||
		    s->phase != SESS_TCP_LISTEN)
			continue;
		char local[32];
		fmt_ep(local, sizeof(local), s->local_w, false);
		/* As Linux: a listener's Recv-Q is its accept queue, Send-Q its
		 * backlog. */
		uint32_t rq = sess_accept_queued(s);
		if (r->json) {
			struct jw *jw = &r->jw;
			jw_obj_begin(jw, NULL);
			jw_str(jw, "netid", "tcp");
			jw_str(jw, "state", "LISTEN");
			jw_u64(jw, "recv_q", rq);
			jw_u64(jw, "send_q", s->backlog);
			jw_str(jw, "local", local);
			jw_str(jw, "peer", "0.0.0.0:*");
			jw_u64(jw, "pid", (uint64_t)s->client->pid);
			jw_obj_end(jw);
		} else {
			cbuf_printf(&r->body, "%-6s %-10s %7u %7u %-21s %-21s pid=%d\n", "tcp",
				    "LISTEN", rq, s->backlog, local, "0.0.0.0:*",
				    (int)s->client->pid);
		}
	}
}

/* ss's timer names (iproute2 misc/ss.c tmr_name), by idiag_timer. */
static const char *const tmr_name[] = {
	[TCP_INFO_TIMER_NONE] = "off",
	[TCP_INFO_TIMER_ON] = "on",
	[TCP_INFO_TIMER_KEEPALIVE] = "keepalive",
	[TCP_INFO_TIMER_TIMEWAIT] = "timewait",
	[TCP_INFO_TIMER_PROBE0] = "persist",
};

/* ms until the pending timer (0 if due). */
static uint64_t
timer_left_ms(const struct tcp_pcb_info *in, uint64_t now_us)
{
	return in->timer_at > now_us ? (in->timer_at - now_us) / 1000 : 0;
}

/* iproute2's print_ms_timer, byte for byte: "7min", "59sec", "1.234ms"
 * (sic: seconds and milliseconds), "200ms". */
static void
ms_timer_text(struct cbuf *b, uint64_t ms)
{
	uint64_t secs = ms / 1000, minutes = secs / 60, msecs = ms % 1000;
	secs %= 60;
	if (minutes != 0) {
		msecs = 0;
		cbuf_printf(b, "%lumin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs != 0) {
		if (secs > 9)
			msecs = 0;
		cbuf_printf(b, "%lu%s", secs, msecs != 0 ? "." : "sec");
	}
	if (msecs != 0)
		cbuf_printf(b, "%03lums", msecs);
}

/* `ss -o`'s " timer:(keepalive,59sec,0)" (the first line of a socket). */
static void
tcp_timer_text(struct cbuf *b, const struct tcp_pcb_info *in, uint64_t now_us)
{
	if (in->timer == TCP_INFO_TIMER_NONE || in->timer >= RTE_DIM(tmr_name))
		return;
	cbuf_printf(b, " timer:(%s,", tmr_name[in->timer]);
	ms_timer_text(b, timer_left_ms(in, now_us));
	cbuf_printf(b, ",%u)", in->timer_count);
}

/* The second line of `ss -ti`, fields in iproute2's order and with its
 * rules (a field that is 0 is left out; ms with %g; windows in segments). */
static void
tcp_info_text(struct cbuf *b, const struct tcp_pcb_info *in)
{
	uint32_t mss = in->snd_mss != 0 ? in->snd_mss : 1;
	cbuf_printf(b, "\t");
	if (in->options & TCP_INFO_OPT_TIMESTAMPS)
		cbuf_printf(b, " ts");
	if (in->options & TCP_INFO_OPT_SACK)
		cbuf_printf(b, " sack");
	if (in->options & TCP_INFO_OPT_ECN)
		cbuf_printf(b, " ecn");
	if (in->cc_name[0] != '\0')
		cbuf_printf(b, " %s", in->cc_name);
	if (in->options & TCP_INFO_OPT_WSCALE)
		cbuf_printf(b, " wscale:%u,%u", in->snd_wscale, in->rcv_wscale);
	cbuf_printf(b, " rto:%g", in->rto / 1000.0);
	if (in->backoff != 0)
		cbuf_printf(b, " backoff:%u", in->backoff);
	if (in->srtt != 0)
		cbuf_printf(b, " rtt:%g/%g", in->srtt / 1000.0, in->rttvar / 1000.0);
	cbuf_printf(b, " mss:%u rcvmss:%u cwnd:%u", in->snd_mss, in->rcv_mss, in->snd_cwnd / mss);
	/* Linux shows ssthresh once it is below "infinite" (TCP_INFINITE_SSTHRESH). */
	if (in->snd_ssthresh < UINT32_MAX / 2)
		cbuf_printf(b, " ssthresh:%u", in->snd_ssthresh / mss);
	const struct {
		const char *name;
		uint64_t v;
	} counts[] = {
	    {"bytes_sent", in->bytes_sent},	{"bytes_retrans", in->bytes_retrans},
	    {"bytes_acked", in->bytes_acked},	{"bytes_received", in->bytes_received},
	    {"segs_out", in->segs_out},		{"segs_in", in->segs_in},
	};
	for (size_t k = 0; k < RTE_DIM(counts); k++)
		if (counts[k].v != 0)
			cbuf_printf(b, " %s:%lu", counts[k].name, counts[k].v);
	if (in->unacked != 0)
		cbuf_printf(b, " unacked:%u", (in->unacked + mss - 1) / mss);
	if (in->retransmits != 0 || in->total_retrans != 0)
		cbuf_printf(b, " retrans:%u/%u", in->retransmits, in->total_retrans);
	if (in->lost != 0)
		cbuf_printf(b, " lost:%u", in->lost);
	if (in->sacked != 0)
		cbuf_printf(b, " sacked:%u", (in->sacked + mss - 1) / mss);
	if (in->user_timeout != 0)
		cbuf_printf(b, " user_timeout:%u", in->user_timeout);
	cbuf_printf(b, " snd_wnd:%u rcv_wnd:%u\n", in->snd_wnd, in->rcv_wnd);
}

static void
tcp_info_json(struct jw *jw, const struct tcp_pcb_info *in, uint64_t now_us)
{
	uint32_t mss = in->snd_mss != 0 ? in->snd_mss : 1;
	jw_bool(jw, "ts", (in->options & TCP_INFO_OPT_TIMESTAMPS) != 0);
	jw_bool(jw, "sack", (in->options & TCP_INFO_OPT_SACK) != 0);
	jw_bool(jw, "ecn", (in->options & TCP_INFO_OPT_ECN) != 0);
	if (in->options & TCP_INFO_OPT_WSCALE) {
		jw_u64(jw, "snd_wscale", in->snd_wscale);
		jw_u64(jw, "rcv_wscale", in->rcv_wscale);
	}
	jw_str(jw, "cc", in->cc_name);
	jw_u64(jw, "rto_us", in->rto);
	jw_u64(jw, "backoff", in->backoff);
	jw_u64(jw, "rtt_us", in->srtt);
	jw_u64(jw, "rttvar_us", in->rttvar);
	jw_u64(jw, "mss", in->snd_mss);
	jw_u64(jw, "rcv_mss", in->rcv_mss);
	jw_u64(jw, "cwnd", in->snd_cwnd / mss);
	jw_u64(jw, "ssthresh", in->snd_ssthresh < UINT32_MAX / 2 ? in->snd_ssthresh / mss : 0);
	jw_u64(jw, "unacked", in->unacked);
	jw_u64(jw, "retrans", in->retransmits);
	jw_u64(jw, "total_retrans", in->total_retrans);
	jw_u64(jw, "lost", in->lost);
	jw_u64(jw, "sacked", in->sacked);
	jw_u64(jw, "bytes_sent", in->bytes_sent);
	jw_u64(jw, "bytes_retrans", in->bytes_retrans);
	jw_u64(jw, "bytes_acked", in->bytes_acked);
	jw_u64(jw, "bytes_received", in->bytes_received);
	jw_u64(jw, "segs_out", in->segs_out);
	jw_u64(jw, "segs_in", in->segs_in);
	jw_u64(jw, "snd_wnd", in->snd_wnd);
	jw_u64(jw, "rcv_wnd", in->rcv_wnd);
	jw_bool(jw, "keepalive", in->keepalive);
	jw_u64(jw, "user_timeout_ms", in->user_timeout);
	if (in->timer != TCP_INFO_TIMER_NONE && in->timer < RTE_DIM(tmr_name)) {
		jw_obj_begin(jw, "timer");
		jw_str(jw, "name", tmr_name[in->timer]);
		jw_u64(jw, "expires_ms", timer_left_ms(in, now_us));
		jw_u64(jw, "count", in->timer_count);
		jw_obj_end(jw);
	}
}

static void
tcp_rows(const struct daemon *d, struct ctl_reply *r, bool info)
{
	const struct sess_table *t = d->sh->sess;
	const struct tcpdp_table *tt = d->sh->tcp->t;
	/* The workers' clock (worker.c: now_ns from the TSC), for timers. */
	uint64_t now_us = dp_tsc_to_ns(rte_get_tsc_cycles(), d->sh->tsc_hz) / 1000;
	for (uint32_t i = 0; i < tt->max; i++) {
		const struct tcpdp_conn *c = &tt->conns[i];
		/* Acquire: pairs with the owner's release at allocation. */
		if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE))
			continue;
		uint8_t st = __atomic_load_n(&c->pcb.state, __ATOMIC_RELAXED);
		if (st == TCPS_CLOSED || st >= TCPS__COUNT)
			continue;
		const struct tcp_pcb *pcb = &c->pcb;
		char local[32], peer[32];
		fmt_tuple_ep(local, sizeof(local), pcb->tuple.laddr, pcb->tuple.lport);
		fmt_tuple_ep(peer, sizeof(peer), pcb->tuple.raddr, pcb->tuple.rport);
		uint32_t rq = 0, sq = 0;
		int pid = -1;
		uint32_t sid = __atomic_load_n(&c->sock_id, __ATOMIC_RELAXED);
		if (sid != TCPDP_SOCK_NONE) {
			const struct sess_sock *s = &t->socks[sid % SESS_MAX_SOCKS];
			if (s->used && s->client != NULL && s->gen == c->sock_gen) {
				rq = depth(&s->shm->rx, CAV_SHM_RX_RING);
				sq = depth(&s->shm->tx, CAV_SHM_TX_RING);
				pid = (int)s->client->pid;
			}
		}
		struct tcp_pcb_info in;
		if (info)
			tcp_get_info(pcb, &in);
		if (r->json) {
			struct jw *jw = &r->jw;
			jw_obj_begin(jw, NULL);
			jw_str(jw, "netid", "tcp");
			jw_str(jw, "state", ss_state[st]);
			jw_u64(jw, "recv_q", rq);
			jw_u64(jw, "send_q", sq);
			jw_str(jw, "local", local);
			jw_str(jw, "peer", peer);
			if (pid >= 0)
				jw_u64(jw, "pid", (uint64_t)pid);
			jw_u64(jw, "worker", c->owner);
			if (info)
				tcp_info_json(jw, &in, now_us);
			jw_obj_end(jw);
			continue;
		}
		cbuf_printf(&r->body, "%-6s %-10s %7u %7u %-21s %-21s", "tcp", ss_state[st], rq, sq,
			    local, peer);
		if (pid >= 0)
			cbuf_printf(&r->body, " pid=%d,worker=%u", pid, c->owner);
		else
			cbuf_printf(&r->body, " worker=%u", c->owner);
		if (info) {
			tcp_timer_text(&r->body, &in, now_us);
			cbuf_printf(&r->body, "\n");
			tcp_info_text(&r->body, &in);
		} else {
			cbuf_printf(&r->body, "\n");
		}
	}
}

int
cmd_ss(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	const struct daemon *d = ctx;
	const struct sess_table *t = d->sh->sess;
	/* ss's own flags: -t TCP, -u UDP (both when neither), -l listeners
	 * only, -a listeners too, -i TCP internals (with -o's timer), -s
	 * summary; -n, -p, -o, -e are accepted (numeric, processes, timers,
	 * details: what is shown anyway). Flags may be combined (-tni). */
	bool summary = false, tcp = false, udp = false, listening = false, all = false;
	bool info = false;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return ctl_error(r, EINVAL, "usage: ss [-s] [-t] [-u] [-l] [-a] [-i] [-n] [-p]");
		for (const char *f = argv[i] + 1; *f != '\0'; f++) {
			switch (*f) {
			case 's': summary = true; break;
			case 't': tcp = true; break;
			case 'u': udp = true; break;
			case 'l': listening = true; break;
			case 'a': all = true; break;
			case 'i': info = true; break;
			case 'n': case 'p': case 'o': case 'e': break;
			default:
				return ctl_error(r, EINVAL,
						 "usage: ss [-s] [-t] [-u] [-l] [-a] [-i] [-n] [-p]");
			}
		}
	}
	if (summary)
		return ss_summary(d, r);
	if (!tcp && !udp)
		tcp = udp = true;
	if (d->sh->tcp == NULL)
		tcp = false;
	if (r->json)
		jw_arr_begin(&r->jw, NULL);
	else
		cbuf_printf(&r->body, "%-6s %-10s %7s %7s %-21s %-21s %s\n", "Netid", "State",
			    "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port",
			    "Process");
	if (udp && !listening)
		udp_rows(t, r);
	if (tcp && (listening || all))
		tcp_listeners(t, r);
	if (tcp && !listening)
		tcp_rows(d, r, info);
	if (r->json) {
		jw_arr_end(&r->jw);
		cbuf_put(&r->body, "\n", 1);
	}
	return 0;
}
