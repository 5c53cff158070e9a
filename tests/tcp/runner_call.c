/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP scenario runner's calls: socket calls on the current
 * connection, `set` parameters, `expect` checks and their stat table.
 * Format: runner.c's top comment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_priv.h"

/* ---- calls ---- */

static struct conn *
need_cur(struct runner *r)
{
	if (r->cur == NULL)
		fail(r, "no current connection");
	return r->cur;
}

static bool
parse_result(char **rest, int64_t *v)
{
	char *t = next_tok(rest);
	if (t == NULL || strcmp(t, "=") != 0)
		return false;
	t = next_tok(rest);
	if (t == NULL)
		return false;
	if (t[0] == '-' && t[1] == 'E') {
		static const struct {
			const char *n;
			int e;
		} en[] = {{"ENOTCONN", ENOTCONN},
			  {"EINVAL", EINVAL},
			  {"EISCONN", EISCONN},
			  {"EALREADY", EALREADY},
			  {"ENOENT", ENOENT}};
		for (size_t i = 0; i < sizeof(en) / sizeof(en[0]); i++)
			if (strcmp(t + 1, en[i].n) == 0) {
				*v = -en[i].e;
				return true;
			}
		return false;
	}
	*v = strtoll(t, NULL, 0);
	return true;
}

static int
errno_of(const char *s)
{
	static const struct {
		const char *n;
		int e;
	} en[] = {{"0", 0},
		  {"ECONNREFUSED", ECONNREFUSED},
		  {"ECONNRESET", ECONNRESET},
		  {"ETIMEDOUT", ETIMEDOUT},
		  {"EPIPE", EPIPE}};
	for (size_t i = 0; i < sizeof(en) / sizeof(en[0]); i++)
		if (strcmp(s, en[i].n) == 0)
			return en[i].e;
	return -1;
}

static bool
set_param(struct runner *r, const char *name, uint32_t v)
{
	struct tcp_conf *c = &r->conf;
	if (r->started && strcmp(name, "tolerance_ms") != 0) {
		fail(r, "set after the stack started");
		return false;
	}
	if (!strcmp(name, "syn_retries"))
		c->syn_retries = v;
	else if (!strcmp(name, "synack_retries"))
		c->synack_retries = v;
	else if (!strcmp(name, "retries2"))
		c->retries2 = v;
	else if (!strcmp(name, "quickacks"))
		c->quickacks = v;
	else if (!strcmp(name, "init_cwnd"))
		c->init_cwnd = v;
	else if (!strcmp(name, "ooo_max"))
		c->ooo_max = v;
	else if (!strcmp(name, "rto_min_ms"))
		c->rto_min = v * 1000ull;
	else if (!strcmp(name, "rto_initial_ms"))
		c->rto_initial = v * 1000ull;
	else if (!strcmp(name, "msl2_ms"))
		c->msl2 = v * 1000ull;
	else if (!strcmp(name, "fin_wait2_ms"))
		c->fin_wait2 = v * 1000ull;
	else if (!strcmp(name, "delack_min_ms"))
		c->delack_min = v * 1000ull;
	else if (!strcmp(name, "delack_max_ms"))
		c->delack_max = v * 1000ull;
	else if (!strcmp(name, "remote_isn"))
		r->remote_isn = v;
	else if (!strcmp(name, "mss"))
		r->mss = (uint16_t)v;
	else if (!strcmp(name, "tolerance_ms"))
		r->tol = v * 1000ull;
	else if (!strcmp(name, "timestamps"))
		c->timestamps = v != 0;
	else if (!strcmp(name, "window_scaling"))
		c->window_scaling = v != 0;
	else if (!strcmp(name, "sack"))
		c->sack = v != 0;
	else if (!strcmp(name, "ecn"))
		c->ecn = (uint8_t)v;
	else if (!strcmp(name, "syncookies"))
		c->syncookies = (uint8_t)v;
	else if (!strcmp(name, "challenge_ack_limit"))
		c->challenge_ack_limit = v;
	else if (!strcmp(name, "keepalive_time_s"))
		c->keepalive_time = v * 1000000ull;
	else if (!strcmp(name, "keepalive_intvl_s"))
		c->keepalive_intvl = v * 1000000ull;
	else if (!strcmp(name, "keepalive_probes"))
		c->keepalive_probes = v;
	else if (!strcmp(name, "rcvbuf") || !strcmp(name, "sndbuf")) {
		if (v == 0 || (v & (v - 1)) != 0 || v > BUF_MAX) {
			fail(r, "%s must be a power of 2 up to %u", name, BUF_MAX);
			return false;
		}
		if (name[0] == 'r')
			r->rcvbuf = v;
		else
			r->sndbuf = v;
	} else {
		fail(r, "unknown parameter '%s'", name);
		return false;
	}
	return true;
}

