/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly: the per-worker table and the policy of ip4_reasm.h.
 *
 * The table is IP4_REASM_MAX_DATAGRAMS fixed slots, a stack of free slots,
 * an age list (oldest first; every datagram has the same timeout, so it is
 * also the order of expiry: the sweep looks at its head only) and an index
 * from key to slot. A datagram holds its fragments in an array sorted by
 * offset: at most IP4_REASM_MAX_FRAGS, so inserting out of order costs a
 * memmove of at most 2 KiB, and overlaps are checked against the two
 * neighbours only.
 *
 * The index is open addressing over 4 × as many cells as datagrams (linear
 * probing, backward-shift deletion, so no tombstones), hashed by rte_jhash
 * with a seed drawn at creation so that a sender cannot pick ids that
 * collide. Not rte_hash: one thread owns the table and it never holds more
 * than 256 keys, so rte_hash's concurrency machinery, separate key store and
 * extendable buckets buy nothing, and its allocation per table and
 * lookup-then-delete cost more than this; at a quarter full a lookup
 * probes ~1.2 cells on average.
 */
#include "ip4_reasm.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "ip4.h"
#include "ip4_check.h"

#define CELLS (4 * IP4_REASM_MAX_DATAGRAMS) /* a power of two */
#define NONE UINT16_MAX
#define MAX_DATAGRAM_LEN UINT16_MAX /* total length, header included */

/* A held fragment: bytes [off, off + len) of the datagram's payload. The
 * first keeps its IPv4 header; the others' are stripped on arrival. */
struct frag {
	struct rte_mbuf *m;
	uint16_t off;
	uint16_t len;
};

struct dgram {
	rte_be32_t src, dst; /* the key, as on the wire (RFC 791 §3.2) */
	rte_be16_t id;
	uint8_t proto;
	bool has_last;	 /* the fragment without MF came: `end` is known */
	uint32_t hash;
	uint32_t end;	 /* payload length, once has_last */
	uint32_t have;	 /* payload bytes held (no overlaps: their sum) */
	uint32_t pinned; /* buffer bytes held */
	uint32_t segs;	 /* mbuf segments held */
	uint16_t n;	 /* fragments held, sorted by offset */
	uint16_t older, newer;
	uint64_t born; /* `now` of its first fragment */
	struct frag frags[IP4_REASM_MAX_FRAGS];
};

struct ip4_reasm_tbl {
	uint64_t timeout; /* TSC ticks */
	uint32_t seed;
	uint32_t pinned; /* sum of the datagrams' */
	uint16_t in_flight;
	uint16_t oldest, newest; /* age list, NONE when empty */
	uint16_t n_free;
	uint16_t free_slots[IP4_REASM_MAX_DATAGRAMS];
	uint16_t cells[CELLS]; /* slot + 1; 0 = empty */
	struct dgram dg[IP4_REASM_MAX_DATAGRAMS];
};

/* ---- the table ---- */

