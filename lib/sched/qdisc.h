/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One TX queue's queue discipline, composed from the pieces of this
 * library: a scheduler (a tail-drop FIFO, one fq_codel, or strict-priority
 * DSCP bands of fq_codel), optionally behind the token-bucket shaper, plus
 * a short requeue list for packets the NIC refused.
 *
 *   enqueue -> [scheduler] -> held (waits for shaper credit) -> caller
 *                                  requeue list (NIC refused) -^
 *
 * Like Linux's root qdisc with tbf on top: a packet is taken from the
 * scheduler, then waits in `held` until the bucket has credit for it
 * (tbf peeks the same way); what the driver does not take goes back to
 * the head (dev_requeue_skb), already paid for, and leaves first.
 *
 * Packets are opaque; the ops classify them (flow hash, DSCP), mark them
 * and free them. Time is injected (`now` in ns, never going backwards for
 * one instance); nothing here reads a clock.
 *
 * Thread safety: none. One instance per TX queue, driven by the lcore
 * that owns the queue; it may be built on another thread and handed over.
 */
#ifndef CAV_SCHED_QDISC_H
#define CAV_SCHED_QDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fq_codel.h"
#include "prio.h"
#include "qdisc_args.h"
#include <stdatomic.h>

#include "shaper.h"

/*
 * Packets the requeue list holds at most. A caller that dequeues at most
 * this many before each transmit attempt never overflows it: dequeue
 * drains the list first, and only what was just dequeued comes back.
 */
#define QDISC_REQUEUE_MAX 64u

struct qdisc_ops {
	/* Release a packet the qdisc dropped or still held at free. Required. */
	void (*free)(void *pkt);
	/* As fq_codel_ops.mark_ce. NULL: never marked (CoDel drops). */
	bool (*mark_ce)(void *pkt);
	/* Flow hash and DSCP (0..63) of a packet. Required unless kind is FIFO. */
	void (*classify)(void *pkt, uint32_t *hash, uint8_t *dscp);
};

/*
 * Counters as `tc -s qdisc show` prints them. The root ones count at the
 * composite's edge: sent = handed to the caller and not requeued,
 * dropped = every packet the qdisc freed (scheduler drops, FIFO tail
 * drops, CoDel drops while moving a backlog), overlimits = packets that
 * had to wait for shaper credit, requeues = packets the caller gave back.
 * band[] holds each fq_codel's own counters (1 for fq_codel, N for bands,
 * none for FIFO). All fields are 64-bit or pairs of 32-bit ones, so the
 * struct can be copied word by word.
 */
struct qdisc_stats {
	uint64_t sent_bytes;
	uint64_t sent_packets;
	uint64_t dropped;
	uint64_t overlimits;
	uint64_t requeues;
	uint64_t backlog_bytes;
	uint32_t backlog_packets;
	uint32_t n_bands;
	struct fq_codel_stats band[PRIO_BANDS_MAX];
};

struct qdisc;

/*
 * Check a running configuration: kind FQ_CODEL, BANDS or FIFO (the
 * shaper is not a kind here: shaper.rate_bps 0 means no shaper), and
 * every parameter in range. 0, or -EINVAL with a message in err.
 */
int qdisc_conf_check(const struct qdisc_conf *c, char *err, size_t errlen);

/*
 * Fold a parsed `cavctl qdisc set` (qdisc_args_parse) into the running
 * configuration, as tc would replace one part of a tree:
 *   fq_codel ...  the scheduler becomes one fq_codel with these parameters
 *   bands N ...   N bands, each an fq_codel with the parameters running now
 *   fifo ...      a tail-drop FIFO
 *   shaper ...    the shaper (rate 0: none); the scheduler stays
 */
void qdisc_conf_apply(struct qdisc_conf *running, const struct qdisc_conf *parsed);

/* The default: fq_codel with RFC 8290 defaults, no shaper. */
void qdisc_conf_default(struct qdisc_conf *c);

