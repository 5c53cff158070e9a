/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream sockets (TCP), the main lcore's side and the passive opens that
 * workers complete: listen(), connect() (the port choice, RSS-aware),
 * shutdown(), the close that waits for the owner (sess_sock_reap), a
 * listener's stop, and the socket slots taken by workers for accepted
 * connections (sess_accept_*) under the allocation lock. The datagram
 * socket operations and what both kinds share are in sess_sock.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_thash.h>

#include "dp.h"
#include "route.h"
#include "sess_priv.h"
#include "tcp.h"

int
sess_sock_listen(struct sess_table *t, struct sess_sock *s, uint32_t backlog)
{
	if (s->proto != SESS_P_TCP)
		return EOPNOTSUPP; /* Linux: listen() on a datagram socket */
	/* Linux clamps to somaxconn (a negative int is a large unsigned). */
	if (backlog > SESS_SOMAXCONN)
		backlog = SESS_SOMAXCONN;
	if (s->phase == SESS_TCP_LISTEN) {
		__atomic_store_n(&s->backlog, backlog, __ATOMIC_RELAXED); /* Linux: adjusts it */
		return 0;
	}
	if (s->phase != SESS_TCP_NONE)
		return EINVAL;
	if (!s->bound) {
		/* Linux: listen() on an unbound socket binds an ephemeral port. */
		uint16_t port;
		int rc = sess_pick_ephemeral(t, SESS_P_TCP, 0, s->reuseaddr, &port);
		if (rc != 0)
			return rc;
		__atomic_store_n(&s->local_w, (uint64_t)port, __ATOMIC_RELAXED);
		sess_port_link(t, s, port);
		s->bound = true;
	} else if (!sess_port_free_for(t, SESS_P_TCP, sess_w_addr(s->local_w), sess_w_port(s->local_w),
				  s->reuseaddr, s, true)) {
		return EADDRINUSE;
	}
	s->backlog = backlog;
	s->phase = SESS_TCP_LISTEN;
	struct sess_key k = sess_current_key(s);
	int rc = sess_key_publish(t, &k, s);
	if (rc != 0) {
		s->phase = SESS_TCP_NONE;
		return rc;
	}
	__atomic_store_n(&s->tcp_state, SESS_TCP_ST_LISTEN, __ATOMIC_RELAXED);
	/* Release: pairs with the client's acquire load. */
	__atomic_store_n(&s->shm->tcp_state, SESS_TCP_ST_LISTEN, __ATOMIC_RELEASE);
	return 0;
}

/* ---- active opens: a port whose return traffic reaches the owner ---- */

bool
sess_rss_queue_is(const struct sess_rss *r, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport, uint16_t queue)
{
	/* The segment as it arrives: from the peer to us. */
	struct rte_ipv4_tuple tu;
	memset(&tu, 0, sizeof(tu));
	tu.src_addr = raddr;
	tu.dst_addr = laddr;
	tu.sport = rport;
	tu.dport = lport;
	uint32_t h = rte_softrss((uint32_t *)&tu, RTE_THASH_V4_L4_LEN, r->key);
	return r->reta[h % r->reta_size] == queue;
}

/* The RSS of port `port` (probed once), or NULL: no RSS, or the driver
 * does not tell its key and table (then we rely on the handoff). */