struct ip4_reasm_tbl *
ip4_reasm_table_create(uint64_t tsc_hz, int socket)
{
	struct ip4_reasm_tbl *t =
		rte_zmalloc_socket("ip4_reasm", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->timeout = tsc_hz * IP4_REASM_TIMEOUT_S;
	t->seed = (uint32_t)rte_rand();
	t->oldest = t->newest = NONE;
	for (unsigned int i = 0; i < IP4_REASM_MAX_DATAGRAMS; i++)
		t->free_slots[i] = (uint16_t)(IP4_REASM_MAX_DATAGRAMS - 1 - i);
	t->n_free = IP4_REASM_MAX_DATAGRAMS;
	return t;
}

static uint16_t
slot_of(const struct ip4_reasm_tbl *t, const struct dgram *d)
{
	return (uint16_t)(d - t->dg);
}

static uint32_t
key_hash(const struct ip4_reasm_tbl *t, const struct rte_ipv4_hdr *h)
{
	return rte_jhash_3words(h->src_addr, h->dst_addr,
				(uint32_t)h->packet_id << 8 | h->next_proto_id, t->seed);
}

static struct dgram *
lookup(struct ip4_reasm_tbl *t, const struct rte_ipv4_hdr *h, uint32_t hash)
{
	/* Ends: at most a quarter of the cells are in use. */
	for (uint32_t c = hash & (CELLS - 1);; c = (c + 1) & (CELLS - 1)) {
		if (t->cells[c] == 0)
			return NULL;
		struct dgram *d = &t->dg[t->cells[c] - 1];
		if (d->hash == hash && d->src == h->src_addr && d->dst == h->dst_addr &&
		    d->id == h->packet_id && d->proto == h->next_proto_id)
			return d;
	}
}

/* Take d's cell, then pull back each later entry of the run whose home
 * is not between the hole and it, so that every lookup still finds it. */
static void
index_del(struct ip4_reasm_tbl *t, const struct dgram *d)
{
	const uint32_t mask = CELLS - 1;
	uint16_t v = (uint16_t)(slot_of(t, d) + 1);
	uint32_t hole = d->hash & mask;
	while (t->cells[hole] != v)
		hole = (hole + 1) & mask;
	for (uint32_t c = (hole + 1) & mask; t->cells[c] != 0; c = (c + 1) & mask) {
		uint32_t home = t->dg[t->cells[c] - 1].hash & mask;
		if (((c - home) & mask) >= ((c - hole) & mask)) {
			t->cells[hole] = t->cells[c];
			hole = c;
		}
	}
	t->cells[hole] = 0;
}

/* Unlink d from the index and the age list and free its slot; its
 * fragments are the caller's. */
static void
dgram_remove(struct ip4_reasm_tbl *t, struct dgram *d)
{
	index_del(t, d);
	if (d->older != NONE)
		t->dg[d->older].newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer != NONE)
		t->dg[d->newer].older = d->older;
	else
		t->newest = d->older;
	t->pinned -= d->pinned;
	t->in_flight--;
	t->free_slots[t->n_free++] = slot_of(t, d);
}

static void
dgram_kill(struct ip4_reasm_tbl *t, struct dgram *d, enum ip4_reasm_drop why,
	   const struct ip4_reasm_sink *sink)
{
	for (uint16_t i = 0; i < d->n; i++)
		sink->drop(sink->ctx, d->frags[i].m, why);
	dgram_remove(t, d);
}

/* A new, empty datagram for h's key; a full table evicts its oldest. */
static struct dgram *
dgram_new(struct ip4_reasm_tbl *t, const struct rte_ipv4_hdr *h, uint32_t hash, uint64_t now,
	  const struct ip4_reasm_sink *sink)
{
	if (t->n_free == 0)
		dgram_kill(t, &t->dg[t->oldest], IP4_REASM_DROP_EVICTED, sink);
	uint16_t s = t->free_slots[--t->n_free];
	struct dgram *d = &t->dg[s];
	d->src = h->src_addr;
	d->dst = h->dst_addr;
	d->id = h->packet_id;
	d->proto = h->next_proto_id;
	d->has_last = false;
	d->hash = hash;
	d->end = d->have = d->pinned = d->segs = 0;
	d->n = 0;
	d->born = now;

	uint32_t c = hash & (CELLS - 1);
	while (t->cells[c] != 0)
		c = (c + 1) & (CELLS - 1);
	t->cells[c] = (uint16_t)(s + 1);

	d->older = t->newest;
	d->newer = NONE;
	if (t->newest != NONE)
		t->dg[t->newest].newer = s;
	else
		t->oldest = s;
	t->newest = s;
	t->in_flight++;
	return d;
}

void
ip4_reasm_table_free(struct ip4_reasm_tbl *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NONE) {
		struct dgram *d = &t->dg[t->oldest];
		for (uint16_t i = 0; i < d->n; i++)
			rte_pktmbuf_free(d->frags[i].m);
		dgram_remove(t, d);
	}
	rte_free(t);
}

void
ip4_reasm_expire(struct ip4_reasm_tbl *t, uint64_t now, const struct ip4_reasm_sink *sink)
{
	while (t->oldest != NONE && now > t->dg[t->oldest].born + t->timeout)
		dgram_kill(t, &t->dg[t->oldest], IP4_REASM_DROP_TIMEOUT, sink);
}