/*
 * A shaper shared by the instances of one port (one instance per worker
 * TX queue), so the port as a whole is held to the rate — the point of a
 * shaper is to make this port the path's bottleneck. The lock is taken
 * only by shaped instances, around one conform check (a few dozen
 * instructions); with one worker it is never contended.
 */
struct shaper_shared {
	atomic_flag lock;
	struct shaper s;
};

/* (Re)start the shared bucket, full, at `now` (under its lock). 0 or -EINVAL. */
int shaper_shared_init(struct shaper_shared *ss, uint64_t rate_bps, uint64_t burst_bytes,
		       uint64_t now);

/* Make a shaped instance draw its credit from `ss` instead of its own
 * bucket (call before the instance is used; NULL: its own again). */
void qdisc_share_shaper(struct qdisc *q, struct shaper_shared *ss);

/*
 * Build an instance. mem_overhead is added to each packet's length for
 * fq_codel's memory_limit (an mbuf pins its whole buffer). NULL with
 * errno EINVAL (bad conf or ops) or ENOMEM.
 */
struct qdisc *qdisc_create(const struct qdisc_conf *c, const struct qdisc_ops *ops,
			   uint32_t mem_overhead, uint64_t now);

/* Free every packet still queued (ops.free), then the instance. NULL: no-op. */
void qdisc_free(struct qdisc *q);

/*
 * Queue a packet of `len` (> 0) bytes. The qdisc owns it afterwards; the
 * return value is the number of packets dropped to make room (0
 * normally), possibly this one. -EINVAL: not taken (len 0).
 */
int qdisc_enqueue(struct qdisc *q, void *pkt, uint32_t len, uint64_t now);

/*
 * The next packet to transmit, or NULL: empty, or the shaper has no
 * credit for the head packet yet. `*len` gets its length.
 */
void *qdisc_dequeue(struct qdisc *q, uint64_t now, uint32_t *len);

/*
 * Give back the last `n` packets dequeued, which the NIC did not take,
 * oldest first: they leave first next time, without paying the shaper
 * again. Returns how many were taken back (all of them unless the list
 * is full; the caller frees the rest and reports them with
 * qdisc_count_drops()).
 */
unsigned qdisc_requeue(struct qdisc *q, void *const *pkts, const uint32_t *lens, unsigned n);

/*
 * May a packet skip the qdisc and go to the NIC at once? Yes when nothing
 * is queued, held or requeued and no shaper governs the port — Linux's
 * TCQ_F_CAN_BYPASS: with no queue there is nothing to schedule, and a
 * queue forms (and is scheduled) as soon as the NIC refuses a packet.
 */
bool qdisc_can_bypass(const struct qdisc *q);

/* Count packets that bypassed the qdisc as sent (tc counts them too). */
void qdisc_count_bypass(struct qdisc *q, uint64_t pkts, uint64_t bytes);

/* Count `n` packets the caller had to drop on the qdisc's behalf. */
void qdisc_count_drops(struct qdisc *q, uint64_t n);

/* Packets queued (scheduler, held, requeued); `*bytes` gets the bytes. */
uint32_t qdisc_backlog(const struct qdisc *q, uint64_t *bytes);

void qdisc_stats_get(const struct qdisc *q, struct qdisc_stats *st);

/* The configuration the instance runs. */
const struct qdisc_conf *qdisc_conf_get(const struct qdisc *q);

/*
 * Move every packet of `from` into `to` (a replacement built from a new
 * configuration), keeping each flow's order: requeued packets stay at the
 * head, the rest is drained through `from`'s scheduler (CoDel may drop on
 * the way) and enqueued in `to` at `now` (sojourn time restarts). Drops
 * are counted in `to`. Returns the packets `to` gained. `from` is left
 * empty.
 */
uint32_t qdisc_migrate(struct qdisc *from, struct qdisc *to, uint64_t now);

#endif /* CAV_SCHED_QDISC_H */