static const struct sess_rss *
rss_of(struct sess_table *t, uint16_t port)
{
	if (port >= t->sh->n_ports)
		return NULL;
	struct sess_rss *r = &t->rss[port];
	if (r->probed)
		return r->on ? r : NULL;
	r->probed = true;
	uint16_t eth = t->sh->ports[port].ethdev;
	struct rte_eth_rss_conf rc = {.rss_key = r->key, .rss_key_len = SESS_RSS_KEY};
	struct rte_eth_dev_info info;
	if (rte_eth_dev_rss_hash_conf_get(eth, &rc) != 0 || rc.rss_hf == 0 ||
	    rc.rss_key_len != SESS_RSS_KEY || rte_eth_dev_info_get(eth, &info) != 0 ||
	    info.reta_size == 0 || info.reta_size > SESS_RSS_RETA_MAX)
		return NULL;
	struct rte_eth_rss_reta_entry64 rt[SESS_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	memset(rt, 0, sizeof(rt));
	for (unsigned int i = 0; i < (info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1u) /
					     RTE_ETH_RETA_GROUP_SIZE; i++)
		rt[i].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(eth, rt, info.reta_size) != 0)
		return NULL;
	for (unsigned int i = 0; i < info.reta_size; i++)
		r->reta[i] = rt[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	r->reta_size = info.reta_size;
	r->on = true;
	return r;
}

/* The 4-tuple is not held by a connection the new one cannot take over
 * (lib/tcpdp's hook: TIME_WAIT tuples per [tcp] tw_reuse, as Linux's
 * __inet_hash_connect skips ports whose tuple is in use). */
static bool
tuple_usable(const struct sess_table *t, uint32_t src, uint16_t p, uint32_t dst, uint16_t dport,
	     unsigned int owner)
{
	const struct tcp_tuple tu = {.laddr = src, .raddr = dst, .lport = p, .rport = dport};
	return t->sh->tcp_tuple_usable == NULL || t->sh->tcp_tuple_usable(t->sh, &tu, owner);
}

/* One pass over the ephemeral range from next_ephemeral: a free port whose
 * tuple is usable and, with r, whose return traffic RSS puts on `queue`. */
static bool
scan_ephemeral(struct sess_table *t, uint32_t src, uint32_t dst, uint16_t dport,
	       unsigned int owner, bool reuse, const struct sess_rss *r, uint16_t queue,
	       uint16_t *port)
{
	const unsigned int range = SESS_EPHEMERAL_HI - SESS_EPHEMERAL_LO + 1;
	for (unsigned int i = 0; i < range; i++) {
		uint16_t p = t->next_ephemeral;
		t->next_ephemeral = p >= SESS_EPHEMERAL_HI ? SESS_EPHEMERAL_LO : (uint16_t)(p + 1);
		if (t->ports[SESS_P_TCP][p] == NULL &&
		    sess_port_free_for(t, SESS_P_TCP, 0, p, reuse, NULL, false) &&
		    (r == NULL || sess_rss_queue_is(r, src, p, dst, dport, queue)) &&
		    tuple_usable(t, src, p, dst, dport, owner)) {
			*port = p;
			return true;
		}
	}
	return false;
}

/*
 * An ephemeral port for an active open from src to dst:dport owned by
 * `owner`: where the route's port spreads flows by Toeplitz RSS, one whose
 * return traffic lands on the owner's queue (as rte_thash computes it), so
 * no segment needs a handoff; otherwise (or if none is free) any. None
 * left: EADDRNOTAVAIL, as Linux's connect() (bind() says EADDRINUSE,
 * sess_pick_ephemeral).
 */
static int
pick_ephemeral_for(struct sess_table *t, uint32_t src, uint32_t dst, uint16_t dport,
		   unsigned int owner, bool reuse, uint16_t *port)
{
	const struct nexthop *nh = route_lookup(t->sh->routes, dst);
	const struct sess_rss *r = nh != NULL ? rss_of(t, nh->port) : NULL;
	if (r != NULL && t->sh->workers[owner] != NULL &&
	    scan_ephemeral(t, src, dst, dport, owner, reuse, r, t->sh->workers[owner]->queue,
			   port)) {
		t->rss_ports++;
		return 0;
	}
	if (!scan_ephemeral(t, src, dst, dport, owner, reuse, NULL, 0, port))
		return EADDRNOTAVAIL;
	return 0;
}

/*
 * connect() on a stream socket: errors as Linux's __inet_stream_connect;
 * the SYN itself is the owner's (SESS_CMD_CONNECT), the result reaches
 * the client through the slot (tcp_state, events, so_error).
 */
int
sess_stream_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port)
{
	if (s->phase == SESS_TCP_LISTEN)
		return EISCONN;
	if (s->phase == SESS_TCP_CONN) {
		uint32_t st = __atomic_load_n(&s->tcp_state, __ATOMIC_RELAXED);
		if (st == SESS_TCP_ST_SYN_SENT)
			return EALREADY;
		if (st != SESS_TCP_ST_CLOSE || !__atomic_load_n(&s->released, __ATOMIC_ACQUIRE))
			return EISCONN;
		/* The last attempt failed: Linux lets the socket try again. */
	}
	if (addr == 0)
		addr = 0x7f000001;
	uint32_t src;
	int rc = sess_source_for(t, s, addr, &src);
	if (rc != 0)
		return rc;
	uint16_t lport;
	if (!s->bound) {
		rc = pick_ephemeral_for(t, src, addr, port, s->owner, s->reuseaddr, &lport);
		if (rc != 0)
			return rc;
		__atomic_store_n(&s->local_w, (uint64_t)lport, __ATOMIC_RELAXED);
		sess_port_link(t, s, lport);
		s->bound = true;
	} else {
		lport = sess_w_port(s->local_w);
	}
	s->connected = true;
	__atomic_store_n(&s->remote_w, ((uint64_t)addr << 16) | port, __ATOMIC_RELAXED);
	__atomic_store_n(&s->local_w, ((uint64_t)src << 16) | lport, __ATOMIC_RELAXED);
	s->released = false;
	__atomic_store_n(&s->tcp_state, SESS_TCP_ST_SYN_SENT, __ATOMIC_RELAXED);
	/* A new attempt forgets the last one's outcome (Linux clears sk_err).
	 * The owner has not got the connection yet: we are the writer. */
	__atomic_store_n(&s->shm->so_error, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->shm->events, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->shm->tcp_state, SESS_TCP_ST_SYN_SENT, __ATOMIC_RELEASE);
	s->phase = SESS_TCP_CONN;
	rc = sess_cmd_post(t, s, SESS_CMD_CONNECT, 0, 0);
	if (rc != 0) {
		s->phase = SESS_TCP_NONE;
		s->connected = false;
		__atomic_store_n(&s->tcp_state, SESS_TCP_ST_CLOSE, __ATOMIC_RELAXED);
		__atomic_store_n(&s->shm->tcp_state, SESS_TCP_ST_CLOSE, __ATOMIC_RELEASE);
	}
	return rc;
}

