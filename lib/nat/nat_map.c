/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT mappings and their ports: endpoint-independent mappings (nat.h),
 * one port allocator per external (protocol, address), all under one lock.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "nat.h"

#define NONE UINT32_MAX

/* ---- ports ---- */

static inline bool
bit_get(const struct nat_ports *b, uint16_t p)
{
	return (b->bits[p >> 6] >> (p & 63)) & 1;
}

bool
nat_ports_used(const struct nat_ports *b, uint16_t port)
{
	return bit_get(b, port);
}

int
nat_ports_alloc(struct nat_ports *b, uint16_t lo, uint16_t hi, uint16_t pref, uint32_t seed,
		nat_taken_fn taken, void *ctx)
{
	if (lo > hi)
		return -1;
	uint32_t n = (uint32_t)hi - lo + 1;
	if (pref >= lo && pref <= hi && !bit_get(b, pref) && (taken == NULL || !taken(ctx, pref))) {
		b->bits[pref >> 6] |= UINT64_C(1) << (pref & 63);
		b->used++;
		return pref;
	}
	uint32_t start = seed % n;
	for (uint32_t k = 0; k < n;) {
		uint32_t p = lo + (start + k) % n;
		uint64_t word = b->bits[p >> 6];
		if (word == UINT64_MAX && (p & 63) == 0 && k + 64 <= n) {
			k += 64; /* a full word: skip it whole */
			continue;
		}
		if (!((word >> (p & 63)) & 1) && (taken == NULL || !taken(ctx, (uint16_t)p))) {
			b->bits[p >> 6] |= UINT64_C(1) << (p & 63);
			b->used++;
			return (int)p;
		}
		k++;
	}
	return -1;
}

void
nat_ports_free(struct nat_ports *b, uint16_t port)
{
	if (bit_get(b, port)) {
		b->bits[port >> 6] &= ~(UINT64_C(1) << (port & 63));
		b->used--;
	}
}

/* ---- the table ---- */

struct map_key {
	uint32_t iaddr;
	uint32_t range_lo;
	uint16_t iport;
	uint8_t proto;
	uint8_t pad[5];
} __attribute__((aligned(8))); /* rte_hash_crc reads 8 bytes at a time */

struct nat_table *
nat_table_create(uint32_t n_maps, uint64_t hz, int socket, char *err, size_t errlen)
{
	struct nat_table *t = rte_zmalloc_socket("nat", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	rte_spinlock_init(&t->lock);
	t->hz = hz;
	t->hold_udp = (uint64_t)NAT_HOLD_UDP_S * hz;
	t->n_maps = n_maps;
	t->map = rte_zmalloc_socket("nat_maps", (size_t)n_maps * sizeof(*t->map),
				    RTE_CACHE_LINE_SIZE, socket);
	if (t->map == NULL)
		goto nomem;
	for (uint32_t i = 0; i < n_maps; i++)
		t->map[i].next = i + 1 < n_maps ? i + 1 : NONE;
	t->free_head = 0;
	t->hold_head = t->hold_tail = NONE;
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "nat%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = n_maps,
		.key_len = sizeof(struct map_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "nat: rte_hash_create: %s", rte_strerror(rte_errno));
		nat_table_free(t);
		return NULL;
	}
	return t;
nomem:
	snprintf(err, errlen, "nat: cannot allocate %u mappings", n_maps);
	nat_table_free(t);
	return NULL;
}

void
nat_table_free(struct nat_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n_addrs; i++)
		rte_free(t->addrs[i].ports);
	rte_hash_free(t->hash);
	rte_free(t->map);
	rte_free(t);
}

static struct nat_ports *
ports_of(struct nat_table *t, uint8_t proto, uint32_t addr)
{
	for (unsigned int i = 0; i < t->n_addrs; i++)
		if (t->addrs[i].addr == addr && t->addrs[i].proto == proto)
			return t->addrs[i].ports;
	if (t->n_addrs == NAT_MAX_ADDRS)
		return NULL;
	struct nat_ports *p = rte_zmalloc("nat_ports", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL)
		return NULL;
	t->addrs[t->n_addrs].addr = addr;
	t->addrs[t->n_addrs].proto = proto;
	t->addrs[t->n_addrs].ports = p;
	t->n_addrs++;
	return p;
}

static void
hold_unlink(struct nat_table *t, struct nat_map *m)
{
	if (m->prev != NONE)
		t->map[m->prev].next = m->next;
	else
		t->hold_head = m->next;
	if (m->next != NONE)
		t->map[m->next].prev = m->prev;
	else
		t->hold_tail = m->prev;
}

static void
map_free(struct nat_table *t, uint32_t i)
{
	struct nat_map *m = &t->map[i];
	struct map_key k = {.iaddr = m->iaddr, .range_lo = m->range_lo, .iport = m->iport,
			    .proto = m->proto};
	rte_hash_del_key(t->hash, &k);
	struct nat_ports *p = ports_of(t, m->proto, m->eaddr);
	if (p != NULL)
		nat_ports_free(p, m->eport);
	m->in_use = 0;
	m->next = t->free_head;
	t->free_head = i;
	t->in_use--;
	t->st.maps_freed++;
}

static void
expire_locked(struct nat_table *t, uint64_t now)
{
	while (t->hold_head != NONE) {
		uint32_t i = t->hold_head;
		struct nat_map *m = &t->map[i];
		if ((int64_t)(now - m->expires) < 0)
			break;
		hold_unlink(t, m);
		map_free(t, i);
	}
}

