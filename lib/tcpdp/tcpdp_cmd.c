/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's requests executed by the owner worker (struct sess_cmd:
 * connect, shutdown, close, options, client gone), bring-up and teardown of
 * the TCP state, and the figures `cavctl` reads (counters, TCP_INFO).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "counter.h"
#include "route.h"
#include "tcpdp_priv.h"

/* ---- socket options ---- */

/*
 * One option from the socket's stored value to its connection. The main
 * lcore validated it with Linux's ranges (lib/session), so the core's
 * setters, which check the same, do not fail here. 0 for the keepalive
 * timers means "never set": the stack's default stays.
 */
static void
apply_opt(struct tcpdp_worker *tw, struct tcp_pcb *pcb, const struct sess_sock *s, uint32_t opt)
{
	struct tcp_stack *st = &tw->st;
	uint64_t now = tw->now_us;
	switch (opt) {
	case CAV_OPT_NODELAY:
		tcp_set_nodelay(st, pcb, __atomic_load_n(&s->nodelay, __ATOMIC_RELAXED), now);
		break;
	case CAV_OPT_KEEPALIVE:
		tcp_set_keepalive(st, pcb, __atomic_load_n(&s->keepalive, __ATOMIC_RELAXED), now);
		break;
	case CAV_OPT_KEEPIDLE: {
		uint16_t v = __atomic_load_n(&s->keepidle, __ATOMIC_RELAXED);
		if (v != 0)
			tcp_set_keepidle(st, pcb, v, now);
		break;
	}
	case CAV_OPT_KEEPINTVL: {
		uint16_t v = __atomic_load_n(&s->keepintvl, __ATOMIC_RELAXED);
		if (v != 0)
			tcp_set_keepintvl(pcb, v);
		break;
	}
	case CAV_OPT_KEEPCNT: {
		uint8_t v = __atomic_load_n(&s->keepcnt, __ATOMIC_RELAXED);
		if (v != 0)
			tcp_set_keepcnt(pcb, v);
		break;
	}
	case CAV_OPT_USER_TIMEOUT:
		tcp_set_user_timeout(pcb, (int)__atomic_load_n(&s->user_timeout, __ATOMIC_RELAXED));
		break;
	case CAV_OPT_CONGESTION: {
		const struct tcp_cc_ops *cc = __atomic_load_n(&s->cc, __ATOMIC_RELAXED);
		if (cc != NULL)
			tcp_set_congestion(st, pcb, cc->name, now);
		break;
	}
	case CAV_OPT_MTU_DISCOVER: {
		struct tcpdp_conn *c = tcpdp_conn_of(pcb);
		uint8_t v = __atomic_load_n(&s->pmtudisc, __ATOMIC_RELAXED);
		c->df_off = v != IP_PMTUDISC_DO && v != IP_PMTUDISC_WANT;
		c->df_forced = v == IP_PMTUDISC_DO;
		c->pmtu_ignore = v == IP_PMTUDISC_DONT || v == IP_PMTUDISC_INTERFACE ||
				 v == IP_PMTUDISC_OMIT;
		break;
	}
	default:
		break;
	}
}

