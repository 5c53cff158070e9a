/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table (tcpdp.h): a fixed array in per-worker slices and a
 * shared rte_hash of 4-tuples. The concurrency is lib/ct's: only the owner
 * touches a connection; hash writes hold t->wlock; lookups take no lock,
 * and a deleted key's slot is reused only after every worker passed a
 * quiescent state (rte_hash's RCU integration), so a lookup in flight never
 * reads a key that turned into another. A connection index found by a
 * lookup may meanwhile have been freed and reused: users check the tuple
 * of what they found (tcpdp_lookup does), and only the owner acts on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "tcpdp.h"

/* Deleted keys waiting for their grace period: room for a few bursts of
 * closes per worker beyond the table itself. */
#define TCPDP_KEY_SLACK 4096

_Static_assert(sizeof(struct tcp_tuple) == 12, "tcp_tuple is the hash key, no padding");

/* rte_hash_crc reads the key 8 bytes at a time: give it an aligned copy
 * (the pcb's tuple sits at offset 4). */
struct key8 {
	struct tcp_tuple t;
} __attribute__((aligned(8)));

struct tcpdp_table *
tcpdp_table_create(uint32_t max, unsigned int n_workers, struct rte_rcu_qsbr *rcu, int socket,
		   char *err, size_t errlen)
{
	if (n_workers == 0 || max < n_workers || max > (1u << 24)) {
		snprintf(err, errlen, "tcp: bad table size (%u connections, %u workers)", max,
			 n_workers);
		return NULL;
	}
	struct tcpdp_table *t =
		rte_zmalloc_socket("tcpdp_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	t->n_workers = n_workers;
	t->per_worker = max / n_workers;
	t->max = t->per_worker * n_workers;
	rte_spinlock_init(&t->wlock);
	t->conns = rte_zmalloc_socket("tcpdp_conns", (size_t)t->max * sizeof(*t->conns),
				      RTE_CACHE_LINE_SIZE, socket);
	if (t->conns == NULL)
		goto nomem;
	for (uint32_t i = 0; i < t->max; i++) {
		t->conns[i].idx = i;
		t->conns[i].owner = (uint16_t)(i / t->per_worker);
	}
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "tcpdp%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = t->max + n_workers * TCPDP_KEY_SLACK,
		.key_len = sizeof(struct tcp_tuple),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/* Extendable buckets: every key fits (plain cuckoo can fail
		 * before it is full). */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      (rcu != NULL ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "tcp: rte_hash_create: %s", rte_strerror(rte_errno));
		tcpdp_table_free(t);
		return NULL;
	}
	if (rcu != NULL) {
		struct rte_hash_rcu_config rc = {.v = rcu, .mode = RTE_HASH_QSBR_MODE_DQ};
		if (rte_hash_rcu_qsbr_add(t->hash, &rc) != 0) {
			snprintf(err, errlen, "tcp: rte_hash_rcu_qsbr_add: %s",
				 rte_strerror(rte_errno));
			tcpdp_table_free(t);
			return NULL;
		}
	}
	return t;
nomem:
	snprintf(err, errlen, "tcp: cannot allocate a table of %u connections", max);
	tcpdp_table_free(t);
	return NULL;
}

void
tcpdp_table_free(struct tcpdp_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->conns);
	rte_free(t);
}

void
tcpdp_slice_init(struct tcpdp_table *t, unsigned int worker, struct tcpdp_slice *sl)
{
	sl->base = worker * t->per_worker;
	sl->n = t->per_worker;
	sl->in_use = 0;
	/* Free list in index order: the first connections are the lowest
	 * indices (easier to read in `cavctl ss`). */
	for (uint32_t k = 0; k < sl->n; k++)
		t->conns[sl->base + k].next_free = k + 1 < sl->n ? sl->base + k + 1 : TCPDP_IDX_NONE;
	sl->free_head = sl->n > 0 ? sl->base : TCPDP_IDX_NONE;
}

struct tcpdp_conn *
tcpdp_conn_alloc(struct tcpdp_table *t, struct tcpdp_slice *sl)
{
	uint32_t i = sl->free_head;
	if (i == TCPDP_IDX_NONE)
		return NULL;
	struct tcpdp_conn *c = &t->conns[i];
	sl->free_head = c->next_free;
	uint16_t owner = c->owner;
	memset(c, 0, sizeof(*c));
	c->idx = i;
	c->owner = owner;
	c->sock_id = TCPDP_SOCK_NONE;
	c->lst_id = TCPDP_SOCK_NONE;
	c->next_free = TCPDP_IDX_NONE;
	/* Release: `cavctl ss` (acquire) sees the fields set before. */
	__atomic_store_n(&c->used, true, __ATOMIC_RELEASE);
	sl->in_use++;
	return c;
}

void
tcpdp_conn_free(struct tcpdp_table *t, struct tcpdp_slice *sl, struct tcpdp_conn *c)
{
	tcpdp_conn_unhash(t, c);
	__atomic_store_n(&c->used, false, __ATOMIC_RELEASE);
	c->next_free = sl->free_head;
	sl->free_head = c->idx;
	sl->in_use--;
}

int
tcpdp_conn_hash(struct tcpdp_table *t, struct tcpdp_conn *c)
{
	if (c->hashed)
		return 0;
	const struct key8 k = {c->pcb.tuple};
	int rc;
	rte_spinlock_lock(&t->wlock);
	if (rte_hash_lookup(t->hash, &k) >= 0) {
		rc = -EEXIST;
	} else {
		rc = rte_hash_add_key_data(t->hash, &k, (void *)(uintptr_t)c->idx);
		if (rc != 0) {
			t->insert_fail++;
			rc = -ENOSPC;
		}
	}
	rte_spinlock_unlock(&t->wlock);
	if (rc == 0)
		c->hashed = true;
	return rc;
}

void
tcpdp_conn_unhash(struct tcpdp_table *t, struct tcpdp_conn *c)
{
	if (!c->hashed)
		return;
	const struct key8 k = {c->pcb.tuple};
	rte_spinlock_lock(&t->wlock);
	/* With the RCU integration the key's slot is freed after a grace
	 * period; without it (tests), at once. */
	rte_hash_del_key(t->hash, &k);
	rte_spinlock_unlock(&t->wlock);
	c->hashed = false;
}

struct tcpdp_conn *
tcpdp_lookup(const struct tcpdp_table *t, const struct tcp_tuple *tu)
{
	void *d;
	const struct key8 k = {*tu};
	if (rte_hash_lookup_data(t->hash, &k, &d) < 0)
		return NULL;
	uint32_t i = (uint32_t)(uintptr_t)d;
	if (i >= t->max)
		return NULL;
	return &t->conns[i];
}