int
sess_sock_shutdown(struct sess_table *t, struct sess_sock *s, uint32_t how)
{
	if (s->proto != SESS_P_TCP)
		return EOPNOTSUPP;
	if (how > 2)
		return EINVAL;
	if (s->phase != SESS_TCP_CONN)
		return ENOTCONN;
	/* SHUT_RD sends nothing (Linux); the owner still hears of it. */
	return sess_cmd_post(t, s, SESS_CMD_SHUTDOWN, how, 0);
}

/*
 * A listener is closing: no more accept records (acc_dead under the
 * producers' lock), then every connection queued and not accepted is
 * reset, as Linux's inet_csk_listen_stop does.
 */
void
sess_listener_stop(struct sess_table *t, struct sess_sock *s)
{
	rte_spinlock_lock(&s->acc_lock);
	s->acc_dead = true;
	uint32_t prod = s->rx.local;
	rte_spinlock_unlock(&s->acc_lock);
	/* The client consumed up to its cons; read what remains with our
	 * own copy of the ring (the consumer side), trusting nothing. */
	struct cav_ring r = s->rx;
	r.local = cav_ring_peer_cons(&s->rx);
	if (prod - r.local > r.size)
		return; /* impossible consumer index: nothing we can read */
	struct cav_ring_idx idx = {.prod = prod};
	r.idx = &idx; /* our producer index, not the shared one */
	for (unsigned int n = 0; n < SESS_MAX_SOCKS; n++) {
		struct cav_dg_hdr h;
		const uint8_t *data;
		if (cav_dg_peek(&r, &h, &data, sizeof(struct cav_accept_rec)) != CAV_SHM_OK)
			break;
		struct cav_accept_rec rec;
		memcpy(&rec, data, sizeof(rec));
		r.local += cav_dg_record_size(h.len);
		if (h.len != sizeof(rec) || rec.slot >= s->client->n_socks)
			continue;
		uint32_t id = s->client->slot_sock[rec.slot];
		if (id == 0)
			continue;
		struct sess_sock *c = &t->socks[id - 1];
		if (c->proto != SESS_P_TCP || c->phase != SESS_TCP_CONN || c->slot_gen != rec.gen)
			continue;
		c->phase = SESS_TCP_CLOSING;
		t->closing_hint++;
		c->close_flags = CAV_CLOSE_ABORT;
		c->close_posted = sess_cmd_post(t, c, SESS_CMD_CLOSE, CAV_CLOSE_ABORT, 0) == 0;
	}
}

