/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sockets: the control operations (main lcore, the single writer) and the
 * lock-free lookup (workers). Stream-only operations (listen, connect,
 * shutdown, passive opens) are in sess_stream.c.
 *
 * Publication: a socket is found by workers through the hash (key: local
 * address and port, and the peer for a connected socket; data: the first
 * socket of a chain of those sharing the key under SO_REUSEADDR) and by
 * its owner through sess_worker.own[]. Unpublishing comes first; the key
 * slot, the socket slot and the client segment are reused or freed only
 * after an RCU grace period (rte_rcu_qsbr_synchronize), so a worker that
 * found a socket can finish with it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp.h"
#include "route.h"
#include "sess_priv.h"
#include "tcp.h"

/* UDP callers (the lookups of udp_input and udp_err) */
static inline struct sess_key
key_of(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	return key_proto(SESS_P_UDP, laddr, lport, raddr, rport);
}

/* ---- worker side ---- */

static inline struct sess_sock *
find(const struct sess_table *t, const struct sess_key *k)
{
	void *d;
	if (rte_hash_lookup_data(t->hash, k, &d) < 0)
		return NULL;
	return d;
}

struct sess_sock *
sess_lookup_connected(const struct sess_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
		      uint16_t rport)
{
	struct sess_key k = key_of(laddr, lport, raddr, rport);
	return find(t, &k);
}

struct sess_sock *
sess_lookup(const struct sess_table *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
	    uint16_t rport)
{
	struct sess_key k = key_of(laddr, lport, raddr, rport);
	struct sess_sock *s = find(t, &k);
	if (s != NULL)
		return s;
	k.raddr = 0;
	k.rport = 0;
	if ((s = find(t, &k)) != NULL)
		return s;
	k.laddr = 0;
	return find(t, &k);
}

struct sess_sock *
sess_lookup_listener(const struct sess_table *t, uint32_t laddr, uint16_t lport)
{
	struct sess_key k = key_proto(SESS_P_TCP, laddr, lport, 0, 0);
	struct sess_sock *s = find(t, &k);
	if (s != NULL)
		return s;
	k.laddr = 0;
	return find(t, &k);
}

/* ---- main lcore ---- */

int
sess_key_publish(struct sess_table *t, const struct sess_key *k, struct sess_sock *s)
{
	struct sess_sock *head = find(t, k);
	s->next_same = NULL;
	if (head == NULL)
		return rte_hash_add_key_data(t->hash, k, s) < 0 ? ENOBUFS : 0;
	while (head->next_same != NULL)
		head = head->next_same;
	/* Release: a worker that follows the link sees s complete. */
	__atomic_store_n(&head->next_same, s, __ATOMIC_RELEASE);
	return 0;
}

/* Unlink s; a deleted key's position goes in *pos for freeing after the
 * grace period (-1 if none). s->next_same stays valid for readers. */
static void
key_unpublish(struct sess_table *t, const struct sess_key *k, struct sess_sock *s, int32_t *pos)
{
	*pos = -1;
	struct sess_sock *head = find(t, k);
	if (head == NULL)
		return;
	if (head == s) {
		if (s->next_same != NULL)
			rte_hash_add_key_data(t->hash, k, s->next_same); /* atomic update */
		else
			*pos = rte_hash_del_key(t->hash, k);
		return;
	}
	for (struct sess_sock *p = head; p->next_same != NULL; p = p->next_same)
		if (p->next_same == s) {
			__atomic_store_n(&p->next_same, s->next_same, __ATOMIC_RELEASE);
			return;
		}
}

struct sess_key
sess_current_key(const struct sess_sock *s)
{
	uint64_t l = s->local_w, r = s->connected ? s->remote_w : 0;
	return key_proto(s->proto, sess_w_addr(l), sess_w_port(l), sess_w_addr(r), sess_w_port(r));
}

/* Is s in the lookup hash? Datagram sockets once bound; stream sockets
 * only while listening (connections are found in lib/tcpdp's table). */
static bool
keyed(const struct sess_sock *s)
{
	return s->bound && (s->proto == SESS_P_UDP || s->phase == SESS_TCP_LISTEN);
}

