/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's requests executed by the owner worker (struct sess_cmd:
 * connect, shutdown, close, options, client gone), bring-up and teardown of
 * the TCP state, and the figures `cavctl` reads (counters, TCP_INFO).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "counter.h"
#include "tcpdp_priv.h"

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
	/* The tuple may still be held by a TIME_WAIT connection (an explicit
	 * bind): Linux's connect() would say EADDRNOTAVAIL. */
	if (tcpdp_conn_hash(tw->t, c) != 0) {
		tcpdp_conn_free(tw->t, &tw->slice, c);
		conn_fail(tw, s, EADDRNOTAVAIL);
		return;
	}
	if (__atomic_load_n(&s->nodelay, __ATOMIC_RELAXED))
		c->pcb.flags |= TCP_PF_NODELAY;
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
		if (c != NULL && cmd->arg == CAV_OPT_NODELAY)
			tcp_set_nodelay(&tw->st, &c->pcb, __atomic_load_n(&s->nodelay,
									  __ATOMIC_RELAXED),
					tw->now_us);
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
	sh->tcp = td;
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
