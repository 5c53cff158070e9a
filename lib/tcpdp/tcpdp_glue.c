/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's callbacks (struct tcp_ops) and what connects a connection to
 * its socket: buffers = the socket's rings, events = the slot's words
 * (tcp_state, events, so_error), passive opens = a socket slot taken on
 * this worker and an accept record on the listener's RX ring.
 *
 * Every access to a socket goes through tcpdp_conn_sock(), which checks
 * the socket's generation: a client that died (or closed the socket) is
 * never written to again, and its segment stays mapped until our next
 * quiescent state.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "counter.h"
#include "graph.h"
#include "log.h"
#include "route.h"
#include "tcpdp_priv.h"

const char *const tcpdp_ctr_names[TCPDP_C__COUNT] = {
	[TCPDP_C_HANDOFF] = "handoff",
	[TCPDP_C_CMD] = "commands",
	[TCPDP_C_CMD_STALE] = "commands_stale",
	[TCPDP_C_ACCEPTED] = "accepted",
	[TCPDP_C_ACCEPT_NOSLOT] = "accept_no_slot",
	[TCPDP_C_CONN_NOMEM] = "table_full",
	[TCPDP_C_TX_NOMBUF] = "tx_no_mbuf",
	[TCPDP_C_TX_STAGE_FULL] = "tx_stage_full",
	[TCPDP_C_TX_STALE] = "tx_socket_gone",
	[TCPDP_C_WAKEUPS] = "rx_publishes",
	[TCPDP_C_DETACHED] = "client_gone_resets",
	[TCPDP_C_TW_REUSED] = "tw_reused",
};

/* ---- shm words ---- */

void
tcpdp_pub_state(struct sess_sock *s, uint8_t state)
{
	__atomic_store_n(&s->tcp_state, state, __ATOMIC_RELAXED);
	/* Release: pairs with the client's acquire load. */
	__atomic_store_n(&s->shm->tcp_state, state, __ATOMIC_RELEASE);
}

void
tcpdp_pub_events(struct sess_sock *s, uint32_t ev)
{
	/* Release: after the ring index the bits describe (shm.h). */
	__atomic_or_fetch(&s->shm->events, ev, __ATOMIC_RELEASE);
	sess_wake(s->client);
}

/* ---- buffers ---- */

void
tcpdp_attach(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s)
{
	struct tcp_pcb *pcb = &c->pcb;
	c->sock_id = s->id;
	c->sock_gen = s->gen;
	uint32_t cap = __atomic_load_n(&s->rcvbuf, __ATOMIC_RELAXED);
	if (cap > s->rx.size)
		cap = s->rx.size;
	uint32_t used = s->rx.local - cav_ring_peer_cons(&s->rx);
	if (used > cap)
		used = cap;
	pcb->snd = (struct tcp_sndbuf){
		.data = s->tx.data,
		.size = s->tx.size,
		.head = s->tx.local,
		.len = 0,
		.fin = false,
	};
	pcb->rcv = (struct tcp_rcvbuf){
		.data = s->rx.data,
		.size = s->rx.size,
		.tail = s->rx.local,
		.space = cap - used,
	};
	c->tx_prod_seen = s->tx.local;
	c->rx_cons_seen = s->rx.local - used;
	c->shut_wr = false;
	tw->sockmap[s->id] = (struct tcpdp_sockmap){.conn = c->idx + 1, .gen = s->gen};
	__atomic_store_n(&s->conn, c->idx + 1, __ATOMIC_RELAXED);
}

void
tcpdp_detach(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s)
{
	if (c->sock_id == TCPDP_SOCK_NONE)
		return;
	struct tcpdp_sockmap *sm = &tw->sockmap[c->sock_id % SESS_MAX_SOCKS];
	if (sm->conn == c->idx + 1)
		*sm = (struct tcpdp_sockmap){0};
	c->sock_id = TCPDP_SOCK_NONE;
	/* The core sees no buffer from now on: nothing is copied in, and
	 * emit never reads the TX ring of a connection without a socket. */
	c->pcb.snd.data = NULL;
	c->pcb.rcv.data = NULL;
	if (s != NULL) {
		__atomic_store_n(&s->conn, 0, __ATOMIC_RELAXED);
		sess_sock_release(s);
	}
}