void
sess_synchronize(struct sess_table *t, int32_t pos)
{
	if (t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	if (pos >= 0)
		rte_hash_free_key_with_position(t->hash, pos);
}

void
sess_port_link(struct sess_table *t, struct sess_sock *s, uint16_t port)
{
	s->port_next = t->ports[s->proto][port];
	t->ports[s->proto][port] = s;
}

static void
port_unlink(struct sess_table *t, struct sess_sock *s)
{
	uint16_t port = sess_w_port(s->local_w);
	for (struct sess_sock **pp = &t->ports[s->proto][port]; *pp != NULL; pp = &(*pp)->port_next)
		if (*pp == s) {
			*pp = s->port_next;
			break;
		}
	s->port_next = NULL;
}

/*
 * May a socket of `proto` use (addr, port)?
 * UDP (Linux): two sockets may share a port if their local addresses
 * differ and neither is INADDR_ANY, or both set SO_REUSEADDR.
 * TCP (Linux's inet_csk_bind_conflict): the same, except that SO_REUSEADDR
 * never lets a socket share with a listener; `listen` (the check at
 * listen()) also refuses a second listener whatever SO_REUSEADDR says.
 */
bool
sess_port_free_for(const struct sess_table *t, uint8_t proto, uint32_t addr, uint16_t port, bool reuse,
	      const struct sess_sock *self, bool listen)
{
	for (const struct sess_sock *p = t->ports[proto][port]; p != NULL; p = p->port_next) {
		if (p == self)
			continue;
		uint32_t pa = sess_w_addr(p->local_w);
		if (!(pa == 0 || addr == 0 || pa == addr))
			continue;
		bool shared = p->reuseaddr && reuse;
		if (proto == SESS_P_TCP && (p->phase == SESS_TCP_LISTEN || listen))
			shared = shared && !listen && p->phase != SESS_TCP_LISTEN;
		if (!shared)
			return false;
	}
	return true;
}

int
sess_pick_ephemeral(struct sess_table *t, uint8_t proto, uint32_t addr, bool reuse, uint16_t *port)
{
	const unsigned int range = SESS_EPHEMERAL_HI - SESS_EPHEMERAL_LO + 1;
	for (unsigned int i = 0; i < range; i++) {
		uint16_t p = t->next_ephemeral;
		t->next_ephemeral = p >= SESS_EPHEMERAL_HI ? SESS_EPHEMERAL_LO : (uint16_t)(p + 1);
		if (t->ports[proto][p] == NULL && sess_port_free_for(t, proto, addr, p, reuse, NULL, false)) {
			*port = p;
			return 0;
		}
	}
	return EADDRINUSE; /* Linux: EADDRINUSE when the range is exhausted */
}

/*
 * Take a free socket and a free slot of client c for a new socket owned
 * by `owner` and set both up (fresh rings, the slot's generation + 1).
 * Called with alloc_lock held.
 */
struct sess_sock *
sess_sock_take_locked(struct sess_table *t, struct sess_client *c, unsigned int owner, uint8_t proto,
		 int *err)
{
	uint32_t slot;
	for (slot = 0; slot < c->n_socks; slot++)
		if (c->slot_sock[slot] == 0)
			break;
	if (slot == c->n_socks) {
		*err = EMFILE;
		return NULL;
	}
	struct sess_sock *s = NULL;
	for (uint32_t i = 0; i < SESS_MAX_SOCKS; i++) {
		uint32_t id = (t->next_sock + i) % SESS_MAX_SOCKS;
		if (!t->socks[id].used) {
			s = &t->socks[id];
			t->next_sock = (id + 1) % SESS_MAX_SOCKS;
			break;
		}
	}
	struct sess_worker *sw = t->sh->workers[owner]->sess;
	uint32_t own;
	for (own = 0; own < SESS_MAX_SOCKS; own++)
		if (__atomic_load_n(&sw->own[own], __ATOMIC_RELAXED) == NULL)
			break;
	if (s == NULL || own == SESS_MAX_SOCKS) {
		*err = ENFILE;
		return NULL;
	}

	uint32_t gen = s->gen;
	uint32_t id = (uint32_t)(s - t->socks);
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->gen = gen;
	s->slot = slot;
	s->owner = (uint16_t)owner;
	s->client = c;
	s->proto = proto;
	s->rcvbuf = SESS_DEFAULT_BUF;
	s->sndbuf = SESS_DEFAULT_BUF;
	rte_spinlock_init(&s->acc_lock);
	s->shm = cav_shm_sock(c->base, &c->layout, slot);
	/* A fresh socket starts from zeroed indices whatever the slot held;
	 * the generation tells an accept() a reused slot from a stale record
	 * (a value the client may have scribbled: only ever compared). */
	uint32_t sgen = __atomic_load_n(&s->shm->gen, __ATOMIC_RELAXED) + 1;
	memset(s->shm, 0, sizeof(*s->shm));
	s->shm->gen = sgen;
	s->slot_gen = sgen;
	s->pmtudisc = IP_PMTUDISC_WANT; /* Linux: ip_no_pmtu_disc = 0 */
	if (proto == SESS_P_TCP) {
		s->shm->tcp_state = SESS_TCP_ST_CLOSE;
		s->cc = t->cc_default;
	}
	cav_shm_sock_ring(&s->rx, c->base, &c->layout, slot, 0, 0);
	cav_shm_sock_ring(&s->tx, c->base, &c->layout, slot, 1, 0);
	s->used = true;
	c->slot_sock[slot] = id + 1;
	s->own_idx = own;
	/* Release: the owner sees the socket's fields complete. */
	__atomic_store_n(&sw->own[own], s, __ATOMIC_RELEASE);
	if (own >= sw->n_own)
		__atomic_store_n(&sw->n_own, own + 1, __ATOMIC_RELEASE);
	return s;
}

int
sess_sock_create(struct sess_table *t, struct sess_client *c, uint32_t type, uint32_t *slot_out)
{
	if (type != CAV_SOCK_DGRAM && type != CAV_SOCK_STREAM)
		return EINVAL;
	uint8_t proto = type == CAV_SOCK_STREAM ? SESS_P_TCP : SESS_P_UDP;
	unsigned int owner = t->next_owner++ % t->n_workers;
	int err = 0;
	rte_spinlock_lock(&t->alloc_lock);
	struct sess_sock *s = sess_sock_take_locked(t, c, owner, proto, &err);
	rte_spinlock_unlock(&t->alloc_lock);
	if (s == NULL)
		return err;
	*slot_out = s->slot;
	return 0;
}

int
sess_sock_bind(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port)
{
	if (s->bound)
		return EINVAL;
	if (addr != 0 && !route_is_local_addr(t->sh->routes, -1, addr) &&
	    !(s->proto == SESS_P_UDP && route_is_broadcast(t->sh->routes, addr)))
		return EADDRNOTAVAIL;
	if (port != 0 && port < 1024 && s->client->uid != 0)
		return EACCES;
	if (port == 0) {
		int rc = sess_pick_ephemeral(t, s->proto, addr, s->reuseaddr, &port);
		if (rc != 0)
			return rc;
	} else if (!sess_port_free_for(t, s->proto, addr, port, s->reuseaddr, s, false)) {
		return EADDRINUSE;
	}
	__atomic_store_n(&s->local_w, ((uint64_t)addr << 16) | port, __ATOMIC_RELAXED);
	s->bind_addr = addr;
	if (s->proto == SESS_P_UDP) {
		struct sess_key k = key_of(addr, port, 0, 0);
		int rc = sess_key_publish(t, &k, s);
		if (rc != 0) {
			s->local_w = 0;
			return rc;
		}
	}
	sess_port_link(t, s, port);
	s->bound = true;
	return 0;
}

/* The source address for `dst`: the bound one, or ours on the way there. */
int
sess_source_for(struct sess_table *t, const struct sess_sock *s, uint32_t dst, uint32_t *src)
{
	if (s->bind_addr != 0) {
		*src = s->bind_addr;
		return 0;
	}
	const struct nexthop *nh = route_lookup(t->sh->routes, dst);
	if (nh == NULL)
		return ENETUNREACH;
	*src = nh->type == NH_LOCAL ? dst : route_port_addr_for(t->sh->routes, nh->port, dst);
	return *src == 0 ? EADDRNOTAVAIL : 0;
}

int
sess_cmd_post(struct sess_table *t, const struct sess_sock *s, uint16_t op, uint32_t arg,
	      uint32_t val)
{
	struct sess_cmd cmd = {
		.op = op,
		.sock_id = s->id,
		.gen = s->gen,
		.arg = arg,
		.val = val,
	};
	struct sess_worker *sw = t->sh->workers[s->owner]->sess;
	if (rte_ring_sp_enqueue_elem(sw->cmd, &cmd, sizeof(cmd)) != 0) {
		t->cmd_full++;
		return ENOBUFS;
	}
	return 0;
}

bool
sess_cmd_next(struct dp_worker *w, struct sess_cmd *cmd)
{
	return w->sess != NULL && rte_ring_sc_dequeue_elem(w->sess->cmd, cmd, sizeof(*cmd)) == 0;
}

int
sess_sock_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port,
		  bool dissolve)
{
	if (s->proto == SESS_P_TCP)
		return dissolve ? EAFNOSUPPORT : sess_stream_connect(t, s, addr, port);
	int32_t pos = -1;
	if (dissolve) {
		if (!s->connected)
			return 0;
		struct sess_key old = sess_current_key(s);
		key_unpublish(t, &old, s, &pos);
		/* Linux resets an address that connect() chose (not one
		 * bind() set); the port stays. */
		uint16_t lport = sess_w_port(s->local_w);
		s->connected = false;
		__atomic_store_n(&s->remote_w, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->local_w, ((uint64_t)s->bind_addr << 16) | lport,
				 __ATOMIC_RELAXED);
		sess_synchronize(t, pos);
		struct sess_key k = key_of(s->bind_addr, lport, 0, 0);
		return sess_key_publish(t, &k, s);
	}
	if (addr == 0)
		addr = 0x7f000001; /* Linux: connecting to INADDR_ANY means loopback */
	uint32_t src;
	int rc = sess_source_for(t, s, addr, &src);
	if (rc != 0)
		return rc;
	uint16_t lport;
	if (!s->bound) {
		rc = sess_pick_ephemeral(t, SESS_P_UDP, 0, s->reuseaddr, &lport);
		if (rc != 0)
			return rc;
		__atomic_store_n(&s->local_w, (uint64_t)lport, __ATOMIC_RELAXED);
		sess_port_link(t, s, lport);
		s->bound = true;
	} else {
		lport = sess_w_port(s->local_w);
		struct sess_key old = sess_current_key(s);
		key_unpublish(t, &old, s, &pos);
	}
	s->connected = true;
	__atomic_store_n(&s->remote_w, ((uint64_t)addr << 16) | port, __ATOMIC_RELAXED);
	__atomic_store_n(&s->local_w, ((uint64_t)src << 16) | lport, __ATOMIC_RELAXED);
	/* A new connection forgets an old error (Linux clears sk_err). */
	__atomic_store_n(&s->shm->so_error, 0, __ATOMIC_RELAXED);
	sess_synchronize(t, pos);
	struct sess_key k = key_of(src, lport, addr, port);
	return sess_key_publish(t, &k, s);
}