static uint64_t
stat_of(struct runner *r, const char *name, bool *ok)
{
	const struct tcp_stats *s = &r->st.stats;
	*ok = true;
	if (!strcmp(name, "active_opens"))
		return s->active_opens;
	if (!strcmp(name, "passive_opens"))
		return s->passive_opens;
	if (!strcmp(name, "attempt_fails"))
		return s->attempt_fails;
	if (!strcmp(name, "estab_resets"))
		return s->estab_resets;
	if (!strcmp(name, "out_rsts"))
		return s->out_rsts;
	if (!strcmp(name, "in_rsts"))
		return s->in_rsts;
	if (!strcmp(name, "retrans_segs"))
		return s->retrans_segs;
	if (!strcmp(name, "timeouts"))
		return s->timeouts;
	if (!strcmp(name, "fast_retrans"))
		return s->fast_retrans;
	if (!strcmp(name, "persist_probes"))
		return s->persist_probes;
	if (!strcmp(name, "delayed_acks"))
		return s->delayed_acks;
	if (!strcmp(name, "listen_overflows"))
		return s->listen_overflows;
	if (!strcmp(name, "bad_transitions"))
		return s->bad_transitions;
	if (!strcmp(name, "paws_rejects"))
		return s->paws_rejects;
	if (!strcmp(name, "challenge_acks"))
		return s->challenge_acks;
	if (!strcmp(name, "challenge_acks_skipped"))
		return s->challenge_acks_skipped;
	if (!strcmp(name, "syn_challenges"))
		return s->syn_challenges;
	if (!strcmp(name, "rst_challenges"))
		return s->rst_challenges;
	if (!strcmp(name, "old_ack_drops"))
		return s->old_ack_drops;
	if (!strcmp(name, "keepalive_probes"))
		return s->keepalive_probes;
	if (!strcmp(name, "keepalive_timeouts"))
		return s->keepalive_timeouts;
	if (!strcmp(name, "user_timeouts"))
		return s->user_timeouts;
	if (!strcmp(name, "hystart_exits"))
		return s->hystart_exits;
	if (!strcmp(name, "sack_recoveries"))
		return s->sack_recoveries;
	if (!strcmp(name, "sack_retrans"))
		return s->sack_retrans;
	if (!strcmp(name, "dsack_sent"))
		return s->dsack_sent;
	if (!strcmp(name, "dsack_rcvd"))
		return s->dsack_rcvd;
	if (!strcmp(name, "lost_retrans"))
		return s->lost_retrans;
	if (!strcmp(name, "tlp_probes"))
		return s->tlp_probes;
	if (!strcmp(name, "limited_transmits"))
		return s->limited_transmits;
	if (!strcmp(name, "rack_recoveries"))
		return s->rack_recoveries;
	if (!strcmp(name, "rack_reo_timeouts"))
		return s->rack_reo_timeouts;
	if (!strcmp(name, "rack_lost_rxt"))
		return s->rack_lost_rxt;
	if (!strcmp(name, "undo_eifel"))
		return s->undo_eifel;
	if (!strcmp(name, "undo_dsack"))
		return s->undo_dsack;
	if (!strcmp(name, "rto_fires"))
		return s->rto_fires;
	if (!strcmp(name, "syncookies_sent"))
		return s->syncookies_sent;
	if (!strcmp(name, "syncookies_recv"))
		return s->syncookies_recv;
	if (!strcmp(name, "syncookies_failed"))
		return s->syncookies_failed;
	if (!strcmp(name, "pmtu_updates"))
		return s->pmtu_updates;
	if (!strcmp(name, "pmtu_rejected"))
		return s->pmtu_rejected;
	if (!strcmp(name, "ecn_ce_rcvd"))
		return s->ecn_ce_rcvd;
	if (!strcmp(name, "ecn_cwnd_reductions"))
		return s->ecn_cwnd_reductions;
	for (int d = 0; d < TCP_DROP__COUNT; d++)
		if (!strncmp(name, "drop_", 5) && !strcmp(name + 5, tcp_drop_name(d)))
			return s->drops[d];
	*ok = false;
	return 0;
}

