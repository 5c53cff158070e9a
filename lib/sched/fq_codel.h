/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FQ-CoDel packet scheduler, RFC 8290, over opaque packets.
 *
 * The caller classifies: it passes a 32-bit flow hash (the dataplane takes
 * it from the 5-tuple, e.g. the NIC's RSS hash) and the packet length.
 * Packets are `void *`; the instance only ever gives them back through
 * fq_codel_dequeue() or disposes of them through ops.free.
 *
 * Memory is bounded and allocated once in fq_codel_create(): limit + 1
 * packet entries (24 bytes each) and `flows` flow records (64 bytes each);
 * enqueue and dequeue never allocate.
 *
 * Time is injected: `now` is in nanoseconds from any monotonic origin and
 * must not go backwards for one instance.
 *
 * Thread safety: none. One instance belongs to one TX queue and is driven
 * by the lcore that owns that queue. The ops are called from inside
 * enqueue, dequeue and free, on the caller's thread.
 */
#ifndef CAV_SCHED_FQ_CODEL_H
#define CAV_SCHED_FQ_CODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux defaults (sch_fq_codel.c fq_codel_init) and RFC 8290 §5.2. */
#define FQ_CODEL_DEFAULT_LIMIT 10240u
#define FQ_CODEL_DEFAULT_FLOWS 1024u
#define FQ_CODEL_DEFAULT_QUANTUM 1514u
#define FQ_CODEL_DEFAULT_MEMORY_LIMIT (32u << 20)
#define FQ_CODEL_DEFAULT_DROP_BATCH 64u

/* Validated ranges (inclusive). */
#define FQ_CODEL_LIMIT_MAX (1u << 20)
#define FQ_CODEL_FLOWS_MAX 65536u			    /* as Linux */
#define FQ_CODEL_QUANTUM_MIN 256u			    /* as Linux */
#define FQ_CODEL_QUANTUM_MAX (1u << 20)			    /* as Linux */
#define FQ_CODEL_TIME_MAX_NS (UINT64_C(3600) * 1000000000u) /* one hour */

struct fq_codel_ops {
	/*
	 * If the packet is ECN-capable (ECT(0), ECT(1) or already CE), set CE
	 * and return true; else return false and leave it alone. NULL: no
	 * packet is ever marked, so CoDel drops.
	 */
	bool (*mark_ce)(void *pkt);
	/* Release a packet the scheduler dropped or still held at free. Required. */
	void (*free)(void *pkt);
};

struct fq_codel_params {
	uint32_t limit;	       /* packets queued at most, 1..FQ_CODEL_LIMIT_MAX */
	uint32_t flows;	       /* flow queues, 1..FQ_CODEL_FLOWS_MAX */
	uint32_t quantum;      /* DRR bytes per round, QUANTUM_MIN..QUANTUM_MAX */
	uint32_t memory_limit; /* bytes charged at most, >= 1 */
	uint32_t drop_batch;   /* packets dropped at most per overflow, >= 1 */
	uint32_t mtu;	       /* CoDel never drops with <= mtu bytes queued */
	/*
	 * Added to each packet's length for the memory_limit charge only, to
	 * account for the buffer a short packet pins (an mbuf's data room).
	 * Linux charges skb->truesize the same way. Default 0.
	 */
	uint32_t mem_overhead;
	uint64_t target_ns;   /* CoDel target, 1..FQ_CODEL_TIME_MAX_NS */
	uint64_t interval_ns; /* CoDel interval, 1..FQ_CODEL_TIME_MAX_NS */
	bool ecn;	      /* CE-mark ECT packets instead of dropping */
	struct fq_codel_ops ops;
};

/* Counters as `tc -s qdisc show` prints them for fq_codel. */
struct fq_codel_stats {
	uint64_t sent_bytes;
	uint64_t sent_packets;
	uint64_t dropped;	  /* every packet freed by a drop (CoDel + overflow) */
	uint64_t overlimits;	  /* never incremented by fq_codel (as Linux) */
	uint64_t requeues;	  /* always 0: there is no requeue path */
	uint64_t ecn_mark;	  /* CE marks in place of CoDel drops */
	uint64_t drop_overlimit;  /* overflow drops (limit or memory_limit) */
	uint64_t drop_overmemory; /* the part of drop_overlimit due to memory_limit */
	uint64_t new_flow_count;  /* times a flow was put on the new list */
	uint64_t backlog_bytes;
	uint64_t memory_usage; /* bytes charged against memory_limit */
	uint32_t backlog_packets;
	uint32_t maxpacket; /* largest packet CoDel has seen at dequeue */
	uint32_t new_flows_len;
	uint32_t old_flows_len;
};

struct fq_codel;

/* Linux/RFC 8290 defaults: limit 10240, flows 1024, quantum 1514, target 5 ms,
 * interval 100 ms, memory_limit 32 MiB, drop_batch 64, mtu 1514, ecn on;
 * ops left NULL (ops.free must be set before create). */
void fq_codel_params_default(struct fq_codel_params *p);

/* 0 if the parameters are usable, else -EINVAL. */
int fq_codel_params_check(const struct fq_codel_params *p);

/* Returns NULL with errno EINVAL (bad params) or ENOMEM. */
struct fq_codel *fq_codel_create(const struct fq_codel_params *p);

/* Frees every queued packet through ops.free, then the instance. NULL is a no-op. */
void fq_codel_free(struct fq_codel *q);

/*
 * Queue `pkt` (length `len` > 0) on the flow `hash` selects.
 *
 * Returns -EINVAL (q or pkt NULL, len 0): the packet was NOT taken.
 * Otherwise the queue owns the packet and the return value is the number
 * of packets dropped to get back under limit/memory_limit: 0 normally,
 * 1..drop_batch on overflow. Overflow drops come from the head of the
 * fattest flow (RFC 8290 §4.1), which may be this packet's own flow and,
 * if it held nothing else, this very packet. Dropped packets are passed
 * to ops.free before this returns.
 */
int fq_codel_enqueue(struct fq_codel *q, void *pkt, uint32_t len, uint32_t hash, uint64_t now);

/*
 * Next packet to send, or NULL when empty. Ownership passes to the caller;
 * `*len` (if non-NULL) gets its length. Packets CoDel drops on the way are
 * passed to ops.free; ECT packets may come back CE-marked.
 */
void *fq_codel_dequeue(struct fq_codel *q, uint64_t now, uint32_t *len);

/* Packets queued; `*bytes` (if non-NULL) gets the bytes queued. */
uint32_t fq_codel_backlog(const struct fq_codel *q, uint64_t *bytes);

void fq_codel_stats_get(const struct fq_codel *q, struct fq_codel_stats *st);

/* The parameters the instance runs with (ops included). */
const struct fq_codel_params *fq_codel_params_get(const struct fq_codel *q);

/* Flow queue index a hash lands in: (hash * flows) >> 32, as Linux. */
uint32_t fq_codel_flow_index(const struct fq_codel *q, uint32_t hash);

/*
 * Write the `tc -s qdisc show dev DEV` text for this instance into buf
 * (always NUL-terminated when buflen > 0). Returns the length the full
 * text needs, as snprintf does, or -EINVAL.
 */
int fq_codel_stats_format(const struct fq_codel *q, const char *dev, char *buf, size_t buflen);

/* Helpers shared with the other tc-style printers: "5ms", "32Mb" as tc prints them. */
int sched_format_time(char *buf, size_t buflen, uint64_t ns);
int sched_format_size(char *buf, size_t buflen, uint64_t bytes);

#endif /* CAV_SCHED_FQ_CODEL_H */