/* ---- callbacks ---- */

static void
ops_emit(struct tcp_stack *st, struct tcp_pcb *pcb, const struct tcp_out *out)
{
	struct tcpdp_worker *tw = st->user;
	const uint8_t *ring = NULL;
	uint32_t size = 0, idx = 0;
	if (out->len > 0) {
		struct tcpdp_conn *c = pcb != NULL ? tcpdp_conn_of(pcb) : NULL;
		if (c == NULL || pcb->snd.data == NULL || tcpdp_conn_sock(tw, c) == NULL) {
			tcpdp_ctr(tw, TCPDP_C_TX_STALE);
			return;
		}
		ring = pcb->snd.data;
		size = pcb->snd.size;
		idx = pcb->snd.head + out->data_off;
	}
	if (tw->n_stage == TCPDP_STAGE) {
		tcpdp_ctr(tw, TCPDP_C_TX_STAGE_FULL); /* as a loss: the core retransmits */
		return;
	}
	bool df = pcb == NULL || tcpdp_conn_df(tcpdp_conn_of(pcb));
	struct rte_mbuf *m = tcpdp_build(tw->w->sh->pool, out, ring, size, idx, tw->ip_id++, df);
	if (m == NULL) {
		tcpdp_ctr(tw, TCPDP_C_TX_NOMBUF);
		return;
	}
	struct pkt_meta *meta = pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->flags = PKT_META_F_LOCAL_OUT;
	graph_trace_maybe_start(tw->w, m);
	tw->stage[tw->n_stage++] = m;
}

static void
ops_copy_in(void *dst, const struct tcp_seg *seg, uint32_t off, uint32_t len)
{
	tcpdp_copy_out(seg->payload, seg->payload_off + off, dst, len);
}

static void
ops_rcv_ready(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	struct tcpdp_worker *tw = st->user;
	struct sess_sock *s = tcpdp_conn_sock(tw, tcpdp_conn_of(pcb));
	(void)n;
	if (s == NULL)
		return;
	s->rx.local = pcb->rcv.tail;
	cav_ring_publish(&s->rx); /* release: the bytes before the index */
	counter_add(&s->rx_bytes, n);
	tcpdp_ctr(tw, TCPDP_C_WAKEUPS);
	sess_wake(s->client);
}

static void
ops_snd_acked(struct tcp_stack *st, struct tcp_pcb *pcb, uint32_t n)
{
	struct tcpdp_worker *tw = st->user;
	struct sess_sock *s = tcpdp_conn_sock(tw, tcpdp_conn_of(pcb));
	if (s == NULL)
		return;
	/* The peer has the bytes: the room goes back to the writer. */
	s->tx.local = pcb->snd.head;
	cav_ring_release(&s->tx);
	counter_add(&s->tx_bytes, n);
	sess_wake(s->client);
}

/* A completed passive open: a socket for it, queued on the listener. */
static void
accept_conn(struct tcpdp_worker *tw, struct tcpdp_conn *c)
{
	struct sess_table *t = tw->w->sh->sess;
	struct sess_sock *lst = &t->socks[c->lst_id % SESS_MAX_SOCKS];
	if (c->lst_id == TCPDP_SOCK_NONE ||
	    __atomic_load_n(&lst->gen, __ATOMIC_ACQUIRE) != c->lst_gen) {
		c->abort_pending = true; /* the listener is gone: Linux resets */
		return;
	}
	const struct tcp_tuple *tu = &c->pcb.tuple;
	struct sess_sock *s = sess_accept_alloc(t, lst, tw->w->id, tu->laddr, tu->lport, tu->raddr,
						tu->rport);
	if (s == NULL) {
		tcpdp_ctr(tw, TCPDP_C_ACCEPT_NOSLOT);
		c->abort_pending = true;
		return;
	}
	tcpdp_attach(tw, c, s);
	/* What the accepted socket inherited from the listener (Linux
	 * sk_clone_lock; lib/session copied it): the core leaves this to
	 * us, it copies only TCP_NODELAY. Before the accept record, so a
	 * setsockopt() on the new socket comes after it. */
	tcpdp_apply_opts(tw, &c->pcb, s);
	if (sess_accept_queue(t, lst, s) != 0) {
		tcpdp_detach(tw, c, NULL);
		__atomic_store_n(&s->conn, 0, __ATOMIC_RELAXED);
		sess_accept_undo(t, s);
		c->abort_pending = true;
		return;
	}
	tcpdp_ctr(tw, TCPDP_C_ACCEPTED);
}