/*
 * Released sockets are unpublished in a batch and freed after an RCU
 * grace period. After a request (wait false) the grace period is started
 * and looked at, never waited for: the worker that has to pass a
 * quiescent state may share the main lcore's CPU, and a main lcore
 * spinning in rte_rcu_qsbr_synchronize() keeps it from running until the
 * scheduler preempts the spinner (milliseconds per close() in a
 * connect/close loop). The periodic tick (wait true) waits, as before.
 * The full scan of socks[] is skipped after a request when nothing was
 * closed since the last one (closing_hint; the tick scans regardless).
 */
void
sess_sock_reap(struct sess_table *t, bool wait)
{
	if (t->reap_n != 0) {
		if (t->rcu != NULL && rte_rcu_qsbr_check(t->rcu, t->reap_token, wait) != 1)
			return; /* the batch stays unpublished until its grace period ends */
		for (unsigned int i = 0; i < t->reap_n; i++)
			sess_sock_free(t, t->reap_wait[i]);
		t->reap_n = 0;
	}
	if (!wait && t->closing_hint == 0)
		return;
	unsigned int n = 0, closing = 0;
	for (unsigned int i = 0; i < SESS_MAX_SOCKS; i++) {
		struct sess_sock *s = &t->socks[i];
		if (!s->used || s->proto != SESS_P_TCP || s->phase != SESS_TCP_CLOSING)
			continue;
		closing++;
		if (!s->close_posted)
			s->close_posted = sess_cmd_post(t, s, SESS_CMD_CLOSE, s->close_flags, 0) == 0;
		/* Acquire: pairs with the owner's release in sess_sock_release. */
		if (n < RTE_DIM(t->reap_wait) && __atomic_load_n(&s->released, __ATOMIC_ACQUIRE)) {
			sess_sock_unpublish(t, s);
			t->reap_wait[n++] = s;
		}
	}
	t->closing_hint = closing - n;
	if (n == 0)
		return;
	t->reap_n = n;
	if (t->rcu != NULL)
		t->reap_token = rte_rcu_qsbr_start(t->rcu);
	if (t->rcu == NULL || rte_rcu_qsbr_check(t->rcu, t->reap_token, wait) == 1) {
		for (unsigned int i = 0; i < n; i++)
			sess_sock_free(t, t->reap_wait[i]);
		t->reap_n = 0;
	}
}

void
sess_sock_reap_flush(struct sess_table *t)
{
	if (t->reap_n == 0)
		return;
	if (t->rcu != NULL)
		rte_rcu_qsbr_check(t->rcu, t->reap_token, true);
	for (unsigned int i = 0; i < t->reap_n; i++)
		sess_sock_free(t, t->reap_wait[i]);
	t->reap_n = 0;
}

/* ---- passive opens (any worker) ---- */