unsigned int
ip4_reasm_in_flight(const struct ip4_reasm_tbl *t)
{
	return t->in_flight;
}

uint32_t
ip4_reasm_pinned(const struct ip4_reasm_tbl *t)
{
	return t->pinned;
}

/* ---- one fragment ---- */

static enum ip4_reasm_verdict
drop(const struct ip4_reasm_sink *sink, struct rte_mbuf *m, enum ip4_reasm_drop why)
{
	sink->drop(sink->ctx, m, why);
	return IP4_REASM_DROPPED;
}

/* The datagram can never be whole: all of it goes, with m. */
static enum ip4_reasm_verdict
discard(struct ip4_reasm_tbl *t, struct dgram *d, struct rte_mbuf *m, enum ip4_reasm_drop why,
	const struct ip4_reasm_sink *sink)
{
	dgram_kill(t, d, why, sink);
	return drop(sink, m, why);
}

/* A later fragment keeps its payload only. One cut by
 * rte_ipv4_fragment_packet (ours, looped back) has its header alone in its
 * first segment: that segment is freed rather than chained empty. */
static struct rte_mbuf *
strip_header(struct rte_mbuf *m, uint16_t hl)
{
	rte_pktmbuf_adj(m, hl); /* cannot fail: the header is in this segment */
	if (m->data_len == 0 && m->next != NULL) {
		struct rte_mbuf *rest = m->next;
		rest->pkt_len = m->pkt_len;
		rest->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = rest;
	}
	return m;
}

static uint32_t
buffer_bytes(const struct rte_mbuf *m)
{
	uint32_t b = 0;
	for (; m != NULL; m = m->next)
		b += m->buf_len;
	return b;
}

/* Evict the oldest datagrams but `keep` until `cost` more bytes fit under
 * IP4_REASM_MAX_BYTES. False if they do not fit even then. */
static bool
make_room(struct ip4_reasm_tbl *t, const struct dgram *keep, uint32_t cost,
	  const struct ip4_reasm_sink *sink)
{
	while ((uint64_t)t->pinned + cost > IP4_REASM_MAX_BYTES) {
		uint16_t s = t->oldest;
		if (s == slot_of(t, keep))
			s = keep->newer;
		if (s == NONE)
			return false;
		dgram_kill(t, &t->dg[s], IP4_REASM_DROP_EVICTED, sink);
	}
	return true;
}

/* Every byte is there: chain the fragments behind the first and give it
 * the datagram's header. */
static enum ip4_reasm_verdict
dgram_complete(struct ip4_reasm_tbl *t, struct dgram *d, struct rte_mbuf **mp,
	       const struct ip4_reasm_sink *sink)
{
	struct rte_mbuf *head = d->frags[0].m;
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(head, struct rte_ipv4_hdr *);
	/* Checked on arrival against each fragment's own header; the first
	 * one's may be longer (options not copied into the others). */
	uint32_t tot = rte_ipv4_hdr_len(h) + d->end;
	if (tot > MAX_DATAGRAM_LEN) {
		dgram_kill(t, d, IP4_REASM_DROP_TOO_BIG, sink);
		return IP4_REASM_DROPPED;
	}
	/* From the back, so that each call walks one fragment's segments
	 * only. It sums nb_segs and pkt_len into the head; it cannot fail:
	 * d->segs stayed under RTE_MBUF_MAX_NB_SEGS. */
	for (uint16_t i = (uint16_t)(d->n - 1); i > 0; i--)
		(void)rte_pktmbuf_chain(d->frags[i - 1].m, d->frags[i].m);
	h->total_length = rte_cpu_to_be_16((uint16_t)tot);
	h->fragment_offset &=
		(rte_be16_t)~RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
	ip4_set_cksum(h);
	/* A NIC's verdict on the first fragment's L4 checksum says nothing
	 * about the datagram's. */
	head->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
	d->n = 0; /* the fragments are the chain now */
	dgram_remove(t, d);
	*mp = head;
	return IP4_REASM_COMPLETE;
}