static void
ops_event(struct tcp_stack *st, struct tcp_pcb *pcb, enum tcp_event ev, int arg)
{
	struct tcpdp_worker *tw = st->user;
	struct tcpdp_conn *c = tcpdp_conn_of(pcb);
	struct sess_sock *s = tcpdp_conn_sock(tw, c);
	switch (ev) {
	case TCP_EV_STATE:
		if (s == NULL)
			break;
		tcpdp_pub_state(s, pcb->state);
		/* TIME_WAIT keeps only the connection (the slot goes back at
		 * once, as Linux's timewait sockets are not the socket). */
		if (pcb->state == TCPS_TIME_WAIT) {
			tcpdp_pub_events(s, CAV_SOCK_EV_WRHUP);
			tcpdp_detach(tw, c, s);
		}
		break;
	case TCP_EV_CONNECTED:
		if (s != NULL)
			tcpdp_pub_events(s, CAV_SOCK_EV_CONNECTED);
		break;
	case TCP_EV_ACCEPT:
		accept_conn(tw, c);
		break;
	case TCP_EV_PEER_FIN:
		if (s != NULL)
			tcpdp_pub_events(s, CAV_SOCK_EV_RDHUP);
		break;
	case TCP_EV_ERROR:
		if (s == NULL)
			break;
		/* Release: pairs with the client's exchange (acq_rel). */
		__atomic_store_n(&s->shm->so_error, arg, __ATOMIC_RELEASE);
		tcpdp_pub_events(s, CAV_SOCK_EV_ERR |
				      (arg == EPIPE ? 0 : CAV_SOCK_EV_RESET | CAV_SOCK_EV_WRHUP));
		break;
	case TCP_EV_CLOSED:
		if (s != NULL) {
			tcpdp_pub_state(s, TCPS_CLOSED);
			tcpdp_pub_events(s, CAV_SOCK_EV_CLOSED | CAV_SOCK_EV_WRHUP);
			tcpdp_detach(tw, c, s);
		} else {
			tcpdp_detach(tw, c, NULL);
		}
		/* Out of the hash now (a TIME_WAIT reuse hashes the same
		 * tuple again at once); the slot is freed after the walk. */
		tcpdp_conn_unhash(tw->t, c);
		if (tw->n_free < TCPDP_FREE_BATCH)
			tw->to_free[tw->n_free++] = c->idx;
		else
			RTE_LOG(ERR, USER1, "tcp: free batch full, connection %u leaked\n",
				c->idx);
		break;
	default:
		break;
	}
}

static struct tcp_pcb *
ops_pcb_alloc(struct tcp_stack *st, struct tcp_listen *l, const struct tcp_tuple *tu)
{
	struct tcpdp_worker *tw = st->user;
	struct tcpdp_lst *e = l->user;
	struct tcpdp_conn *c = tcpdp_conn_alloc(tw->t, &tw->slice);
	if (c == NULL) {
		tcpdp_ctr(tw, TCPDP_C_CONN_NOMEM);
		return NULL;
	}
	c->pcb.tuple = *tu;
	if (tcpdp_conn_hash(tw->t, c) != 0) {
		tcpdp_conn_free(tw->t, &tw->slice, c);
		tcpdp_ctr(tw, TCPDP_C_CONN_NOMEM);
		return NULL;
	}
	c->lst_id = e->sock_id;
	c->lst_gen = e->gen;
	c->pcb.user = c;
	return &c->pcb;
}