/* Linux's TCP_MAXSEG bounds (TCP_MIN_MSS, MAX_TCP_WINDOW); 0: the default. */
#define TCP_MAX_MSS 32767
/* Linux's keepalive bounds (MAX_TCP_KEEPIDLE, _KEEPINTVL, _KEEPCNT). */
#define MAX_KEEPIDLE 32767
#define MAX_KEEPINTVL 32767
#define MAX_KEEPCNT 127

int
sess_sock_setopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t val,
		 int32_t *result)
{
	bool tell_owner = false;
	switch (opt) {
	case CAV_OPT_RCVBUF:
		/* Linux doubles the value (bookkeeping overhead), with a
		 * floor of SOCK_MIN_RCVBUF; our ceiling is the ring. */
		if (val > CAV_SHM_RX_RING / 2)
			val = CAV_SHM_RX_RING / 2;
		val *= 2;
		if (val < 2304)
			val = 2304;
		__atomic_store_n(&s->rcvbuf, val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		tell_owner = true; /* the window may open */
		break;
	case CAV_OPT_SNDBUF:
		if (val > CAV_SHM_TX_RING / 2)
			val = CAV_SHM_TX_RING / 2;
		val *= 2;
		if (val < 4608)
			val = 4608;
		__atomic_store_n(&s->sndbuf, val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		break;
	case CAV_OPT_REUSEADDR:
		s->reuseaddr = val != 0;
		*result = s->reuseaddr;
		break;
	case CAV_OPT_NODELAY:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		__atomic_store_n(&s->nodelay, val != 0, __ATOMIC_RELAXED);
		*result = val != 0;
		tell_owner = true; /* Linux: setting it pushes what Nagle held */
		break;
	case CAV_OPT_LINGER:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		s->linger = val;
		*result = (int32_t)val;
		break;
	case CAV_OPT_MAXSEG:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		if (val != 0 && (val < TCP_MIN_MSS || val > TCP_MAX_MSS))
			return EINVAL;
		__atomic_store_n(&s->maxseg, (uint16_t)val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		break;
	case CAV_OPT_KEEPALIVE:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		__atomic_store_n(&s->keepalive, val != 0, __ATOMIC_RELAXED);
		*result = val != 0;
		tell_owner = true; /* arms or stops the keepalive timer */
		break;
	/* The keepalive timers and TCP_USER_TIMEOUT: Linux's ranges, checked
	 * here whatever the state (the connection's setters check the same),
	 * so an error is the caller's before or after connect(). */
	case CAV_OPT_KEEPIDLE:
	case CAV_OPT_KEEPINTVL:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		if (val < 1 || val > (opt == CAV_OPT_KEEPIDLE ? MAX_KEEPIDLE : MAX_KEEPINTVL))
			return EINVAL;
		__atomic_store_n(opt == CAV_OPT_KEEPIDLE ? &s->keepidle : &s->keepintvl,
				 (uint16_t)val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		tell_owner = true; /* Linux re-arms the timer for a new idle time */
		break;
	case CAV_OPT_KEEPCNT:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		if (val < 1 || val > MAX_KEEPCNT)
			return EINVAL;
		__atomic_store_n(&s->keepcnt, (uint8_t)val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		tell_owner = true;
		break;
	case CAV_OPT_USER_TIMEOUT:
		if (s->proto != SESS_P_TCP)
			return ENOPROTOOPT;
		if (val > INT32_MAX) /* a negative int */
			return EINVAL;
		__atomic_store_n(&s->user_timeout, val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		tell_owner = true;
		break;
	case CAV_OPT_MTU_DISCOVER:
		/* Linux do_ip_setsockopt: IP_PMTUDISC_DONT..IP_PMTUDISC_OMIT. */
		if (val > IP_PMTUDISC_OMIT)
			return EINVAL;
		__atomic_store_n(&s->pmtudisc, (uint8_t)val, __ATOMIC_RELAXED);
		*result = (int32_t)val;
		tell_owner = true; /* DF on the connection's next segment */
		break;
	default:
		return ENOPROTOOPT;
	}
	if (tell_owner && s->proto == SESS_P_TCP && s->phase == SESS_TCP_CONN)
		return sess_cmd_post(t, s, SESS_CMD_SETOPT, opt, val);
	return 0;
}

int
sess_sock_getopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t *val)
{
	(void)t;
	switch (opt) {
	case CAV_OPT_RCVBUF:
		*val = __atomic_load_n(&s->rcvbuf, __ATOMIC_RELAXED);
		return 0;
	case CAV_OPT_SNDBUF:
		*val = __atomic_load_n(&s->sndbuf, __ATOMIC_RELAXED);
		return 0;
	case CAV_OPT_REUSEADDR:
		*val = s->reuseaddr;
		return 0;
	case CAV_OPT_NODELAY:
		*val = s->nodelay;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_LINGER:
		*val = s->linger;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_MAXSEG:
		/* Linux: the current MSS, or 536 (TCP_MSS_DEFAULT) before a
		 * connection has one. */
		*val = s->maxseg != 0 ? s->maxseg : 536;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_KEEPALIVE:
		*val = s->keepalive;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_KEEPIDLE:
		*val = s->keepidle;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_KEEPINTVL:
		*val = s->keepintvl;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_KEEPCNT:
		*val = s->keepcnt;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_USER_TIMEOUT:
		*val = s->user_timeout;
		return s->proto == SESS_P_TCP ? 0 : ENOPROTOOPT;
	case CAV_OPT_MTU_DISCOVER:
		*val = s->pmtudisc;
		return 0;
	default:
		return ENOPROTOOPT;
	}
}

int
sess_sock_set_congestion(struct sess_table *t, struct sess_sock *s, const char *name)
{
	if (s->proto != SESS_P_TCP)
		return ENOPROTOOPT;
	const struct tcp_cc_ops *cc = tcp_cc_find(name);
	if (cc == NULL)
		return ENOENT;
	__atomic_store_n(&s->cc, cc, __ATOMIC_RELAXED);
	/* A connection switches now (Linux tcp_reinit_congestion_control);
	 * one still to be made takes it at connect()/accept. */
	if (s->phase == SESS_TCP_CONN)
		return sess_cmd_post(t, s, SESS_CMD_SETOPT, CAV_OPT_CONGESTION, 0);
	return 0;
}

const char *
sess_sock_congestion(const struct sess_sock *s)
{
	if (s->proto != SESS_P_TCP)
		return NULL;
	const struct tcp_cc_ops *cc = __atomic_load_n(&s->cc, __ATOMIC_RELAXED);
	return cc != NULL ? cc->name : tcp_cc_cubic.name;
}

/* Unpublish (the caller synchronizes once for a batch, then calls
 * sess_sock_free). */
void
sess_sock_unpublish(struct sess_table *t, struct sess_sock *s)
{
	s->key_pos = -1;
	if (s->bound) {
		if (keyed(s)) {
			struct sess_key k = sess_current_key(s);
			key_unpublish(t, &k, s, &s->key_pos);
		}
		port_unlink(t, s);
	}
	struct sess_worker *sw = t->sh->workers[s->owner]->sess;
	__atomic_store_n(&sw->own[s->own_idx], NULL, __ATOMIC_RELEASE);
	/* Release: the handoff receiver that loads the new generation
	 * (acquire) drops datagrams for the old socket. */
	__atomic_store_n(&s->gen, s->gen + 1, __ATOMIC_RELEASE);
}

void
sess_sock_free(struct sess_table *t, struct sess_sock *s)
{
	if (s->key_pos >= 0)
		rte_hash_free_key_with_position(t->hash, s->key_pos);
	rte_spinlock_lock(&t->alloc_lock);
	s->client->slot_sock[s->slot] = 0;
	s->used = false;
	s->client = NULL;
	rte_spinlock_unlock(&t->alloc_lock);
}

int
sess_sock_close(struct sess_table *t, struct sess_sock *s, uint32_t flags)
{
	if (s->proto == SESS_P_TCP) {
		if (s->phase == SESS_TCP_CLOSING)
			return EBADF;
		if (s->phase == SESS_TCP_LISTEN)
			sess_listener_stop(t, s);
		if (s->phase == SESS_TCP_CONN && !__atomic_load_n(&s->released, __ATOMIC_ACQUIRE)) {
			/* The owner closes the connection (queued data is
			 * still sent, then FIN, as Linux) and releases the
			 * slot when the connection no longer needs it. */
			s->phase = SESS_TCP_CLOSING;
			t->closing_hint++;
			s->close_flags = flags;
			s->close_posted = sess_cmd_post(t, s, SESS_CMD_CLOSE, flags, 0) == 0;
			return 0;
		}
	}
	sess_sock_unpublish(t, s);
	sess_synchronize(t, -1);
	sess_sock_free(t, s);
	return 0;
}
