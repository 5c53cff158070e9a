/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conntrack table: the shared hash, the entries in per-worker slices,
 * allocation, confirmation, killing, expiry. Concurrency is ct.h's: the
 * owner alone touches an entry; hash writes hold t->wlock; lookups take no
 * lock.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "counter.h"
#include "ct.h"

#define CT_HANDOFF_RING 4096
#define CT_KEY_SLACK 8192

static inline void *
key_data(uint32_t idx, int dir)
{
	return (void *)(uintptr_t)(((uint64_t)idx << 1) | (unsigned int)dir);
}

struct ct_table *
ct_table_create(uint32_t max, unsigned int n_workers, uint64_t hz, struct rte_rcu_qsbr *rcu,
		int socket, char *err, size_t errlen)
{
	if (n_workers == 0 || n_workers > CT_MAX_WORKERS || max < n_workers) {
		snprintf(err, errlen, "conntrack: bad size (%u entries, %u workers)", max,
			 n_workers);
		return NULL;
	}
	struct ct_table *t = rte_zmalloc_socket("ct_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	t->n_workers = n_workers;
	t->per_worker = max / n_workers;
	t->max = t->per_worker * n_workers;
	t->hz = hz;
	t->tcp_loose = true;
	t->to = ct_default_timeouts;
	rte_spinlock_init(&t->wlock);
	t->e = rte_zmalloc_socket("ct_entries", (size_t)t->max * sizeof(*t->e), RTE_CACHE_LINE_SIZE,
				  socket);
	if (t->e == NULL)
		goto nomem;

	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "ct%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	struct rte_hash_parameters hp = {
		.name = name,
		/* Two keys per entry, and the keys deleted but not yet
		 * reclaimed: a key slot is reused only after a grace period,
		 * so a worker that evicts and creates entries within one
		 * graph walk holds deleted slots until its next quiescent
		 * state (CT_KEY_SLACK per worker covers the burst sizes we
		 * see). The extendable buckets guarantee that every key fits
		 * (plain cuckoo can fail before it is full). */
		.entries = t->max * 2 + n_workers * CT_KEY_SLACK,
		.key_len = sizeof(struct ct_tuple),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      (rcu != NULL ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "conntrack: rte_hash_create: %s", rte_strerror(rte_errno));
		ct_table_free(t);
		return NULL;
	}
	if (rcu != NULL) {
		/* A deleted key's slot is reused only after every worker has
		 * passed a quiescent state: a lookup in flight never reads a
		 * key that turned into another. */
		struct rte_hash_rcu_config rc = {.v = rcu, .mode = RTE_HASH_QSBR_MODE_DQ};
		if (rte_hash_rcu_qsbr_add(t->hash, &rc) != 0) {
			snprintf(err, errlen, "conntrack: rte_hash_rcu_qsbr_add: %s",
				 rte_strerror(rte_errno));
			ct_table_free(t);
			return NULL;
		}
	}
	for (unsigned int i = 0; i < n_workers; i++) {
		struct ct_worker *cw =
			rte_zmalloc_socket("ct_worker", sizeof(*cw), RTE_CACHE_LINE_SIZE, socket);
		if (cw == NULL)
			goto nomem;
		t->w[i] = cw;
		cw->t = t;
		cw->id = i;
		cw->base = i * t->per_worker;
		cw->n = t->per_worker;
		cw->unrep_head = cw->unrep_tail = CT_IDX_NONE;
		for (uint32_t s = 0; s < RTE_DIM(cw->cache); s++)
			cw->cache[s].idx = CT_IDX_NONE;
		/* Free list in index order. */
		for (uint32_t k = 0; k < cw->n; k++) {
			struct ct_entry *e = &t->e[cw->base + k];
			e->owner = (uint8_t)i;
			e->next = k + 1 < cw->n ? cw->base + k + 1 : CT_IDX_NONE;
		}
		cw->free_head = cw->base;
		snprintf(name, sizeof(name), "ct_ho%u_%u", seq, i);
		cw->handoff = rte_ring_create(name, CT_HANDOFF_RING, socket, RING_F_SC_DEQ);
		if (cw->handoff == NULL)
			goto nomem;
	}
	return t;
nomem:
	snprintf(err, errlen, "conntrack: cannot allocate a table of %u entries", max);
	ct_table_free(t);
	return NULL;
}