const struct tcp_ops tcpdp_ops = {
	.emit = ops_emit,
	.copy_in = ops_copy_in,
	.rcv_ready = ops_rcv_ready,
	.snd_acked = ops_snd_acked,
	.event = ops_event,
	.pcb_alloc = ops_pcb_alloc,
};

/* ---- per walk ---- */

void
tcpdp_begin(struct tcpdp_worker *tw)
{
	tw->now_us = tw->w->now_ns / 1000;
}

void
tcpdp_end(struct tcpdp_worker *tw, struct rte_graph *graph, struct rte_node *node,
	  rte_edge_t out_edge)
{
	for (uint32_t i = 0; i < tw->n_free; i++) {
		struct tcpdp_conn *c = &tw->t->conns[tw->to_free[i]];
		/* A connection the core closed and nothing reopened. */
		if (c->used && c->pcb.state == TCPS_CLOSED)
			tcpdp_conn_free(tw->t, &tw->slice, c);
	}
	tw->n_free = 0;
	if (tw->n_stage == 0)
		return;
	for (uint16_t i = 0; i < tw->n_stage; i++)
		graph_next(graph, node, out_edge, tw->stage[i]);
	tw->n_stage = 0;
}

/* ---- listeners ---- */

uint16_t
tcpdp_adv_mss(const struct dp_shared *sh, uint32_t dst, uint16_t maxseg)
{
	uint32_t mtu = 1500;
	const struct nexthop *nh = route_lookup(sh->routes, dst);
	if (nh != NULL && nh->port < sh->n_ports)
		mtu = sh->ports[nh->port].mtu;
	uint32_t mss = mtu > 40 + TCP_DEFAULT_MSS ? mtu - 40 : TCP_DEFAULT_MSS;
	if (maxseg != 0 && maxseg < mss)
		mss = maxseg; /* TCP_MAXSEG lowers what we advertise, as Linux */
	return (uint16_t)mss;
}

/* A listener's pcbs still in SYN_RCVD when its view is reused for another
 * listener: they lose it (their handshake then resets). */
static void
lst_orphan(struct tcpdp_worker *tw, struct tcpdp_lst *e)
{
	for (uint32_t i = 0; i < tw->slice.n; i++) {
		struct tcpdp_conn *c = &tw->t->conns[tw->slice.base + i];
		if (c->used && c->pcb.listener == &e->l) {
			c->pcb.listener = NULL;
			c->lst_id = TCPDP_SOCK_NONE;
		}
	}
}

struct tcpdp_lst *
tcpdp_lst_view(struct tcpdp_worker *tw, struct sess_sock *lst, uint16_t in_port)
{
	struct tcpdp_lst *e = &tw->lst[lst->id % SESS_MAX_SOCKS];
	uint32_t gen = __atomic_load_n(&lst->gen, __ATOMIC_ACQUIRE);
	if (!e->live || e->gen != gen) {
		if (e->live && e->l.synq_len != 0)
			lst_orphan(tw, e);
		memset(e, 0, sizeof(*e));
		e->sock_id = lst->id;
		e->gen = gen;
		e->live = true;
		e->l.user = e;
	}
	uint64_t lw = __atomic_load_n(&lst->local_w, __ATOMIC_RELAXED);
	uint32_t backlog = __atomic_load_n(&lst->backlog, __ATOMIC_RELAXED);
	e->l.local = (struct tcp_tuple){.laddr = sess_w_addr(lw), .lport = sess_w_port(lw)};
	e->l.backlog = backlog;
	/* Linux without syncookies: the SYN queue is bounded by the backlog
	 * (inet_csk_reqsk_queue_is_full); here per worker. */
	e->l.synq_max = backlog > 0 ? backlog : 1;
	e->l.acceptq_len = sess_accept_queued(lst);
	uint32_t mtu = in_port < tw->w->sh->n_ports ? tw->w->sh->ports[in_port].mtu : 1500;
	uint16_t maxseg = __atomic_load_n(&lst->maxseg, __ATOMIC_RELAXED);
	e->l.adv_mss = (uint16_t)(mtu - 40);
	if (maxseg != 0 && maxseg < e->l.adv_mss)
		e->l.adv_mss = maxseg;
	uint32_t cap = __atomic_load_n(&lst->rcvbuf, __ATOMIC_RELAXED);
	e->l.rcv_space = cap < CAV_SHM_RX_RING ? cap : CAV_SHM_RX_RING;
	e->l.nodelay = __atomic_load_n(&lst->nodelay, __ATOMIC_RELAXED);
	return e;
}