static void
do_expect(struct runner *r, char **rest)
{
	char *what = next_tok(rest);
	char *arg = next_tok(rest);
	if (what == NULL || arg == NULL) {
		fail(r, "expect WHAT VALUE");
		return;
	}
	uint32_t v = 0;
	if (!strcmp(what, "stat")) {
		char *val = next_tok(rest);
		bool ok;
		uint64_t got = stat_of(r, arg, &ok);
		if (!ok || !parse_u32(val, &v))
			fail(r, "bad stat '%s'", arg);
		else if (got != v)
			fail(r, "stat %s is %" PRIu64 ", expected %u", arg, got, v);
		return;
	}
	if (!strcmp(what, "acceptq") || !strcmp(what, "synq")) {
		uint32_t got = what[0] == 'a' ? r->lst.acceptq_len : r->lst.synq_len;
		if (!parse_u32(arg, &v) || got != v)
			fail(r, "%s is %u, expected %s", what, got, arg);
		return;
	}
	struct conn *c = need_cur(r);
	if (c == NULL)
		return;
	struct tcp_pcb *p = &c->pcb;
	if (!strcmp(what, "state")) {
		int s = tcp_state_from_name(arg);
		if (s < 0)
			fail(r, "unknown state '%s'", arg);
		else if (p->state != s)
			fail(r, "state %s, expected %s", tcp_state_name(p->state),
			     tcp_state_name((unsigned)s));
		return;
	}
	if (!strcmp(what, "error")) {
		int e = errno_of(arg);
		if (e < 0)
			fail(r, "unknown errno '%s'", arg);
		else if (p->so_error != e)
			fail(r, "so_error %d, expected %s (%d)", p->so_error, arg, e);
		return;
	}
	if (!strcmp(what, "cc")) {
		struct tcp_pcb_info in;
		tcp_get_info(p, &in);
		if (strcmp(in.cc_name, arg) != 0)
			fail(r, "congestion control %s, expected %s", in.cc_name, arg);
		return;
	}
	if (!strcmp(what, "eof")) {
		bool want = strcmp(arg, "0") != 0;
		if (c->eof != want)
			fail(r, "eof %d, expected %d", c->eof, want);
		return;
	}
	if (!parse_u32(arg, &v)) {
		fail(r, "bad value '%s'", arg);
		return;
	}
	uint64_t got;
	if (!strcmp(what, "readable"))
		got = c->readable;
	else if (!strcmp(what, "cwnd"))
		got = p->cwnd;
	else if (!strcmp(what, "ssthresh"))
		got = p->ssthresh;
	else if (!strcmp(what, "rto_ms"))
		got = p->rto / 1000;
	else if (!strcmp(what, "backoff"))
		got = p->backoff;
	else if (!strcmp(what, "snd_wnd"))
		got = p->snd_wnd;
	else if (!strcmp(what, "rcv_wnd"))
		got = p->rcv_wnd;
	else if (!strcmp(what, "mss"))
		got = p->mss;
	else if (!strcmp(what, "ooo"))
		got = p->ooo_n;
	else if (!strcmp(what, "unacked"))
		got = p->snd_max - p->snd_una;
	else if (!strcmp(what, "snd_wscale") || !strcmp(what, "rcv_wscale") ||
		 !strcmp(what, "info_options")) {
		struct tcp_pcb_info in;
		tcp_get_info(p, &in);
		got = what[0] == 's' ? in.snd_wscale : what[0] == 'r' ? in.rcv_wscale : in.options;
	} else if (!strcmp(what, "ts_recent"))
		got = p->ts_recent;
	else if (!strcmp(what, "srtt_ms"))
		got = p->srtt / 1000;
	else if (!strcmp(what, "sacked"))
		got = p->sacked_out;
	else if (!strcmp(what, "pipe"))
		got = tcp_sack_pipe(p);
	else if (!strcmp(what, "iss_from_time_wait"))
		got = r->tw_reused && p->iss == r->tw_isn_want;
	else {
		fail(r, "unknown expectation '%s'", what);
		return;
	}
	if (got != v)
		fail(r, "%s is %" PRIu64 ", expected %u", what, got, v);
}