void
tcpdp_apply_opts(struct tcpdp_worker *tw, struct tcp_pcb *pcb, const struct sess_sock *s)
{
	/* The timers before SO_KEEPALIVE, which arms the timer with them.
	 * TCP_NODELAY is not here: connect sets the flag before the SYN and
	 * the core copies the listener's into passive pcbs. */
	static const uint32_t order[] = {
	    CAV_OPT_KEEPIDLE,	  CAV_OPT_KEEPINTVL, CAV_OPT_KEEPCNT,
	    CAV_OPT_USER_TIMEOUT, CAV_OPT_KEEPALIVE, CAV_OPT_CONGESTION,
	    CAV_OPT_MTU_DISCOVER,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		apply_opt(tw, pcb, s, order[i]);
}

/* ---- commands from the main lcore ---- */

static void
conn_fail(struct tcpdp_worker *tw, struct sess_sock *s, int err)
{
	__atomic_store_n(&s->shm->so_error, err, __ATOMIC_RELEASE);
	tcpdp_pub_state(s, TCPS_CLOSED);
	tcpdp_pub_events(s, CAV_SOCK_EV_ERR | CAV_SOCK_EV_CLOSED | CAV_SOCK_EV_WRHUP);
	(void)tw;
	sess_sock_release(s);
}

/* ---- TIME_WAIT reuse on connect (Linux tcp_tw_reuse) ---- */

/* [tcp] tw_reuse for a connection to raddr: 1 always, 2 "loopback" --
 * Linux's default, for connections whose both ends are this host; ours:
 * a destination in 127.0.0.0/8 or one of the daemon's own addresses. */
static bool
tw_reuse_allowed(const struct dp_shared *sh, uint32_t raddr)
{
	switch (sh->tcp->tw_reuse) {
	case 1:
		return true;
	case 2:
		return (raddr >> 24) == 127 || route_is_local_addr(sh->routes, -1, raddr);
	default:
		return false;
	}
}

/* The hook (dp_shared.tcp_tuple_usable) lib/session's ephemeral port
 * choice asks, on the main lcore: free, or held only by a TIME_WAIT
 * connection of `owner` (only the owner may close it) that may be taken
 * over now. Reads another thread's pcb without a lock: a hint; do_connect
 * checks again (and fails with EADDRNOTAVAIL if it changed meanwhile). */
static bool
tuple_usable(const struct dp_shared *sh, const struct tcp_tuple *tu, unsigned int owner)
{
	const struct tcpdp_conn *c = tcpdp_lookup(sh->tcp->t, tu);
	if (c == NULL || !__atomic_load_n(&c->used, __ATOMIC_ACQUIRE))
		return true;
	if (c->owner != owner ||
	    __atomic_load_n(&c->pcb.state, __ATOMIC_RELAXED) != TCPS_TIME_WAIT ||
	    !tw_reuse_allowed(sh, tu->raddr))
		return false;
	uint64_t now = dp_tsc_to_ns(rte_get_tsc_cycles(), sh->tsc_hz) / 1000;
	uint64_t age = __atomic_load_n(&c->pcb.ts_recent_age, __ATOMIC_RELAXED);
	uint8_t opt = __atomic_load_n(&c->pcb.opt_ok, __ATOMIC_RELAXED);
	return (opt & TCP_OPT_F_TS) && age != 0 && now >= age && now - age >= TCP_TW_REUSE_DELAY_US;
}

/* The new connection c's tuple is held: take it over if it is a
 * TIME_WAIT connection of ours that tw_reuse and the core's rule allow
 * (tcp_tw_reusable), closing it (TCP_EV_CLOSED unhashes it at once). */
static bool
tw_take(struct tcpdp_worker *tw, struct tcpdp_conn *c)
{
	struct tcpdp_conn *old = tcpdp_lookup(tw->t, &c->pcb.tuple);
	if (old == NULL || old == c || !old->used || old->owner != tw->w->id ||
	    memcmp(&old->pcb.tuple, &c->pcb.tuple, sizeof(c->pcb.tuple)) != 0 ||
	    !tw_reuse_allowed(tw->w->sh, c->pcb.tuple.raddr) ||
	    !tcp_tw_reusable(&old->pcb, tw->now_us))
		return false;
	tcp_tw_reuse_into(&c->pcb, &old->pcb);
	tcpdp_ctr(tw, TCPDP_C_TW_REUSED);
	tcp_set_state(&tw->st, &old->pcb, TCPS_CLOSED);
	return tcpdp_conn_hash(tw->t, c) == 0;
}

static void
do_connect(struct tcpdp_worker *tw, struct sess_sock *s)
{
	uint64_t lw = __atomic_load_n(&s->local_w, __ATOMIC_RELAXED);
	uint64_t rw = __atomic_load_n(&s->remote_w, __ATOMIC_RELAXED);
	struct tcp_tuple tu = {
		.laddr = sess_w_addr(lw),
		.raddr = sess_w_addr(rw),
		.lport = sess_w_port(lw),
		.rport = sess_w_port(rw),
	};
	struct tcpdp_conn *c = tcpdp_conn_alloc(tw->t, &tw->slice);
	if (c == NULL) {
		tcpdp_ctr(tw, TCPDP_C_CONN_NOMEM);
		conn_fail(tw, s, ENOBUFS);
		return;
	}
	uint16_t mss = tcpdp_adv_mss(tw->w->sh, tu.raddr,
				     __atomic_load_n(&s->maxseg, __ATOMIC_RELAXED));
	tcp_pcb_init(&c->pcb, &tu, mss);
	c->pcb.user = c;
	/* The tuple may still be held by a TIME_WAIT connection: taken over
	 * as [tcp] tw_reuse allows (Linux tcp_twsk_unique), else Linux's
	 * connect() says EADDRNOTAVAIL. */
	if (tcpdp_conn_hash(tw->t, c) != 0 && !tw_take(tw, c)) {
		tcpdp_conn_free(tw->t, &tw->slice, c);
		conn_fail(tw, s, EADDRNOTAVAIL);
		return;
	}
	if (__atomic_load_n(&s->nodelay, __ATOMIC_RELAXED))
		c->pcb.flags |= TCP_PF_NODELAY;
	/* Options set before connect() (Linux keeps them in the socket). */
	tcpdp_apply_opts(tw, &c->pcb, s);
	tcpdp_attach(tw, c, s);
	int rc = tcp_connect(&tw->st, &c->pcb, tw->now_us);
	if (rc != 0) {
		tcpdp_detach(tw, c, NULL);
		tcpdp_conn_free(tw->t, &tw->slice, c);
		conn_fail(tw, s, -rc);
	}
}

static struct tcpdp_conn *
conn_of_sock(struct tcpdp_worker *tw, const struct sess_sock *s, uint32_t gen)
{
	const struct tcpdp_sockmap *sm = &tw->sockmap[s->id % SESS_MAX_SOCKS];
	if (sm->conn == 0 || sm->gen != gen)
		return NULL;
	struct tcpdp_conn *c = &tw->t->conns[sm->conn - 1];
	return c->used && c->sock_id == s->id && c->sock_gen == gen ? c : NULL;
}

void
tcpdp_cmd_run(struct tcpdp_worker *tw, const struct sess_cmd *cmd)
{
	struct sess_table *t = tw->w->sh->sess;
	struct sess_sock *s = &t->socks[cmd->sock_id % SESS_MAX_SOCKS];
	tcpdp_ctr(tw, TCPDP_C_CMD);
	if (cmd->op == SESS_CMD_DETACH) {
		/* The client is gone and its segment with it (after the grace
		 * period that began after this command was posted): the rings
		 * are lost, so the connection is reset. */
		struct tcpdp_conn *c = conn_of_sock(tw, s, cmd->gen);
		if (c == NULL)
			return;
		tcpdp_detach(tw, c, NULL);
		tcpdp_ctr(tw, TCPDP_C_DETACHED);
		tcp_abort(&tw->st, &c->pcb, tw->now_us);
		return;
	}
	if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != cmd->gen || s->owner != tw->w->id) {
		tcpdp_ctr(tw, TCPDP_C_CMD_STALE);
		return;
	}
	struct tcpdp_conn *c = conn_of_sock(tw, s, cmd->gen);
	switch (cmd->op) {
	case SESS_CMD_CONNECT:
		if (c == NULL)
			do_connect(tw, s);
		break;
	case SESS_CMD_SHUTDOWN:
		if (c != NULL && cmd->arg != SHUT_RD) {
			tcpdp_service(tw, c, s); /* the bytes queued before it */
			if (tcpdp_conn_sock(tw, c) == s)
				tcpdp_shutdown_wr(tw, c, s);
		}
		break;
	case SESS_CMD_CLOSE: {
		if (c == NULL) {
			sess_sock_release(s); /* nothing left to finish */
			break;
		}
		uint32_t linger = __atomic_load_n(&s->linger, __ATOMIC_RELAXED);
		if ((cmd->arg & CAV_CLOSE_ABORT) || linger == UINT32_C(1) << 31) {
			tcp_abort(&tw->st, &c->pcb, tw->now_us);
			break;
		}
		tcpdp_service(tw, c, s); /* what was queued before close() */
		if (tcpdp_conn_sock(tw, c) != s)
			break;
		uint32_t unread = s->rx.local - cav_ring_peer_cons(&s->rx);
		if (unread > s->rx.size)
			unread = s->rx.size;
		c->shut_wr = true;
		c->pcb.snd.fin = true;
		tcp_close(&tw->st, &c->pcb, unread, tw->now_us);
		break;
	}
	case SESS_CMD_SETOPT:
		/* The value is in the socket (stored before the command was
		 * posted); RCVBUF only tells us the window may open. */
		if (c != NULL && cmd->arg != CAV_OPT_RCVBUF)
			apply_opt(tw, &c->pcb, s, cmd->arg);
		break;
	default:
		break;
	}
}