struct sess_sock *
sess_accept_alloc(struct sess_table *t, struct sess_sock *lst, unsigned int owner,
		  uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct sess_client *c = lst->client;
	int err;
	struct sess_sock *s = NULL;
	rte_spinlock_lock(&t->alloc_lock);
	/* Under the lock the listener cannot be freed or reused (that takes
	 * the lock too), and a dying client takes no new socket. */
	if (lst->used && lst->client == c && c != NULL && !c->dying && sess_client_ok(c) &&
	    lst->phase == SESS_TCP_LISTEN)
		s = sess_sock_take_locked(t, c, owner, SESS_P_TCP, &err);
	rte_spinlock_unlock(&t->alloc_lock);
	if (s == NULL)
		return NULL;
	s->bound = true;
	s->connected = true;
	s->phase = SESS_TCP_CONN;
	s->nodelay = lst->nodelay;
	s->keepalive = lst->keepalive;
	/* Linux's sk_clone_lock copies these too (keepalive timers, user
	 * timeout, congestion control): the owner applies them to the
	 * connection at TCP_EV_ACCEPT (lib/tcpdp). */
	s->keepidle = __atomic_load_n(&lst->keepidle, __ATOMIC_RELAXED);
	s->keepintvl = __atomic_load_n(&lst->keepintvl, __ATOMIC_RELAXED);
	s->keepcnt = __atomic_load_n(&lst->keepcnt, __ATOMIC_RELAXED);
	s->user_timeout = __atomic_load_n(&lst->user_timeout, __ATOMIC_RELAXED);
	s->cc = __atomic_load_n(&lst->cc, __ATOMIC_RELAXED);
	s->pmtudisc = __atomic_load_n(&lst->pmtudisc, __ATOMIC_RELAXED);
	s->maxseg = lst->maxseg;
	s->linger = lst->linger;
	s->rcvbuf = __atomic_load_n(&lst->rcvbuf, __ATOMIC_RELAXED);
	s->sndbuf = __atomic_load_n(&lst->sndbuf, __ATOMIC_RELAXED);
	__atomic_store_n(&s->local_w, ((uint64_t)laddr << 16) | lport, __ATOMIC_RELAXED);
	__atomic_store_n(&s->remote_w, ((uint64_t)raddr << 16) | rport, __ATOMIC_RELAXED);
	__atomic_store_n(&s->tcp_state, SESS_TCP_ST_ESTABLISHED, __ATOMIC_RELAXED);
	s->shm->events = CAV_SOCK_EV_CONNECTED;
	/* Release: the accept record published after this covers it. */
	__atomic_store_n(&s->shm->tcp_state, SESS_TCP_ST_ESTABLISHED, __ATOMIC_RELEASE);
	return s;
}

int
sess_accept_queue(struct sess_table *t, struct sess_sock *lst, struct sess_sock *s)
{
	(void)t;
	uint64_t lw = s->local_w, rw = s->remote_w;
	struct cav_accept_rec rec = {
		.slot = s->slot,
		.laddr = rte_cpu_to_be_32(sess_w_addr(lw)),
		.lport = rte_cpu_to_be_16(sess_w_port(lw)),
		.gen = s->slot_gen,
	};
	int st = CAV_SHM_FULL;
	rte_spinlock_lock(&lst->acc_lock);
	if (!lst->acc_dead)
		st = cav_dg_produce(&lst->rx, &rec, sizeof(rec), rte_cpu_to_be_32(sess_w_addr(rw)),
				    rte_cpu_to_be_16(sess_w_port(rw)), UINT32_MAX);
	rte_spinlock_unlock(&lst->acc_lock);
	if (st == CAV_SHM_CORRUPT)
		sess_violation(lst->client, SESS_V_RX_RING);
	if (st != CAV_SHM_OK)
		return -1;
	sess_wake(lst->client);
	return 0;
}

void
sess_accept_undo(struct sess_table *t, struct sess_sock *s)
{
	/* Never published to the client nor hashed: only own[] (ours) and
	 * the slot hold it. */
	struct sess_worker *sw = t->sh->workers[s->owner]->sess;
	rte_spinlock_lock(&t->alloc_lock);
	__atomic_store_n(&sw->own[s->own_idx], NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&s->gen, s->gen + 1, __ATOMIC_RELEASE);
	s->client->slot_sock[s->slot] = 0;
	s->used = false;
	s->client = NULL;
	rte_spinlock_unlock(&t->alloc_lock);
}

uint32_t
sess_accept_queued(const struct sess_sock *lst)
{
	/* Relaxed read of our producer index (another worker may be adding
	 * a record): an estimate, as Linux's sk_ack_backlog read unlocked. */
	uint32_t prod = __atomic_load_n(&lst->rx.local, __ATOMIC_RELAXED);
	uint32_t used = prod - cav_ring_peer_cons(&lst->rx);
	if (used > lst->rx.size)
		return UINT32_MAX; /* impossible: behave as full */
	return used / cav_dg_record_size(sizeof(struct cav_accept_rec));
}

bool
sess_client_has_room(const struct sess_client *c)
{
	for (uint32_t i = 0; i < c->n_socks; i++)
		if (__atomic_load_n(&c->slot_sock[i], __ATOMIC_RELAXED) == 0)
			return true;
	return false;
}
