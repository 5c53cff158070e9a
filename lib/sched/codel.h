/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CoDel, the Controlled Delay AQM of RFC 8289, as a header-only engine.
 *
 * Shaped after Linux include/net/codel_impl.h: the algorithm never sees a
 * packet type. The container (a FIFO, one fq_codel flow, ...) hands it a
 * struct codel_ops; CoDel asks for the head packet with its enqueue time
 * and length, and tells the container to drop or CE-mark it. Everything
 * is `static inline` so a container passing a constant ops table gets the
 * callbacks inlined.
 *
 * Time is injected: `now` is a nanosecond count from any monotonic origin
 * and is an argument of every call. Nothing here reads a clock, allocates
 * or keeps global state.
 *
 * Thread safety: none; one codel_vars belongs to one queue, driven by one
 * lcore.
 */
#ifndef CAV_SCHED_CODEL_H
#define CAV_SCHED_CODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODEL_NS_PER_MS UINT64_C(1000000)

/* RFC 8289 §4.3 (TARGET 5 ms) and §4.2 (INTERVAL 100 ms). */
#define CODEL_DEFAULT_TARGET_NS (5 * CODEL_NS_PER_MS)
#define CODEL_DEFAULT_INTERVAL_NS (100 * CODEL_NS_PER_MS)
#define CODEL_DEFAULT_MTU 1514u

/* Read-only after setup; may be shared by many queues. */
struct codel_params {
	uint64_t target_ns;   /* acceptable standing queue delay (§4.3) */
	uint64_t interval_ns; /* sliding window for the minimum (§4.2), 0 < it < 2^59 */
	uint32_t mtu;	      /* never drop when <= mtu bytes are left (§4.1) */
	bool ecn;	      /* CE-mark ECT packets instead of dropping them */
};

/*
 * Per-queue state, RFC 8289 §5.2. 40 bytes, so that fq_codel's per-flow
 * record (this plus list links, deficit and backlog) stays within one
 * 64-byte cache line.
 */
struct codel_vars {
	uint64_t first_above_time; /* when sojourn went above target + interval; 0: below */
	uint64_t drop_next;	   /* time of the next drop while dropping */
	uint64_t ldelay;	   /* sojourn time of the last packet dequeued */
	/*
	 * 1/sqrt(count) in Q0.32 for count >= 2 (count <= 1 means exactly
	 * 1.0, which does not fit), recomputed exactly whenever count changes.
	 * Linux keeps a 16-bit Newton-Raphson approximation instead; its first
	 * steps are up to 30% off (count 2 gives 0.5 for 0.707), which skews
	 * the early drop spacing. The exact value costs a 32-step
	 * shift-and-subtract square root, paid at most once per drop.
	 */
	uint32_t rec_inv_sqrt;
	uint32_t count;	    /* drops (or marks) since entering dropping */
	uint32_t lastcount; /* count when dropping state was last entered */
	bool dropping;
};

/* Totals a container may report; CoDel only ever adds to them. */
struct codel_stats {
	uint64_t drop_count; /* packets dropped by the control law */
	uint64_t drop_len;   /* their bytes */
	uint64_t ecn_mark;   /* packets CE-marked instead of dropped */
	uint32_t maxpacket;  /* largest packet seen at dequeue */
};

/*
 * What CoDel needs from the queue it manages. `ctx` is passed through
 * untouched.
 */
struct codel_ops {
	/* Unlink the head packet; NULL when empty. Sets its enqueue time and length. */
	void *(*dequeue)(void *ctx, uint64_t *enqueue_ns, uint32_t *len);
	/* Bytes still queued after the last dequeue (the §4.1 "one MTU" rule). */
	uint64_t (*backlog)(void *ctx);
	/* Dispose of a packet CoDel dropped; it is already unlinked. */
	void (*drop)(void *ctx, void *pkt, uint32_t len);
	/* Set CE on the packet if it is ECN-capable; true if it now carries CE. NULL: never. */
	bool (*mark_ce)(void *ctx, void *pkt);
};

static inline void
codel_params_default(struct codel_params *p)
{
	p->target_ns = CODEL_DEFAULT_TARGET_NS;
	p->interval_ns = CODEL_DEFAULT_INTERVAL_NS;
	p->mtu = CODEL_DEFAULT_MTU;
	p->ecn = false;
}