bool
tcpdp_lst_refresh(struct tcpdp_worker *tw, struct tcpdp_conn *c)
{
	if (c->pcb.listener == NULL || c->lst_id == TCPDP_SOCK_NONE)
		return false;
	struct sess_sock *lst = &tw->w->sh->sess->socks[c->lst_id % SESS_MAX_SOCKS];
	if (__atomic_load_n(&lst->gen, __ATOMIC_ACQUIRE) != c->lst_gen ||
	    __atomic_load_n(&lst->phase, __ATOMIC_RELAXED) != SESS_TCP_LISTEN)
		return false;
	struct tcp_listen *l = c->pcb.listener;
	l->acceptq_len = sess_accept_queued(lst);
	/* No socket slot left for the client: as a full accept queue (the
	 * ACK is dropped, the SYN-ACK retransmitted). */
	if (!sess_client_has_room(lst->client))
		l->acceptq_len = l->backlog + 1;
	return true;
}

/* ---- what the client published ---- */

void
tcpdp_shutdown_wr(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s)
{
	if (c->shut_wr)
		return;
	c->shut_wr = true;
	c->pcb.snd.fin = true;
	tcp_shutdown_wr(&tw->st, &c->pcb, tw->now_us);
	if (tcpdp_conn_sock(tw, c) == s)
		tcpdp_pub_events(s, CAV_SOCK_EV_WRHUP);
}

unsigned int
tcpdp_service(struct tcpdp_worker *tw, struct tcpdp_conn *c, struct sess_sock *s)
{
	struct tcp_pcb *pcb = &c->pcb;
	bool out = false;
	unsigned int work = 0;
	/* TX: bytes the client queued since (read once, validated: the
	 * producer never goes back nor runs more than a ring ahead of what
	 * the peer acknowledged). */
	uint32_t prod = cav_ring_peer_prod(&s->tx);
	if (prod != c->tx_prod_seen && !c->shut_wr) {
		uint32_t queued = prod - pcb->snd.head;
		if ((int32_t)(prod - c->tx_prod_seen) < 0 || queued > s->tx.size) {
			sess_violation(s->client, SESS_V_TX_RING);
			return 0;
		}
		c->tx_prod_seen = prod;
		pcb->snd.len = queued;
		out = true;
	}
	/* Acquire: pairs with the client's release store after its last
	 * bytes were published; re-read prod after it. */
	uint32_t req = __atomic_load_n(&s->shm->client_req, __ATOMIC_ACQUIRE);
	if ((req & CAV_REQ_SHUT_WR) && !c->shut_wr) {
		prod = cav_ring_peer_prod(&s->tx);
		uint32_t queued = prod - pcb->snd.head;
		if ((int32_t)(prod - c->tx_prod_seen) < 0 || queued > s->tx.size) {
			sess_violation(s->client, SESS_V_TX_RING);
			return 0;
		}
		c->tx_prod_seen = prod;
		pcb->snd.len = queued;
		tcpdp_shutdown_wr(tw, c, s);
		out = true;
	}
	/* RX: what the client consumed opens the window. */
	uint32_t cons = cav_ring_peer_cons(&s->rx);
	if (cons != c->rx_cons_seen && pcb->rcv.data != NULL) {
		uint32_t delta = cons - c->rx_cons_seen;
		if (delta > pcb->rcv.tail - c->rx_cons_seen) {
			sess_violation(s->client, SESS_V_RX_RING);
			return 0;
		}
		c->rx_cons_seen = cons;
		tcp_recvd(&tw->st, pcb, delta, tw->now_us);
		work++;
	}
	if (out && tcpdp_conn_sock(tw, c) == s) {
		tcp_output(&tw->st, pcb, tw->now_us);
		work++;
	}
	return work;
}