/* ---- bring-up ---- */

int
tcpdp_create(struct dp_shared *sh, unsigned int n_workers, const struct cav_tcp_conf *conf,
	     char *err, size_t errlen)
{
	struct tcpdp *td = rte_zmalloc("tcpdp", sizeof(*td), RTE_CACHE_LINE_SIZE);
	if (td == NULL) {
		snprintf(err, errlen, "tcp: out of memory");
		return -1;
	}
	td->t = tcpdp_table_create(conf->max_conns, n_workers, sh->rcu, (int)rte_socket_id(), err,
				   errlen);
	if (td->t == NULL) {
		rte_free(td);
		return -1;
	}
	tcp_conf_default(&td->conf);
	td->conf.msl2 = (uint64_t)conf->time_wait_ms * 1000;
	td->conf.syn_retries = conf->syn_retries;
	td->conf.synack_retries = conf->synack_retries;
	td->conf.retries2 = conf->retries2;
	/* [tcp] congestion: validated by lib/config; a name the core does
	 * not know leaves its default (CUBIC). */
	td->conf.cc = tcp_cc_find(conf->congestion);
	/* The glue passes CE up (tcp_seg.ce) and ECT(0) down (tcp_out.ect),
	 * so the core may negotiate ECN: Linux's tcp_ecn semantics. */
	td->conf.ecn = (uint8_t)conf->ecn;
	td->conf.syncookies = (uint8_t)conf->syncookies; /* [tcp] syncookies */
	td->tw_reuse = (uint8_t)conf->tw_reuse;		 /* [tcp] tw_reuse */
	sh->tcp = td;
	sh->tcp_tuple_usable = tuple_usable;
	return 0;
}

