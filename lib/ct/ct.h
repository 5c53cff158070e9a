/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CAV_CT_H
#define CAV_CT_H

/*
 * Connection tracking: a bounded table of connections, each found by the
 * tuple of either direction (rte_hash, two keys per entry), TCP followed
 * through a [state][direction][flag class] table with window checks
 * (ct_tcp.c), UDP, ICMP echo and other protocols by timeouts, ICMP errors
 * matched to the connection they quote (RELATED).
 *
 * Multi-worker design: every entry has an owner, the worker that created
 * it, and only the owner reads or writes it. The hash is shared: any
 * worker looks a tuple up without locks (rte_hash RW_CONCURRENCY_LF, key
 * slots reclaimed after an RCU grace period on dp_shared.rcu), and the
 * answer names the entry, hence its owner. A packet that lands on another
 * worker (RSS hashes the two directions of a flow, or a NATed flow's two
 * tuples, apart) is handed to the owner over its ring (ct_handoff) and
 * processed there from the hook on. So the TCP state machine has a single
 * writer and needs no per-entry lock; the cost is one ring hop for the
 * packets that land on the wrong worker. Writes to the hash (an entry
 * created, confirmed, killed: a few per connection, never per packet) are
 * serialized by one spinlock, which also makes "look up, then add"
 * atomic, so no two workers create the same tuple.
 *
 * Entries are preallocated, ct_max / n_workers per worker (the owner's
 * slice), so allocation never crosses workers. When a worker's slice is
 * full, its oldest unreplied entry is evicted (early drop, as Linux does
 * with non-assured entries); if none is unreplied, the new connection's
 * packet is dropped (drop_ct_table_full).
 *
 * An entry freed and reused keeps its index but its generation changes:
 * a packet still in the graph that refers to it (pkt_meta ct_idx and
 * ct_gen) sees the generation differ and is dropped (drop_ct_stale).
 *
 * Time is injected (`now`, TSC ticks); timeouts are Linux's defaults
 * (ct_proto.c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_spinlock.h>

struct rte_hash;
struct rte_rcu_qsbr;
struct rte_ring;

#define CT_IDX_NONE UINT32_MAX
#define CT_MAX_WORKERS 32

enum ct_dir {
	CT_DIR_ORIG = 0,
	CT_DIR_REPLY = 1,
};

/* pkt_meta ct_info: one state bit (what the rules match, Linux's ctstate)
 * and the direction. */
enum ct_state_bit {
	CT_ST_NEW = 0x01,
	CT_ST_ESTABLISHED = 0x02,
	CT_ST_RELATED = 0x04,
	CT_ST_INVALID = 0x08,
	CT_ST_UNTRACKED = 0x10, /* conntrack off */
	CT_ST_MASK = 0x1f,
};
#define CT_INFO_REPLY 0x80

/*
 * A connection's tuple in one direction, as the packets carry it
 * (network byte order). ICMP echo: sport = dport = the identifier. Other
 * protocols without ports: 0, 0. The padding is zero (the hash key is all
 * 16 bytes, 8-byte aligned).
 */
struct ct_tuple {
	rte_be32_t src;
	rte_be32_t dst;
	rte_be16_t sport;
	rte_be16_t dport;
	uint8_t proto;
	uint8_t pad[3];
} __attribute__((aligned(8))); /* rte_hash_crc reads the key 8 bytes at a time */