static inline void
codel_vars_init(struct codel_vars *v)
{
	*v = (struct codel_vars){0};
}

/* floor(sqrt(x)), bit by bit: 32 iterations, no division, no libm. */
static inline uint32_t
codel_isqrt64(uint64_t x)
{
	uint64_t res = 0;
	uint64_t bit = UINT64_C(1) << 62;

	while (bit > x)
		bit >>= 2;
	while (bit != 0) {
		if (x >= res + bit) {
			x -= res + bit;
			res = (res >> 1) + bit;
		} else {
			res >>= 1;
		}
		bit >>= 2;
	}
	return (uint32_t)res;
}

/*
 * 1/sqrt(count) with 32 fractional bits. Count 0 and 1 give exactly 1.0
 * (1 << 32); count >= 2 gives floor(sqrt(floor(2^64 / count))), below
 * 2^32 and less than 2^-32 below the true value.
 */
static inline uint64_t
codel_rec_inv_sqrt(const struct codel_vars *v)
{
	if (v->count <= 1)
		return UINT64_C(1) << 32;
	return v->rec_inv_sqrt;
}

static inline void
codel_update_rec_inv_sqrt(struct codel_vars *v)
{
	uint64_t q;

	if (v->count <= 1) {
		v->rec_inv_sqrt = 0; /* unused: codel_rec_inv_sqrt() returns 1.0 */
		return;
	}
	/* floor(2^64 / count) without 2^64: exact powers of two give exact roots. */
	q = UINT64_MAX / v->count + (UINT64_MAX % v->count == v->count - 1);
	v->rec_inv_sqrt = codel_isqrt64(q);
}

/* count += n without wrapping: a wrapped count would restart the control law at 1. */
static inline void
codel_vars_add_count(struct codel_vars *v, uint32_t n)
{
	v->count = n > UINT32_MAX - v->count ? UINT32_MAX : v->count + n;
	codel_update_rec_inv_sqrt(v);
}

/*
 * RFC 8289 §5.6 control_law(): t + interval / sqrt(count). The square-root
 * law makes the drop rate grow linearly in time (§3.3), which is what a
 * Reno/CUBIC sender's window needs to be pulled back to the target. The
 * 64x33-bit product is split so it cannot overflow: both partial products
 * are below 2^64 for any interval.
 */
static inline uint64_t
codel_control_law(uint64_t t, uint64_t interval, uint64_t rec_q32)
{
	uint64_t hi = (interval >> 32) * rec_q32;
	uint64_t lo = ((interval & UINT32_MAX) * rec_q32) >> 32;

	return t + hi + lo;
}

/* One dequeued packet as CoDel sees it. */
struct codel_pkt {
	void *pkt;
	uint64_t enqueue_ns;
	uint32_t len;
};

static inline void
codel_pull(void *ctx, const struct codel_ops *ops, struct codel_pkt *cp)
{
	cp->enqueue_ns = 0;
	cp->len = 0;
	cp->pkt = ops->dequeue(ctx, &cp->enqueue_ns, &cp->len);
}

/*
 * RFC 8289 §5.5 dodequeue(): is this packet's sojourn time above target,
 * and has it been so for at least one interval? Updates first_above_time
 * and ldelay.
 */
static inline bool
codel_should_drop(void *ctx, const struct codel_params *p, struct codel_vars *v,
		  struct codel_stats *st, const struct codel_ops *ops, const struct codel_pkt *cp,
		  uint64_t now)
{
	if (cp->pkt == NULL) {
		/* An empty queue cannot be above target. */
		v->first_above_time = 0;
		return false;
	}
	/* A timestamp from the future (caller bug) counts as no delay at all. */
	v->ldelay = now > cp->enqueue_ns ? now - cp->enqueue_ns : 0;
	if (cp->len > st->maxpacket)
		st->maxpacket = cp->len;

	/*
	 * Below target, or too little left to keep the link busy (§4.1
	 * non-starvation: with at most one MTU queued a drop could idle the
	 * link), so reset the window: delay must stay above target for a
	 * whole interval again before anything is dropped.
	 */
	if (v->ldelay < p->target_ns || ops->backlog(ctx) <= p->mtu) {
		v->first_above_time = 0;
		return false;
	}
	if (v->first_above_time == 0) {
		/* Just went above: start the interval (interval > 0, so never 0). */
		v->first_above_time = now + p->interval_ns;
		return false;
	}
	return now >= v->first_above_time;
}