enum ip4_reasm_verdict
ip4_reasm(struct ip4_reasm_tbl *t, struct rte_mbuf **mp, uint64_t now,
	  const struct ip4_reasm_sink *sink)
{
	struct rte_mbuf *m = *mp;
	const struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint16_t hl = (uint16_t)rte_ipv4_hdr_len(h);
	uint32_t tot = rte_be_to_cpu_16(h->total_length);
	uint16_t fo = rte_be_to_cpu_16(h->fragment_offset);
	bool last = (fo & RTE_IPV4_HDR_MF_FLAG) == 0;
	uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	uint32_t len = tot > hl ? tot - hl : 0;
	uint32_t end = off + len;

	ip4_reasm_expire(t, now, sink);

	/* RFC 791 §3.2: a fragment with MF carries a multiple of 8 bytes;
	 * one carrying none has nothing to place. The rest of the header is
	 * ip4_input_check's. */
	if (len == 0 || (!last && (len & 7) != 0) || rte_pktmbuf_pkt_len(m) != tot ||
	    m->data_len < hl)
		return drop(sink, m, IP4_REASM_DROP_BAD_FRAGMENT);

	uint32_t hash = key_hash(t, h);
	struct dgram *d = lookup(t, h, hash);
	/* The 65,535 bytes include the first fragment's header, at least as
	 * long as this one's (later fragments carry the copied options
	 * only, RFC 791 §3.1): exact when this is the first. */
	if (hl + end > MAX_DATAGRAM_LEN) {
		if (d != NULL)
			dgram_kill(t, d, IP4_REASM_DROP_TOO_BIG, sink);
		return drop(sink, m, IP4_REASM_DROP_TOO_BIG);
	}
	if (d == NULL)
		d = dgram_new(t, h, hash, now, sink);

	/* Where the datagram ends (as Linux's ip_frag_queue): the last
	 * fragment says, nothing held or to come may lie past it, and a
	 * second last must agree. Committed once the fragment is placed. */
	uint32_t held_end = d->n > 0 ? d->frags[d->n - 1].off + d->frags[d->n - 1].len : 0;
	if (last ? end < held_end || (d->has_last && end != d->end)
		 : d->has_last && end > d->end)
		return discard(t, d, m, IP4_REASM_DROP_BAD_FRAGMENT, sink);

	/* Its place in offset order, looked for from the end: fragments
	 * mostly come in order. Then the neighbours: the same bytes again
	 * are a duplicate, any other overlap is fatal. */
	uint16_t p = d->n;
	while (p > 0 && d->frags[p - 1].off > off)
		p--;
	if (p > 0 && d->frags[p - 1].off == off && d->frags[p - 1].len == len)
		return drop(sink, m, IP4_REASM_DROP_DUPLICATE);
	if ((p > 0 && d->frags[p - 1].off + d->frags[p - 1].len > off) ||
	    (p < d->n && end > d->frags[p].off))
		return discard(t, d, m, IP4_REASM_DROP_BAD_FRAGMENT, sink);

	if (d->n == IP4_REASM_MAX_FRAGS || d->segs + m->nb_segs > RTE_MBUF_MAX_NB_SEGS)
		return discard(t, d, m, IP4_REASM_DROP_TOO_MANY_FRAGS, sink);

	if (off != 0)
		m = strip_header(m, hl);
	uint32_t cost = buffer_bytes(m);
	if (!make_room(t, d, cost, sink))
		return discard(t, d, m, IP4_REASM_DROP_EVICTED, sink);

	memmove(&d->frags[p + 1], &d->frags[p], (size_t)(d->n - p) * sizeof(d->frags[0]));
	d->frags[p] = (struct frag){.m = m, .off = (uint16_t)off, .len = (uint16_t)len};
	d->n++;
	d->have += len;
	d->segs += m->nb_segs;
	d->pinned += cost;
	t->pinned += cost;
	if (last) {
		d->has_last = true;
		d->end = end;
	}
	if (!d->has_last || d->have != d->end)
		return IP4_REASM_HELD;
	return dgram_complete(t, d, mp, sink);
}