/* Equal tuples (pad included: it is zero in every tuple we build). */
static inline bool
ct_tuple_eq(const struct ct_tuple *a, const struct ct_tuple *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

static inline struct ct_tuple
ct_tuple_invert(const struct ct_tuple *t)
{
	struct ct_tuple r = {.src = t->dst, .dst = t->src, .sport = t->dport, .dport = t->sport,
			     .proto = t->proto};
	return r;
}

/* ---- TCP (ct_tcp.c) ---- */

/* Linux's conntrack TCP states (nf_conntrack_proto_tcp.c). */
enum ct_tcp_state {
	CT_TCP_NONE,
	CT_TCP_SYN_SENT,
	CT_TCP_SYN_RECV,
	CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT,
	CT_TCP_CLOSE_WAIT,
	CT_TCP_LAST_ACK,
	CT_TCP_TIME_WAIT,
	CT_TCP_CLOSE,
	CT_TCP_SYN_SENT2, /* simultaneous open: SYN seen in both directions */
	CT_TCP_NB_STATES,
	/* Not states: what the table says about a segment. */
	CT_TCP_IGNORE = CT_TCP_NB_STATES, /* let it through, change nothing */
	CT_TCP_INVALID,			  /* not valid in this state */
};

/* What a segment's flags say (Linux's get_conntrack_index). */
enum ct_tcp_class {
	CT_TCP_C_SYN,
	CT_TCP_C_SYNACK,
	CT_TCP_C_FIN,
	CT_TCP_C_ACK,
	CT_TCP_C_RST,
	CT_TCP_C_NONE,
	CT_TCP_C_NB,
};

extern const uint8_t ct_tcp_table[CT_TCP_NB_STATES][2][CT_TCP_C_NB];
const char *ct_tcp_state_name(unsigned int s);

/* One direction's sender, for the window checks (Rooij's "Real Stateful
 * TCP Packet Filtering in IP Filter", as Linux's tcp_in_window). */
struct ct_tcp_peer {
	uint32_t end;	 /* highest sequence number sent, + 1 */
	uint32_t maxend; /* highest ack + window the other side allowed */
	uint32_t maxwin; /* largest window seen from this side (scaled) */
	uint8_t scale;	 /* window scale (RFC 7323), 0 if not both sides */
	uint8_t flags;	 /* CT_TCP_F_* */
};
#define CT_TCP_F_WSCALE 0x01  /* sent a window scale option */
#define CT_TCP_F_LIBERAL 0x02 /* picked up mid-stream: windows not checked */
#define CT_TCP_F_SEEN 0x04    /* this side has sent something */

/* A TCP segment as conntrack needs it (host byte order). */
struct ct_tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t sack;	  /* highest SACK right edge, or ack */
	uint16_t win;	  /* as sent (not scaled) */
	uint8_t flags;	  /* RTE_TCP_*_FLAG */
	int8_t wscale;	  /* window scale option, -1 none */
	uint32_t len;	  /* payload bytes */
};

enum ct_tcp_class ct_tcp_classify(uint8_t flags);
/* Is this combination of flags one a TCP may send (Linux's tcp_valid_flags)? */
bool ct_tcp_flags_valid(uint8_t flags);

/* ---- the table ---- */

/* Entry status bits. */
#define CT_S_CONFIRMED 0x0001  /* the reply tuple is in the hash */
#define CT_S_SEEN_REPLY 0x0002 /* a packet went the other way */
#define CT_S_ASSURED 0x0004    /* two-way and established: never early-dropped */
#define CT_S_SNAT 0x0008       /* source translated (ORIG), destination in REPLY */
#define CT_S_DNAT 0x0010       /* destination translated (ORIG), source in REPLY */
#define CT_S_DNAT_DONE 0x0020  /* the nat PREROUTING chain has run */
#define CT_S_SNAT_DONE 0x0040  /* the nat POSTROUTING chain has run */
#define CT_S_UNREPLIED 0x0080  /* on the owner's unreplied list */
#define CT_S_IN_USE 0x0100
#define CT_S_HAIRPIN 0x0200 /* SNAT added by hairpinning */