void
ct_table_free(struct ct_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < CT_MAX_WORKERS; i++) {
		if (t->w[i] == NULL)
			continue;
		/* Packets still on the way to an owner (the workers stopped). */
		if (t->w[i]->handoff != NULL) {
			void *m;
			while (rte_ring_dequeue(t->w[i]->handoff, &m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(t->w[i]->handoff);
		}
		rte_free(t->w[i]);
	}
	rte_hash_free(t->hash);
	rte_free(t->e);
	rte_free(t);
}

struct ct_worker *
ct_worker_get(struct ct_table *t, unsigned int id)
{
	return id < t->n_workers ? t->w[id] : NULL;
}

int
ct_lookup(const struct ct_table *t, const struct ct_tuple *k, uint32_t *idx, int *dir)
{
	void *data;
	if (rte_hash_lookup_data(t->hash, k, &data) < 0)
		return -1;
	uintptr_t v = (uintptr_t)data;
	*idx = (uint32_t)(v >> 1);
	*dir = (int)(v & 1);
	return 0;
}

void
ct_lookup_bulk(const struct ct_table *t, const struct ct_tuple **k, uint32_t n, int *found,
	       uint32_t *idx, int *dir)
{
	for (uint32_t base = 0; base < n; base += RTE_HASH_LOOKUP_BULK_MAX) {
		uint32_t m = RTE_MIN(n - base, (uint32_t)RTE_HASH_LOOKUP_BULK_MAX);
		uint64_t hits = 0;
		void *data[RTE_HASH_LOOKUP_BULK_MAX];
		rte_hash_lookup_bulk_data(t->hash, (const void **)&k[base], m, &hits, data);
		for (uint32_t i = 0; i < m; i++) {
			if (!(hits & (UINT64_C(1) << i))) {
				found[base + i] = -1;
				continue;
			}
			uintptr_t v = (uintptr_t)data[i];
			found[base + i] = 0;
			idx[base + i] = (uint32_t)(v >> 1);
			dir[base + i] = (int)(v & 1);
		}
	}
}

/* The cache bucket of a tuple (two slots: a pair of flows sharing one
 * does not thrash): the 16 bytes (pad zero, as for the hash) mixed by two
 * multiplications, the top bits. */
static inline uint32_t
cache_bucket(const struct ct_tuple *k)
{
	uint64_t a, b;
	memcpy(&a, k, sizeof(a));
	memcpy(&b, (const uint8_t *)k + sizeof(a), sizeof(b));
	uint64_t h = (a ^ (b * UINT64_C(0x9e3779b97f4a7c15))) * UINT64_C(0xff51afd7ed558ccd);
	return (uint32_t)(h >> (64 - CT_CACHE_BITS + 1)) * 2;
}

static inline bool
cache_hit(const struct ct_table *t, const struct ct_cache_slot *c, const struct ct_tuple *k)
{
	if (c->idx == CT_IDX_NONE)
		return false;
	/* Ours (only those are cached): no other writer. */
	const struct ct_entry *e = &t->e[c->idx];
	return e->gen == c->gen && (e->status & CT_S_IN_USE) && ct_tuple_eq(&e->t[c->dir], k);
}

void
ct_lookup_burst(struct ct_worker *cw, const struct ct_tuple **k, uint32_t n, int *found,
		uint32_t *idx, int *dir)
{
	const struct ct_table *t = cw->t;
	const struct ct_tuple *miss_k[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t miss_at[RTE_HASH_LOOKUP_BULK_MAX], bucket[RTE_HASH_LOOKUP_BULK_MAX];
	int mfound[RTE_HASH_LOOKUP_BULK_MAX], mdir[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t midx[RTE_HASH_LOOKUP_BULK_MAX];

	for (uint32_t base = 0; base < n; base += RTE_HASH_LOOKUP_BULK_MAX) {
		uint32_t m = RTE_MIN(n - base, (uint32_t)RTE_HASH_LOOKUP_BULK_MAX), nm = 0;
		for (uint32_t i = base; i < base + m; i++) {
			uint32_t b = cache_bucket(k[i]);
			const struct ct_cache_slot *c = &cw->cache[b];
			if (!cache_hit(t, c, k[i]) && !cache_hit(t, ++c, k[i]))
				c = NULL;
			if (c != NULL) {
				found[i] = 0;
				idx[i] = c->idx;
				dir[i] = c->dir;
				continue;
			}
			miss_k[nm] = k[i];
			miss_at[nm] = i;
			bucket[nm++] = b;
		}
		if (nm == 0)
			continue;
		ct_lookup_bulk(t, miss_k, nm, mfound, midx, mdir);
		for (uint32_t j = 0; j < nm; j++) {
			uint32_t i = miss_at[j];
			found[i] = mfound[j];
			if (mfound[j] != 0)
				continue;
			idx[i] = midx[j];
			dir[i] = mdir[j];
			if (ct_owner_of(t, midx[j]) != cw->id)
				continue;
			/* The new answer first, the one it displaces second. */
			struct ct_cache_slot *c = &cw->cache[bucket[j]];
			c[1] = c[0];
			c[0] = (struct ct_cache_slot){
				.idx = midx[j], .gen = t->e[midx[j]].gen, .dir = (uint8_t)mdir[j]};
		}
	}
}

/* ---- the unreplied list (oldest first): early-drop candidates ---- */

static void
unrep_push(struct ct_worker *cw, struct ct_entry *e, uint32_t idx)
{
	e->prev = cw->unrep_tail;
	e->next = CT_IDX_NONE;
	if (cw->unrep_tail != CT_IDX_NONE)
		cw->t->e[cw->unrep_tail].next = idx;
	else
		cw->unrep_head = idx;
	cw->unrep_tail = idx;
	e->status |= CT_S_UNREPLIED;
}

static void
unrep_unlink(struct ct_worker *cw, struct ct_entry *e)
{
	if (!(e->status & CT_S_UNREPLIED))
		return;
	if (e->prev != CT_IDX_NONE)
		cw->t->e[e->prev].next = e->next;
	else
		cw->unrep_head = e->next;
	if (e->next != CT_IDX_NONE)
		cw->t->e[e->next].prev = e->prev;
	else
		cw->unrep_tail = e->prev;
	e->status &= (uint16_t)~CT_S_UNREPLIED;
}

static inline uint32_t
idx_of(const struct ct_table *t, const struct ct_entry *e)
{
	return (uint32_t)(e - t->e);
}

void
ct_kill(struct ct_worker *cw, struct ct_entry *e, uint64_t now)
{
	struct ct_table *t = cw->t;
	uint32_t idx = idx_of(t, e);
	if (!(e->status & CT_S_IN_USE))
		return;
	rte_spinlock_lock(&t->wlock);
	rte_hash_del_key(t->hash, &e->t[CT_DIR_ORIG]);
	if (e->status & CT_S_CONFIRMED)
		rte_hash_del_key(t->hash, &e->t[CT_DIR_REPLY]);
	if (e->nat_map != 0 && t->release != NULL)
		t->release(t->release_ctx, e, now);
	rte_spinlock_unlock(&t->wlock);
	unrep_unlink(cw, e);
	e->status = 0;
	e->nat_map = 0;
	e->gen++;
	e->next = cw->free_head;
	cw->free_head = idx;
	cw->in_use--;
	counter_add(&cw->st.deleted, 1);
}

struct ct_entry *
ct_create(struct ct_worker *cw, const struct ct_tuple *orig, uint64_t now, uint32_t *clash_idx)
{
	struct ct_table *t = cw->t;
	*clash_idx = CT_IDX_NONE;
	if (cw->free_head == CT_IDX_NONE) {
		/* Full: evict the oldest connection that never got a reply
		 * (a scan, a flood of SYNs) rather than refuse a new one. */
		if (cw->unrep_head == CT_IDX_NONE) {
			counter_add(&cw->st.full, 1);
			return NULL;
		}
		ct_kill(cw, &t->e[cw->unrep_head], now);
		counter_add(&cw->st.early_drop, 1);
	}
	uint32_t idx = cw->free_head;
	struct ct_entry *e = &t->e[idx];

	rte_spinlock_lock(&t->wlock);
	void *data;
	/* Look, then add, under the lock: no two workers create one tuple. */
	int32_t found = rte_hash_lookup_data(t->hash, orig, &data);
	int32_t rc = found >= 0 ? -EEXIST : rte_hash_add_key_data(t->hash, orig, key_data(idx, 0));
	rte_spinlock_unlock(&t->wlock);
	if (rc < 0) {
		if (found >= 0) {
			*clash_idx = (uint32_t)((uintptr_t)data >> 1);
			counter_add(&cw->st.clash, 1);
		} else {
			counter_add(&cw->st.full, 1); /* no key slot (cannot happen: sized) */
		}
		return NULL;
	}

	cw->free_head = e->next;
	cw->in_use++;
	uint16_t gen = e->gen;
	memset(e, 0, sizeof(*e));
	e->gen = gen;
	e->owner = (uint8_t)cw->id;
	e->t[CT_DIR_ORIG] = *orig;
	e->t[CT_DIR_REPLY] = ct_tuple_invert(orig);
	e->status = CT_S_IN_USE;
	e->expires = now;
	unrep_push(cw, e, idx);
	counter_add(&cw->st.created, 1);
	return e;
}

int
ct_confirm(struct ct_worker *cw, struct ct_entry *e)
{
	struct ct_table *t = cw->t;
	if (e->status & CT_S_CONFIRMED)
		return 0;
	rte_spinlock_lock(&t->wlock);
	int32_t rc = rte_hash_lookup(t->hash, &e->t[CT_DIR_REPLY]) >= 0
			     ? -EEXIST
			     : rte_hash_add_key_data(t->hash, &e->t[CT_DIR_REPLY],
						     key_data(idx_of(t, e), 1));
	rte_spinlock_unlock(&t->wlock);
	if (rc < 0) {
		counter_add(rc == -EEXIST ? &cw->st.clash : &cw->st.full, 1);
		return rc;
	}
	e->status |= CT_S_CONFIRMED;
	return 0;
}

void
ct_seen(struct ct_worker *cw, struct ct_entry *e, int dir, uint32_t bytes)
{
	e->packets[dir]++;
	e->bytes[dir] += bytes;
	if (dir == CT_DIR_REPLY && !(e->status & CT_S_SEEN_REPLY)) {
		e->status |= CT_S_SEEN_REPLY;
		unrep_unlink(cw, e);
	}
}

void
ct_refresh(const struct ct_table *t, struct ct_entry *e, uint64_t now)
{
	uint32_t s;
	switch (e->t[CT_DIR_ORIG].proto) {
	case IPPROTO_TCP:
		s = t->to.tcp[e->state < CT_TCP_NB_STATES ? e->state : CT_TCP_CLOSE];
		break;
	case IPPROTO_UDP:
		s = (e->status & CT_S_SEEN_REPLY) ? t->to.udp_stream : t->to.udp;
		break;
	case IPPROTO_ICMP:
		s = t->to.icmp;
		break;
	default:
		s = t->to.generic;
		break;
	}
	e->expires = now + (uint64_t)s * t->hz;
}

void
ct_worker_flush(struct ct_worker *cw, uint64_t now)
{
	for (uint32_t k = 0; k < cw->n; k++) {
		struct ct_entry *e = &cw->t->e[cw->base + k];
		if (e->status & CT_S_IN_USE)
			ct_kill(cw, e, now);
	}
}

unsigned int
ct_worker_gc(struct ct_worker *cw, uint64_t now)
{
	struct ct_table *t = cw->t;
	unsigned int killed = 0;
	/* Pairs with the release increment in the control plane's flush. */
	uint32_t fg = __atomic_load_n(&t->flush_gen, __ATOMIC_ACQUIRE);
	if (unlikely(fg != cw->flush_seen)) {
		ct_worker_flush(cw, now);
		__atomic_store_n(&cw->flush_seen, fg, __ATOMIC_RELEASE);
	}
	if (cw->in_use == 0 || (int64_t)(now - cw->gc_next) < 0)
		return 0;
	cw->gc_next = now + t->hz / 1000;
	uint32_t budget = RTE_MAX(cw->n / 1000, 64u);
	for (uint32_t i = 0; i < budget; i++) {
		struct ct_entry *e = &t->e[cw->base + cw->gc_pos];
		if (++cw->gc_pos == cw->n)
			cw->gc_pos = 0;
		if ((e->status & CT_S_IN_USE) && (int64_t)(now - e->expires) >= 0) {
			ct_kill(cw, e, now);
			counter_add(&cw->st.expired, 1);
			killed++;
		}
	}
	return killed;
}