void
call(struct runner *r, const char *cmd, char **rest)
{
	int64_t want;
	if (!strcmp(cmd, "set")) {
		char *n = next_tok(rest);
		uint32_t v;
		if (n != NULL && !strcmp(n, "cc")) { /* the stack's default: reno | cubic */
			char *name = next_tok(rest);
			if (r->started || (r->conf.cc = tcp_cc_find(name)) == NULL)
				fail(r, "set cc reno|cubic, before anything else");
			return;
		}
		if (n == NULL || !parse_u32(next_tok(rest), &v))
			fail(r, "set NAME VALUE");
		else
			set_param(r, n, v);
		return;
	}
	if (!strcmp(cmd, "tick"))
		return;
	if (!strcmp(cmd, "expect")) {
		start(r);
		do_expect(r, rest);
		return;
	}
	start(r);
	if (!strcmp(cmd, "listen")) {
		uint32_t bl = 128, sq = 0;
		char *t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &bl);
		t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &sq);
		memset(&r->lst, 0, sizeof(r->lst));
		r->lst.local = (struct tcp_tuple){LADDR, 0, LPORT, 0};
		r->lst.backlog = bl;
		r->lst.synq_max = sq;
		r->lst.adv_mss = r->mss;
		r->lst.rcv_space = r->rcvbuf;
		r->listening = true;
		return;
	}
	if (!strcmp(cmd, "connect")) {
		uint32_t port = RPORT;
		char *t = next_tok(rest);
		if (t != NULL)
			parse_u32(t, &port);
		struct conn *c = conn_new(r, (uint16_t)port);
		attach_buffers(r, c);
		c->pcb.rcv.space = r->rcvbuf;
		c->accepted = true;
		r->cur = c;
		int rc = tcp_connect(&r->st, &c->pcb, r->now);
		if (rc != 0)
			fail(r, "tcp_connect: %d", rc);
		return;
	}
	if (!strcmp(cmd, "accept")) {
		struct conn *best = NULL;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &r->conns[i];
			if (c->used && c->in_acceptq &&
			    (best == NULL || c->accept_order < best->accept_order))
				best = c;
		}
		char *t = next_tok(rest);
		bool none = t != NULL && !strcmp(t, "=") && (t = next_tok(rest)) != NULL &&
			    !strcmp(t, "none");
		if (none) {
			if (best != NULL)
				fail(r, "accept found a connection, expected none");
			return;
		}
		if (best == NULL) {
			fail(r, "accept: no connection ready");
			return;
		}
		best->in_acceptq = false;
		best->accepted = true;
		r->lst.acceptq_len--;
		r->cur = best;
		return;
	}
	if (!strcmp(cmd, "conn")) {
		uint32_t port = 0;
		if (!parse_u32(next_tok(rest), &port) ||
		    (r->cur = conn_by_port(r, (uint16_t)port, false)) == NULL)
			fail(r, "no connection with peer port %u", port);
		return;
	}
	struct conn *c = need_cur(r);
	if (c == NULL)
		return;
	struct tcp_pcb *p = &c->pcb;
	if (!strcmp(cmd, "write")) {
		uint32_t n;
		if (!parse_u32(next_tok(rest), &n)) {
			fail(r, "write N");
			return;
		}
		uint32_t room = p->snd.size - p->snd.len;
		uint32_t k = n < room ? n : room;
		for (uint32_t i = 0; i < k; i++)
			c->sbuf[(p->snd.head + p->snd.len + i) & (p->snd.size - 1)] =
			    out_pat(c->wr_off + i);
		c->wr_off += k;
		p->snd.len += k;
		if (!parse_result(rest, &want))
			want = n;
		if (k != want)
			fail(r, "write returned %u, expected %" PRId64, k, want);
		tcp_output(&r->st, p, r->now);
		return;
	}
	if (!strcmp(cmd, "read")) {
		uint32_t n;
		if (!parse_u32(next_tok(rest), &n)) {
			fail(r, "read N");
			return;
		}
		uint32_t k = n < c->readable ? n : c->readable;
		for (uint32_t i = 0; i < k; i++) {
			uint8_t b = c->rbuf[(c->rd + i) & (p->rcv.size - 1)];
			if (b != in_pat(c->rd_off + i)) {
				fail(r, "read: byte at stream offset %" PRIu64 " is wrong",
				     c->rd_off + i);
				return;
			}
		}
		c->rd += k;
		c->rd_off += k;
		c->readable -= k;
		if (!parse_result(rest, &want))
			want = n;
		if (k != want)
			fail(r, "read returned %u, expected %" PRId64, k, want);
		if (k > 0)
			tcp_recvd(&r->st, p, k, r->now);
		return;
	}
	if (!strcmp(cmd, "shutdown_wr")) {
		int rc = tcp_shutdown_wr(&r->st, p, r->now);
		if (!parse_result(rest, &want))
			want = 0;
		if (rc != want)
			fail(r, "shutdown_wr returned %d, expected %" PRId64, rc, want);
		return;
	}
	if (!strcmp(cmd, "close")) {
		tcp_close(&r->st, p, c->readable, r->now);
		return;
	}
	if (!strcmp(cmd, "abort")) {
		tcp_abort(&r->st, p, r->now);
		return;
	}
	if (!strcmp(cmd, "keepalive") || !strcmp(cmd, "keepidle") || !strcmp(cmd, "keepintvl") ||
	    !strcmp(cmd, "keepcnt") || !strcmp(cmd, "user_timeout") || !strcmp(cmd, "congestion")) {
		char *t = next_tok(rest);
		int rc;
		if (t == NULL) {
			fail(r, "%s VALUE", cmd);
			return;
		}
		int v = atoi(t);
		if (!strcmp(cmd, "keepalive"))
			rc = tcp_set_keepalive(&r->st, p, !strcmp(t, "on"), r->now);
		else if (!strcmp(cmd, "keepidle"))
			rc = tcp_set_keepidle(&r->st, p, v, r->now);
		else if (!strcmp(cmd, "keepintvl"))
			rc = tcp_set_keepintvl(p, v);
		else if (!strcmp(cmd, "keepcnt"))
			rc = tcp_set_keepcnt(p, v);
		else if (!strcmp(cmd, "user_timeout"))
			rc = tcp_set_user_timeout(p, v);
		else
			rc = tcp_set_congestion(&r->st, p, t, r->now);
		if (!parse_result(rest, &want))
			want = 0;
		if (rc != want)
			fail(r, "%s returned %d, expected %" PRId64, cmd, rc, want);
		return;
	}
	if (!strcmp(cmd, "icmp_frag_needed")) {
		uint32_t seq, mtu;
		if (!parse_u32(next_tok(rest), &seq) || !parse_u32(next_tok(rest), &mtu)) {
			fail(r, "icmp_frag_needed SEQ MTU");
			return;
		}
		int rc = tcp_pmtu_update(&r->st, p, p->iss + seq, mtu, r->now);
		if (!parse_result(rest, &want))
			want = 1;
		if (rc != want)
			fail(r, "tcp_pmtu_update returned %d, expected %" PRId64, rc, want);
		return;
	}
	if (!strcmp(cmd, "nodelay")) {
		char *t = next_tok(rest);
		tcp_set_nodelay(&r->st, p, t != NULL && !strcmp(t, "on"), r->now);
		return;
	}
	fail(r, "unknown call '%s'", cmd);
}