void
nat_expire(struct nat_table *t, uint64_t now)
{
	rte_spinlock_lock(&t->lock);
	expire_locked(t, now);
	rte_spinlock_unlock(&t->lock);
}

/* The default port range keeps the class of the internal port (Linux's
 * nf_nat_l4proto_unique_tuple does the same): a privileged source port
 * stays privileged. ICMP identifiers: any. */
static void
port_range(uint8_t proto, uint16_t iport, const struct nat_range *r, uint16_t *lo, uint16_t *hi)
{
	if (r->port_lo != 0 || r->port_hi != 0) {
		*lo = r->port_lo;
		*hi = r->port_hi;
	} else if (proto == IPPROTO_ICMP) {
		*lo = 0;
		*hi = UINT16_MAX;
	} else if (iport < 1024) {
		*lo = 1;
		*hi = 1023;
	} else {
		*lo = 1024;
		*hi = UINT16_MAX;
	}
}

uint32_t
nat_map_get(struct nat_table *t, uint8_t proto, uint32_t iaddr, uint16_t iport,
	    const struct nat_range *r, uint64_t now, nat_taken_fn taken, void *ctx, uint32_t *eaddr,
	    uint16_t *eport)
{
	struct map_key k = {.iaddr = iaddr, .range_lo = r->addr_lo, .iport = iport, .proto = proto};
	uint16_t lo, hi;
	port_range(proto, iport, r, &lo, &hi);

	rte_spinlock_lock(&t->lock);
	expire_locked(t, now);
	void *data;
	if (rte_hash_lookup_data(t->hash, &k, &data) >= 0) {
		uint32_t i = (uint32_t)(uintptr_t)data;
		struct nat_map *m = &t->map[i];
		if (m->eaddr >= r->addr_lo && m->eaddr <= r->addr_hi && m->eport >= lo &&
		    m->eport <= hi) {
			/* Endpoint-independent: the same external endpoint. */
			if (m->refcnt++ == 0)
				hold_unlink(t, m);
			t->st.maps_reused++;
			*eaddr = m->eaddr;
			*eport = m->eport;
			rte_spinlock_unlock(&t->lock);
			return i + 1;
		}
		/* A rule with another range now: this mapping cannot serve. */
		if (m->refcnt == 0) {
			hold_unlink(t, m);
			map_free(t, i);
		}
	}
	if (t->free_head == NONE && t->hold_head != NONE) {
		/* No slot left: the oldest mapping no connection uses goes
		 * before its hold time (its port with it). */
		uint32_t old = t->hold_head;
		hold_unlink(t, &t->map[old]);
		map_free(t, old);
		t->st.held_evicted++;
	}
	if (t->free_head == NONE)
		goto exhausted;
	/* Paired pooling: the internal address picks the external one. */
	uint32_t n_addr = r->addr_hi - r->addr_lo + 1;
	uint32_t a = r->addr_lo + (n_addr == 0 ? 0 : rte_jhash_1word(iaddr, 0) % n_addr);
	struct nat_ports *ports = ports_of(t, proto, a);
	if (ports == NULL)
		goto exhausted;
	int port = nat_ports_alloc(ports, lo, hi, iport, rte_jhash_2words(iaddr, iport, 1), taken,
				   ctx);
	if (port < 0)
		goto exhausted;
	uint32_t i = t->free_head;
	struct nat_map *m = &t->map[i];
	t->free_head = m->next;
	if (rte_hash_add_key_data(t->hash, &k, (void *)(uintptr_t)i) < 0) {
		/* Cannot happen (as many keys as mappings): undo. */
		nat_ports_free(ports, (uint16_t)port);
		m->next = t->free_head;
		t->free_head = i;
		goto exhausted;
	}
	*m = (struct nat_map){.iaddr = iaddr, .eaddr = a, .iport = iport, .eport = (uint16_t)port,
			      .range_lo = r->addr_lo, .proto = proto, .in_use = 1, .refcnt = 1,
			      .prev = NONE, .next = NONE};
	t->in_use++;
	t->st.maps_created++;
	if (port == iport)
		t->st.preserved++;
	*eaddr = a;
	*eport = (uint16_t)port;
	rte_spinlock_unlock(&t->lock);
	return i + 1;
exhausted:
	t->st.exhausted++;
	rte_spinlock_unlock(&t->lock);
	return 0;
}

static void
put_locked(struct nat_table *t, uint32_t h, uint64_t now)
{
	if (h == 0 || h > t->n_maps)
		return;
	uint32_t i = h - 1;
	struct nat_map *m = &t->map[i];
	if (!m->in_use || m->refcnt == 0 || --m->refcnt != 0)
		return;
	if (m->proto != IPPROTO_UDP) {
		map_free(t, i);
		return;
	}
	/* UDP: keep it for the hold time (RFC 4787 REQ-5), oldest first. */
	m->expires = now + t->hold_udp;
	m->next = NONE;
	m->prev = t->hold_tail;
	if (t->hold_tail != NONE)
		t->map[t->hold_tail].next = i;
	else
		t->hold_head = i;
	t->hold_tail = i;
}

void
nat_map_put(struct nat_table *t, uint32_t h, uint64_t now)
{
	rte_spinlock_lock(&t->lock);
	put_locked(t, h, now);
	rte_spinlock_unlock(&t->lock);
}

void
nat_ct_release(void *ctx, const struct ct_entry *e, uint64_t now)
{
	nat_map_put(ctx, e->nat_map, now);
}