void
tcpdp_destroy(struct dp_shared *sh)
{
	struct tcpdp *td = sh->tcp;
	if (td == NULL)
		return;
	tcpdp_table_free(td->t);
	rte_free(td);
	sh->tcp = NULL;
	sh->tcp_tuple_usable = NULL;
}

int
tcpdp_worker_init(struct dp_worker *w, int socket)
{
	struct tcpdp *td = w->sh->tcp;
	if (td == NULL)
		return 0; /* no TCP (unit tests of other modules) */
	struct tcpdp_worker *tw =
		rte_zmalloc_socket("tcpdp_worker", sizeof(*tw), RTE_CACHE_LINE_SIZE, socket);
	if (tw == NULL)
		return -1;
	tw->w = w;
	tw->t = td->t;
	tcpdp_slice_init(td->t, w->id, &tw->slice);
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "cav_tcpho%u", w->id);
	tw->handoff = rte_ring_create(name, TCPDP_HANDOFF_RING, socket, RING_F_SC_DEQ);
	if (tw->handoff == NULL) {
		rte_free(tw);
		return -1;
	}
	uint8_t secret[16];
	for (unsigned int i = 0; i < sizeof(secret); i += 8) {
		uint64_t r = rte_rand();
		memcpy(secret + i, &r, 8);
	}
	uint64_t now = dp_tsc_to_ns(rte_get_tsc_cycles(), w->sh->tsc_hz) / 1000;
	tcp_stack_init(&tw->st, &tcpdp_ops, &td->conf, secret, now);
	tw->st.user = tw;
	w->tcp = tw;
	return 0;
}

void
tcpdp_worker_fini(struct dp_worker *w)
{
	struct tcpdp_worker *tw = w->tcp;
	if (tw == NULL)
		return;
	struct rte_mbuf *m;
	while (rte_ring_dequeue(tw->handoff, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(tw->handoff);
	for (uint16_t i = 0; i < tw->n_stage; i++)
		rte_pktmbuf_free(tw->stage[i]);
	rte_free(tw);
	w->tcp = NULL;
}

uint64_t
tcpdp_counter(const struct dp_shared *sh, enum tcpdp_ctr c)
{
	uint64_t sum = 0;
	for (unsigned int i = 0; i < sh->n_workers; i++)
		if (sh->workers[i] != NULL && sh->workers[i]->tcp != NULL)
			sum += __atomic_load_n(&sh->workers[i]->tcp->ctr[c], __ATOMIC_RELAXED);
	return sum;
}

void
tcpdp_stats_sum(const struct dp_shared *sh, struct tcp_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sh->n_workers; i++) {
		if (sh->workers[i] == NULL || sh->workers[i]->tcp == NULL)
			continue;
		const uint64_t *src = (const uint64_t *)&sh->workers[i]->tcp->st.stats;
		uint64_t *dst = (uint64_t *)out;
		/* Every member is a 64-bit counter (state_cur signed, summed
		 * the same way). Relaxed reads: diagnostics. */
		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

int
tcpdp_sock_info(const struct dp_shared *sh, const struct sess_sock *s, struct cav_tcp_info *out)
{
	uint32_t conn = __atomic_load_n(&s->conn, __ATOMIC_RELAXED);
	if (sh->tcp == NULL || conn == 0 || conn > sh->tcp->t->max)
		return ENOTCONN;
	const struct tcpdp_conn *c = &sh->tcp->t->conns[conn - 1];
	if (c->sock_id != s->id)
		return ENOTCONN;
	struct tcp_pcb_info in;
	tcp_get_info(&c->pcb, &in);
	uint32_t mss = in.snd_mss != 0 ? in.snd_mss : 1;
	out->rtt_us = in.srtt;
	out->rttvar_us = in.rttvar;
	out->rto_us = in.rto;
	out->snd_cwnd = in.snd_cwnd / mss;
	out->snd_ssthresh = in.snd_ssthresh / mss;
	out->snd_mss = in.snd_mss;
	out->rcv_mss = in.rcv_mss;
	out->unacked = (in.unacked + mss - 1) / mss;
	out->total_retrans = in.total_retrans;
	return 0;
}
