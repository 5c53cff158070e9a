/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sockets: the control operations (main lcore, the single writer) and the
 * lock-free lookup (workers).
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
#include <string.h>
#include <sys/socket.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "route.h"
#include "sess_priv.h"

struct sess_key {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

static inline struct sess_key
key_of(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct sess_key k = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};
	return k;
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

/* ---- main lcore ---- */

static int
key_publish(struct sess_table *t, const struct sess_key *k, struct sess_sock *s)
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

static struct sess_key
current_key(const struct sess_sock *s)
{
	uint64_t l = s->local_w, r = s->connected ? s->remote_w : 0;
	return key_of(sess_w_addr(l), sess_w_port(l), sess_w_addr(r), sess_w_port(r));
}

static void
synchronize(struct sess_table *t, int32_t pos)
{
	if (t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	if (pos >= 0)
		rte_hash_free_key_with_position(t->hash, pos);
}

static void
port_link(struct sess_table *t, struct sess_sock *s, uint16_t port)
{
	s->port_next = t->ports[port];
	t->ports[port] = s;
}

static void
port_unlink(struct sess_table *t, struct sess_sock *s)
{
	uint16_t port = sess_w_port(s->local_w);
	for (struct sess_sock **pp = &t->ports[port]; *pp != NULL; pp = &(*pp)->port_next)
		if (*pp == s) {
			*pp = s->port_next;
			break;
		}
	s->port_next = NULL;
}

/* Linux's UDP rule: two sockets may share a port if their local addresses
 * differ and neither is INADDR_ANY, or both set SO_REUSEADDR. */
static bool
port_free_for(const struct sess_table *t, uint32_t addr, uint16_t port, bool reuse,
	      const struct sess_sock *self)
{
	for (const struct sess_sock *p = t->ports[port]; p != NULL; p = p->port_next) {
		if (p == self)
			continue;
		uint32_t pa = sess_w_addr(p->local_w);
		if ((pa == 0 || addr == 0 || pa == addr) && !(p->reuseaddr && reuse))
			return false;
	}
	return true;
}

static int
pick_ephemeral(struct sess_table *t, uint32_t addr, bool reuse, uint16_t *port)
{
	const unsigned int range = SESS_EPHEMERAL_HI - SESS_EPHEMERAL_LO + 1;
	for (unsigned int i = 0; i < range; i++) {
		uint16_t p = t->next_ephemeral;
		t->next_ephemeral = p >= SESS_EPHEMERAL_HI ? SESS_EPHEMERAL_LO : (uint16_t)(p + 1);
		if (t->ports[p] == NULL && port_free_for(t, addr, p, reuse, NULL)) {
			*port = p;
			return 0;
		}
	}
	return EADDRINUSE; /* Linux: EADDRINUSE when the range is exhausted */
}

int
sess_sock_create(struct sess_table *t, struct sess_client *c, uint32_t *slot_out)
{
	uint32_t slot;
	for (slot = 0; slot < c->n_socks; slot++)
		if (c->slot_sock[slot] == 0)
			break;
	if (slot == c->n_socks)
		return EMFILE;
	struct sess_sock *s = NULL;
	for (uint32_t i = 0; i < SESS_MAX_SOCKS; i++) {
		uint32_t id = (t->next_sock + i) % SESS_MAX_SOCKS;
		if (!t->socks[id].used) {
			s = &t->socks[id];
			t->next_sock = (id + 1) % SESS_MAX_SOCKS;
			break;
		}
	}
	if (s == NULL)
		return ENFILE;
	uint16_t owner = (uint16_t)(t->next_owner++ % t->n_workers);
	struct sess_worker *sw = t->sh->workers[owner]->sess;
	uint32_t own;
	for (own = 0; own < SESS_MAX_SOCKS; own++)
		if (__atomic_load_n(&sw->own[own], __ATOMIC_RELAXED) == NULL)
			break;
	if (own == SESS_MAX_SOCKS)
		return ENFILE;

	uint32_t gen = s->gen;
	uint32_t id = (uint32_t)(s - t->socks);
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->gen = gen;
	s->slot = slot;
	s->owner = owner;
	s->client = c;
	s->rcvbuf = SESS_DEFAULT_BUF;
	s->sndbuf = SESS_DEFAULT_BUF;
	s->shm = cav_shm_sock(c->base, &c->layout, slot);
	/* A fresh socket starts from zeroed indices whatever the slot held. */
	memset(s->shm, 0, sizeof(*s->shm));
	cav_shm_sock_ring(&s->rx, c->base, &c->layout, slot, 0, 0);
	cav_shm_sock_ring(&s->tx, c->base, &c->layout, slot, 1, 0);
	s->used = true;
	c->slot_sock[slot] = id + 1;
	s->own_idx = own;
	/* Release: the owner sees the socket's fields complete. */
	__atomic_store_n(&sw->own[own], s, __ATOMIC_RELEASE);
	if (own >= sw->n_own)
		__atomic_store_n(&sw->n_own, own + 1, __ATOMIC_RELEASE);
	*slot_out = slot;
	return 0;
}

int
sess_sock_bind(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port)
{
	if (s->bound)
		return EINVAL;
	if (addr != 0 && !route_is_local_addr(t->sh->routes, -1, addr) &&
	    !route_is_broadcast(t->sh->routes, addr))
		return EADDRNOTAVAIL;
	if (port != 0 && port < 1024 && s->client->uid != 0)
		return EACCES;
	if (port == 0) {
		int rc = pick_ephemeral(t, addr, s->reuseaddr, &port);
		if (rc != 0)
			return rc;
	} else if (!port_free_for(t, addr, port, s->reuseaddr, s)) {
		return EADDRINUSE;
	}
	__atomic_store_n(&s->local_w, ((uint64_t)addr << 16) | port, __ATOMIC_RELAXED);
	s->bind_addr = addr;
	struct sess_key k = key_of(addr, port, 0, 0);
	int rc = key_publish(t, &k, s);
	if (rc != 0) {
		s->local_w = 0;
		return rc;
	}
	port_link(t, s, port);
	s->bound = true;
	return 0;
}

/* The source address for `dst`: the bound one, or ours on the way there. */
static int
source_for(struct sess_table *t, const struct sess_sock *s, uint32_t dst, uint32_t *src)
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
sess_sock_connect(struct sess_table *t, struct sess_sock *s, uint32_t addr, uint16_t port,
		  bool dissolve)
{
	int32_t pos = -1;
	if (dissolve) {
		if (!s->connected)
			return 0;
		struct sess_key old = current_key(s);
		key_unpublish(t, &old, s, &pos);
		/* Linux resets an address that connect() chose (not one
		 * bind() set); the port stays. */
		uint16_t lport = sess_w_port(s->local_w);
		s->connected = false;
		__atomic_store_n(&s->remote_w, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->local_w, ((uint64_t)s->bind_addr << 16) | lport,
				 __ATOMIC_RELAXED);
		synchronize(t, pos);
		struct sess_key k = key_of(s->bind_addr, lport, 0, 0);
		return key_publish(t, &k, s);
	}
	if (addr == 0)
		addr = 0x7f000001; /* Linux: connecting to INADDR_ANY means loopback */
	uint32_t src;
	int rc = source_for(t, s, addr, &src);
	if (rc != 0)
		return rc;
	uint16_t lport;
	if (!s->bound) {
		rc = pick_ephemeral(t, 0, s->reuseaddr, &lport);
		if (rc != 0)
			return rc;
		__atomic_store_n(&s->local_w, (uint64_t)lport, __ATOMIC_RELAXED);
		port_link(t, s, lport);
		s->bound = true;
	} else {
		lport = sess_w_port(s->local_w);
		struct sess_key old = current_key(s);
		key_unpublish(t, &old, s, &pos);
	}
	s->connected = true;
	__atomic_store_n(&s->remote_w, ((uint64_t)addr << 16) | port, __ATOMIC_RELAXED);
	__atomic_store_n(&s->local_w, ((uint64_t)src << 16) | lport, __ATOMIC_RELAXED);
	/* A new connection forgets an old error (Linux clears sk_err). */
	__atomic_store_n(&s->shm->so_error, 0, __ATOMIC_RELAXED);
	synchronize(t, pos);
	struct sess_key k = key_of(src, lport, addr, port);
	return key_publish(t, &k, s);
}

int
sess_sock_setopt(struct sess_table *t, struct sess_sock *s, uint32_t opt, uint32_t val,
		 int32_t *result)
{
	(void)t;
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
		return 0;
	case CAV_OPT_SNDBUF:
		if (val > CAV_SHM_TX_RING / 2)
			val = CAV_SHM_TX_RING / 2;
		val *= 2;
		if (val < 4608)
			val = 4608;
		s->sndbuf = val;
		*result = (int32_t)val;
		return 0;
	case CAV_OPT_REUSEADDR:
		s->reuseaddr = val != 0;
		*result = s->reuseaddr;
		return 0;
	default:
		return ENOPROTOOPT;
	}
}

/* Unpublish (the caller synchronizes once for a batch, then calls
 * sess_sock_free). */
void
sess_sock_unpublish(struct sess_table *t, struct sess_sock *s)
{
	s->key_pos = -1;
	if (s->bound) {
		struct sess_key k = current_key(s);
		key_unpublish(t, &k, s, &s->key_pos);
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
	s->client->slot_sock[s->slot] = 0;
	s->used = false;
	s->client = NULL;
}

int
sess_sock_close(struct sess_table *t, struct sess_sock *s)
{
	sess_sock_unpublish(t, s);
	synchronize(t, -1);
	sess_sock_free(t, s);
	return 0;
}
