/* SPDX-License-Identifier: BSD-3-Clause */
#include "neigh.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

struct neigh_key {
	uint32_t ip;
	uint16_t port;
	uint16_t zero;
};

#define PUB_STATE_SHIFT 48
#define PUB_MAC_MASK ((UINT64_C(1) << 48) - 1)

static inline struct neigh_key
key_of(uint16_t port, uint32_t ip)
{
	struct neigh_key k = {.ip = ip, .port = port, .zero = 0};
	return k;
}

bool
neigh_lookup(struct neigh_table *t, uint16_t port, uint32_t ip, struct rte_ether_addr *mac)
{
	struct neigh_key k = key_of(port, ip);
	int32_t pos = rte_hash_lookup(t->hash, &k);
	if (pos < 0)
		return false;
	struct neigh_entry *e = &t->entries[pos];
	/* Pairs with the release store in neigh_publish(): MAC and state
	 * come from the same update. */
	uint64_t pub = __atomic_load_n(&e->pub, __ATOMIC_ACQUIRE);
	uint8_t state = (uint8_t)(pub >> PUB_STATE_SHIFT);
	switch (state) {
	case NEIGH_STALE:
		if (!__atomic_load_n(&e->used, __ATOMIC_RELAXED))
			__atomic_store_n(&e->used, 1, __ATOMIC_RELAXED);
		__attribute__((fallthrough));
	case NEIGH_REACHABLE:
	case NEIGH_PROBE:
	case NEIGH_PERMANENT:
		for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
			mac->addr_bytes[i] = (uint8_t)(pub >> (8 * i));
		return true;
	default:
		return false;
	}
}

struct neigh_table *
neigh_table_create(struct rte_rcu_qsbr *rcu, int socket, char *err, size_t errlen)
{
	struct neigh_table *t =
		rte_zmalloc_socket("neigh", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		snprintf(err, errlen, "cannot allocate the neighbour table");
		return NULL;
	}
	struct rte_hash_parameters hp = {
		.name = "cav_neigh",
		.entries = NEIGH_MAX,
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_jhash,
		.socket_id = socket,
		/* Lock-free readers with one writer; implies that a deleted
		 * key's slot is kept until rte_hash_free_key_with_position. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "rte_hash_create(neigh): %s", rte_strerror(rte_errno));
		rte_free(t);
		return NULL;
	}
	t->rcu = rcu;
	neigh_params_default(&t->params);
	return t;
}

void
neigh_table_free(struct neigh_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < NEIGH_MAX; i++)
		for (unsigned int h = 0; h < t->entries[i].n_hold; h++)
			rte_pktmbuf_free(t->entries[i].hold[h]);
	rte_hash_free(t->hash);
	rte_free(t);
}

struct neigh_entry *
neigh_find(struct neigh_table *t, uint16_t port, uint32_t ip)
{
	struct neigh_key k = key_of(port, ip);
	int32_t pos = rte_hash_lookup(t->hash, &k);
	return pos < 0 ? NULL : &t->entries[pos];
}

struct neigh_entry *
neigh_get(struct neigh_table *t, uint16_t port, uint32_t ip)
{
	struct neigh_entry *e = neigh_find(t, port, ip);
	if (e != NULL)
		return e;
	struct neigh_key k = key_of(port, ip);
	int32_t pos = rte_hash_add_key(t->hash, &k);
	if (pos < 0)
		return NULL;
	e = &t->entries[pos];
	memset(e, 0, sizeof(*e));
	e->port = port;
	e->ip = ip;
	return e;
}

void
neigh_publish(struct neigh_entry *e)
{
	uint64_t pub = (uint64_t)e->sm.state << PUB_STATE_SHIFT;
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		pub |= (uint64_t)e->mac.addr_bytes[i] << (8 * i);
	if (e->sm.state != NEIGH_STALE)
		__atomic_store_n(&e->used, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->pub, pub & (PUB_MAC_MASK | (UINT64_C(0xff) << PUB_STATE_SHIFT)),
			 __ATOMIC_RELEASE);
}

void
neigh_delete(struct neigh_table *t, struct neigh_entry *e)
{
	struct neigh_key k = key_of(e->port, e->ip);
	/* Readers that found the slot see state NONE from now on. */
	__atomic_store_n(&e->pub, 0, __ATOMIC_RELEASE);
	int32_t pos = rte_hash_del_key(t->hash, &k);
	if (pos < 0)
		return;
	if (t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	rte_hash_free_key_with_position(t->hash, pos);
}

void
neigh_foreach(struct neigh_table *t, int (*fn)(struct neigh_entry *e, void *arg), void *arg)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;
	while ((pos = rte_hash_iterate(t->hash, &key, &data, &iter)) >= 0)
		if (fn(&t->entries[pos], arg) != 0)
			return;
}