/*
 * Congestion signal for one packet: CE mark when ECN is on and the packet
 * is ECN-capable (an ECN mark is CoDel's congestion signal for ECT
 * traffic, RFC 3168; RFC 8290 §5.2.6 makes it fq_codel's default),
 * else drop. Returns true if the packet was marked and must still be sent.
 */
static inline bool
codel_signal(void *ctx, const struct codel_params *p, struct codel_stats *st,
	     const struct codel_ops *ops, const struct codel_pkt *cp)
{
	if (p->ecn && ops->mark_ce != NULL && ops->mark_ce(ctx, cp->pkt)) {
		st->ecn_mark++;
		return true;
	}
	st->drop_count++;
	st->drop_len += cp->len;
	ops->drop(ctx, cp->pkt, cp->len);
	return false;
}

/*
 * RFC 8289 §5.5 dequeue(): return the next packet to send (NULL when the
 * queue is empty), dropping or marking per the control law on the way.
 * `*len` gets the returned packet's length. Every packet the container
 * hands over is either returned or passed to ops->drop.
 */
static inline void *
codel_dequeue(void *ctx, const struct codel_params *p, struct codel_vars *v, struct codel_stats *st,
	      const struct codel_ops *ops, uint64_t now, uint32_t *len)
{
	struct codel_pkt cp;
	bool drop;

	codel_pull(ctx, ops, &cp);
	if (cp.pkt == NULL) {
		/* An empty queue ends the dropping state (§5.5). */
		v->dropping = false;
		v->first_above_time = 0;
		return NULL;
	}
	drop = codel_should_drop(ctx, p, v, st, ops, &cp, now);

	if (v->dropping) {
		if (!drop) {
			/* Sojourn time fell below target: leave dropping state. */
			v->dropping = false;
		} else {
			/*
			 * Time for the next drop(s). A large backlog may make
			 * several due at once, hence the loop; each drop can
			 * take us out of dropping state.
			 */
			while (v->dropping && now >= v->drop_next) {
				codel_vars_add_count(v, 1);
				if (codel_signal(ctx, p, st, ops, &cp)) {
					/* Marked: send it, schedule the next signal. */
					v->drop_next = codel_control_law(
					    v->drop_next, p->interval_ns, codel_rec_inv_sqrt(v));
					break;
				}
				codel_pull(ctx, ops, &cp);
				if (!codel_should_drop(ctx, p, v, st, ops, &cp, now))
					v->dropping = false;
				else
					v->drop_next = codel_control_law(
					    v->drop_next, p->interval_ns, codel_rec_inv_sqrt(v));
			}
		}
	} else if (drop) {
		uint32_t delta;

		/* Above target for a whole interval: enter dropping state. */
		if (!codel_signal(ctx, p, st, ops, &cp)) {
			codel_pull(ctx, ops, &cp);
			/* Only for its bookkeeping (ldelay, first_above_time), as in §5.5. */
			(void)codel_should_drop(ctx, p, v, st, ops, &cp, now);
		}
		v->dropping = true;
		/*
		 * If we were dropping not long ago (drop_next is at most one
		 * interval after the last drop, so now - drop_next approximates
		 * the time since), the drop rate that controlled the queue then
		 * is a good start: resume from the count added during that
		 * episode instead of from 1. The 16-interval horizon is Linux's
		 * choice, which §5.5 adopts. Signed so that a drop_next still in
		 * the future counts as "recent".
		 */
		delta = v->count - v->lastcount;
		if (delta > 1 && (int64_t)(now - v->drop_next) < (int64_t)(16 * p->interval_ns))
			v->count = delta;
		else
			v->count = 1;
		codel_update_rec_inv_sqrt(v);
		v->lastcount = v->count;
		v->drop_next = codel_control_law(now, p->interval_ns, codel_rec_inv_sqrt(v));
	}
	if (cp.pkt != NULL && len != NULL)
		*len = cp.len;
	return cp.pkt;
}

#endif /* CAV_SCHED_CODEL_H */
