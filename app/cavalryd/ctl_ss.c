/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cavctl ss: the sockets of libcavsock clients, like `ss -uanp` for UDP
 * (protocol, state, queue depths, local and peer address, owning pid and
 * worker) and `ss -tn` for TCP (connections from lib/tcpdp's table, TIME_WAIT
 * included, and listeners; -i adds the `ss -ti` figures); `ss -s`: the
 * session summary (clients attached, dropped and why, TCP counters).
 * Runs on the main lcore, the writer of the socket table; queue depths are
 * read from the shared indices and clamped (a client may write anything
 * there); a connection's figures are read while its owner worker updates
 * them (relaxed, as `ss` reads a live kernel socket).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

static void
tcp_summary(const struct dp_shared *sh, struct ctl_reply *r)
{
	struct tcp_stats st;
	tcpdp_stats_sum(sh, &st);
	if (r->json) {
		struct jw *jw = &r->jw;
		jw_obj_begin(jw, "tcp");
		jw_u64(jw, "active_opens", st.active_opens);
		jw_u64(jw, "passive_opens", st.passive_opens);
		jw_u64(jw, "attempt_fails", st.attempt_fails);
		jw_u64(jw, "estab_resets", st.estab_resets);
		jw_u64(jw, "curr_estab", (uint64_t)(st.state_cur[TCPS_ESTABLISHED] +
						    st.state_cur[TCPS_CLOSE_WAIT]));
		jw_u64(jw, "in_segs", st.in_segs);
		jw_u64(jw, "out_segs", st.out_segs);
		jw_u64(jw, "retrans_segs", st.retrans_segs);
		jw_u64(jw, "in_errs", st.in_errs);
		jw_u64(jw, "out_rsts", st.out_rsts);
		jw_u64(jw, "in_rsts", st.in_rsts);
		jw_u64(jw, "timeouts", st.timeouts);
		jw_u64(jw, "rto_fires", st.rto_fires);
		jw_u64(jw, "fast_retrans", st.fast_retrans);
		jw_u64(jw, "persist_probes", st.persist_probes);
		jw_u64(jw, "delayed_acks", st.delayed_acks);
		for (unsigned int c = 0; c < TCPDP_C__COUNT; c++)
			jw_u64(jw, tcpdp_ctr_names[c], tcpdp_counter(sh, c));
		jw_obj_end(jw);
		return;
	}
	cbuf_printf(&r->body,
		    "tcp: active_opens %lu passive_opens %lu attempt_fails %lu estab_resets %lu "
		    "curr_estab %ld in_segs %lu out_segs %lu retrans_segs %lu in_errs %lu "
		    "out_rsts %lu in_rsts %lu timeouts %lu\n",
		    st.active_opens, st.passive_opens, st.attempt_fails, st.estab_resets,
		    (long)(st.state_cur[TCPS_ESTABLISHED] + st.state_cur[TCPS_CLOSE_WAIT]),
		    st.in_segs, st.out_segs, st.retrans_segs, st.in_errs, st.out_rsts, st.in_rsts,
		    st.timeouts);
	cbuf_printf(&r->body, "tcp glue:");
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

static void
tcp_info_text(struct cbuf *b, const struct tcp_pcb_info *in)
{
	cbuf_printf(b, "\t rto:%.3g", in->rto / 1000.0);
	if (in->srtt != 0)
		cbuf_printf(b, " rtt:%.3g/%.3g", in->srtt / 1000.0, in->rttvar / 1000.0);
	cbuf_printf(b, " mss:%u rcvmss:%u cwnd:%u", in->snd_mss, in->rcv_mss,
		    in->snd_mss ? in->snd_cwnd / in->snd_mss : 0);
	if (in->snd_ssthresh < UINT32_MAX / 2 && in->snd_mss != 0)
		cbuf_printf(b, " ssthresh:%u", in->snd_ssthresh / in->snd_mss);
	cbuf_printf(b,
		    " bytes_sent:%lu bytes_retrans:%lu bytes_acked:%lu bytes_received:%lu "
		    "segs_out:%lu segs_in:%lu unacked:%u retrans:%u/%u snd_wnd:%u rcv_wnd:%u\n",
		    in->bytes_sent, in->bytes_retrans, in->bytes_acked, in->bytes_received,
		    in->segs_out, in->segs_in, in->unacked, in->retransmits, in->total_retrans,
		    in->snd_wnd, in->rcv_wnd);
}

static void
tcp_info_json(struct jw *jw, const struct tcp_pcb_info *in)
{
	jw_u64(jw, "rto_us", in->rto);
	jw_u64(jw, "rtt_us", in->srtt);
	jw_u64(jw, "rttvar_us", in->rttvar);
	jw_u64(jw, "mss", in->snd_mss);
	jw_u64(jw, "rcv_mss", in->rcv_mss);
	jw_u64(jw, "cwnd", in->snd_mss ? in->snd_cwnd / in->snd_mss : 0);
	jw_u64(jw, "ssthresh", in->snd_mss ? in->snd_ssthresh / in->snd_mss : 0);
	jw_u64(jw, "unacked", in->unacked);
	jw_u64(jw, "retrans", in->retransmits);
	jw_u64(jw, "total_retrans", in->total_retrans);
	jw_u64(jw, "bytes_sent", in->bytes_sent);
	jw_u64(jw, "bytes_retrans", in->bytes_retrans);
	jw_u64(jw, "bytes_acked", in->bytes_acked);
	jw_u64(jw, "bytes_received", in->bytes_received);
	jw_u64(jw, "segs_out", in->segs_out);
	jw_u64(jw, "segs_in", in->segs_in);
	jw_u64(jw, "snd_wnd", in->snd_wnd);
	jw_u64(jw, "rcv_wnd", in->rcv_wnd);
}

static void
tcp_rows(const struct daemon *d, struct ctl_reply *r, bool info)
{
	const struct sess_table *t = d->sh->sess;
	const struct tcpdp_table *tt = d->sh->tcp->t;
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
				tcp_info_json(jw, &in);
			jw_obj_end(jw);
			continue;
		}
		cbuf_printf(&r->body, "%-6s %-10s %7u %7u %-21s %-21s", "tcp", ss_state[st], rq, sq,
			    local, peer);
		if (pid >= 0)
			cbuf_printf(&r->body, " pid=%d,worker=%u\n", pid, c->owner);
		else
			cbuf_printf(&r->body, " worker=%u\n", c->owner);
		if (info)
			tcp_info_text(&r->body, &in);
	}
}

int
cmd_ss(void *ctx, int argc, char **argv, struct ctl_reply *r)
{
	const struct daemon *d = ctx;
	const struct sess_table *t = d->sh->sess;
	/* ss's own flags: -t TCP, -u UDP (both when neither), -l listeners
	 * only, -a listeners too, -i TCP internals, -s summary; -n and -p
	 * are accepted (numeric, processes: what is shown anyway). Flags may
	 * be combined (-tni). */
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
			case 'n': case 'p': break;
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