struct ct_entry {
	/* [ORIG]: the first packet's tuple as it arrived; [REPLY]: what the
	 * answers look like, NAT included. */
	struct ct_tuple t[2];
	uint64_t expires; /* TSC */
	uint16_t status;
	uint16_t gen; /* changes each time the slot is reused */
	uint8_t state; /* TCP: enum ct_tcp_state; others: 0 */
	uint8_t owner;
	uint16_t in_port; /* where the first packet came in (hairpin check) */
	uint32_t nat_map; /* NAT mapping + 1 (lib/nat); 0: none */
	uint32_t prev, next; /* unreplied list, or free list (next) */
	struct ct_tcp_peer tcp[2];
	uint64_t packets[2];
	uint64_t bytes[2];
};

struct ct_stats {
	uint64_t found;
	uint64_t created;
	uint64_t invalid;
	uint64_t related;
	uint64_t deleted;
	uint64_t expired;
	uint64_t early_drop;
	uint64_t full;	 /* no entry: packet dropped */
	uint64_t clash;	 /* the tuple was another entry's */
	uint64_t handoff; /* packets sent to the owner */
	uint64_t reopened; /* SYN on a closed/TIME_WAIT entry: a new connection */
};

struct ct_table;

/* Called (with the write lock held) when an entry is killed that has a
 * NAT mapping: lib/nat releases it. */
typedef void (*ct_release_fn)(void *ctx, const struct ct_entry *e, uint64_t now);

/*
 * A worker's cache of the shared hash's answers for the entries it owns,
 * direct-mapped by a hash of the tuple: an entry and direction, valid
 * while the entry keeps the generation it had (a killed entry's changes).
 * Buckets of two slots, the latest answer first. A hit costs two
 * multiplications and a compare of the entry's tuple where the shared
 * rte_hash costs ~180 instructions per packet (CRC, bucket walk, key
 * compare, the lock-free retry check).
 */
#define CT_CACHE_BITS 12
struct ct_cache_slot {
	uint32_t idx; /* CT_IDX_NONE: empty */
	uint16_t gen;
	uint8_t dir;
	uint8_t pad;
};

/* One worker's part of the table: its slice of entries (single writer). */
struct ct_worker {
	struct ct_table *t;
	unsigned int id;
	uint32_t base, n; /* the slice: entries [base, base + n) */
	uint32_t free_head;
	uint32_t in_use;
	uint32_t unrep_head, unrep_tail; /* unreplied, oldest first */
	uint32_t gc_pos;
	uint64_t gc_next; /* TSC of the next expiry scan */
	uint32_t flush_seen;
	struct ct_stats st; /* single writer, read by the control plane */
	struct rte_ring *handoff; /* packets for entries this worker owns (MP/SC) */
	struct ct_cache_slot cache[1u << CT_CACHE_BITS];
};

struct ct_timeouts {
	uint32_t tcp[CT_TCP_NB_STATES]; /* seconds */
	uint32_t udp, udp_stream, icmp, generic;
};

struct ct_table {
	struct rte_hash *hash;
	struct ct_entry *e;
	uint32_t max, per_worker;
	unsigned int n_workers;
	uint64_t hz;
	bool tcp_loose; /* pick up connections mid-stream (Linux's nf_conntrack_tcp_loose) */
	struct ct_timeouts to;
	rte_spinlock_t wlock; /* every hash write */
	uint32_t flush_gen;   /* bumped by the control plane: workers flush their slice */
	ct_release_fn release;
	void *release_ctx;
	struct ct_worker *w[CT_MAX_WORKERS];
};

/*
 * Create the table for `max` entries over `n_workers` workers (each gets
 * max / n_workers) on `socket`. With `rcu`, the hash takes lock-free
 * readers and reclaims key slots after a grace period; without (tests),
 * it is for one thread. NULL on failure, with a reason in err.
 */
struct ct_table *ct_table_create(uint32_t max, unsigned int n_workers, uint64_t hz,
				 struct rte_rcu_qsbr *rcu, int socket, char *err, size_t errlen);
void ct_table_free(struct ct_table *t);
/* Worker `id`'s part (allocated on `socket`; its handoff ring too). */
struct ct_worker *ct_worker_get(struct ct_table *t, unsigned int id);

static inline struct ct_entry *
ct_entry_at(const struct ct_table *t, uint32_t idx)
{
	return &t->e[idx];
}

static inline unsigned int
ct_owner_of(const struct ct_table *t, uint32_t idx)
{
	return idx / t->per_worker;
}

/* Look a tuple up (any worker, lock-free). 0 and the entry index and the
 * direction the tuple is, or -1. */
int ct_lookup(const struct ct_table *t, const struct ct_tuple *k, uint32_t *idx, int *dir);
/* The same for n tuples at once (rte_hash's bulk lookup, which prefetches
 * the buckets of many keys together): found[i] 0 or -1. */
void ct_lookup_bulk(const struct ct_table *t, const struct ct_tuple **k, uint32_t n, int *found,
		    uint32_t *idx, int *dir);
/* The same on worker cw, through its cache first (struct ct_cache_slot):
 * only the tuples it misses go to the hash; an answer for an entry cw
 * owns fills the cache. An answer may be stale as ct_lookup_bulk's may
 * (ct_in_found checks the entry's tuple). */
void ct_lookup_burst(struct ct_worker *cw, const struct ct_tuple **k, uint32_t n, int *found,
		     uint32_t *idx, int *dir);

/*
 * Create an entry for a new connection whose first packet has `orig`
 * (owner: cw's worker), its ORIG key in the hash, REPLY = the inverse of
 * orig until NAT says otherwise. A full slice evicts its oldest unreplied
 * entry first. NULL: the slice is full of replied entries (st.full), or
 * the tuple exists already (st.clash; *clash_idx says whose).
 */
struct ct_entry *ct_create(struct ct_worker *cw, const struct ct_tuple *orig, uint64_t now,
			   uint32_t *clash_idx);

/* Put the REPLY tuple in the hash (first packet through INPUT or
 * POSTROUTING). 0, or -EEXIST if another entry has it (st.clash), or
 * -ENOSPC if the hash has no room (st.full). */
int ct_confirm(struct ct_worker *cw, struct ct_entry *e);

/* Remove an entry (its keys, its NAT mapping) and free its slot. */
void ct_kill(struct ct_worker *cw, struct ct_entry *e, uint64_t now);

/* A packet went through `e` in direction `dir`: counters, reply bit, the
 * unreplied list. */
void ct_seen(struct ct_worker *cw, struct ct_entry *e, int dir, uint32_t bytes);

/* Set e's timeout from its protocol and state. */
void ct_refresh(const struct ct_table *t, struct ct_entry *e, uint64_t now);

/*
 * Between graph walks (the worker loop): act on a flush request; once a
 * millisecond, look at the next slice/1000 entries (at least 64) and kill
 * the expired ones, so the whole slice is swept about once a second (an
 * expired entry that a packet finds first is replaced on the spot).
 * Scanning every loop instead cost 5% of the forwarding rate: each entry
 * is a cache line. Returns how many were killed.
 */
unsigned int ct_worker_gc(struct ct_worker *cw, uint64_t now);

/* Kill every entry of the slice. */
void ct_worker_flush(struct ct_worker *cw, uint64_t now);

/* The TCP part of tracking a segment in `dir` (ct_tcp.c): the new state,
 * or CT_TCP_IGNORE / CT_TCP_INVALID (out of window, or not valid in this
 * state). Updates the window data; the caller sets e->state. */
unsigned int ct_tcp_track(struct ct_entry *e, int dir, const struct ct_tcp_seg *s);
/* A new entry from its first segment; false: it may not start a
 * connection (only a SYN may, or any ACK-bearing segment with `loose`). */
bool ct_tcp_new(struct ct_entry *e, const struct ct_tcp_seg *s, bool loose);

/* Linux's default timeouts (seconds). */
extern const struct ct_timeouts ct_default_timeouts;

const char *ct_proto_name(uint8_t proto);

#endif
