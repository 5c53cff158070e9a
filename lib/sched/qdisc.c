/* SPDX-License-Identifier: BSD-3-Clause */
/* A TX queue's qdisc: FIFO | fq_codel | DSCP bands, behind an optional shaper. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_err.h"
#include "qdisc.h"

struct fifo_ent {
	void *pkt;
	uint32_t len;
};

/* Linux pfifo: tail drop at `limit` packets. */
struct fifo {
	struct fifo_ent *ring;
	uint32_t limit, head, count;
	uint64_t bytes;
};

struct qdisc {
	struct qdisc_conf conf;
	struct qdisc_ops ops;
	struct fq_codel *fq; /* FQ_CODEL */
	struct prio *prio;   /* BANDS */
	struct fifo fifo;    /* FIFO */
	bool shaped;
	bool held_waiting; /* `held` already counted as an overlimit */
	struct shaper shaper;
	struct shaper_shared *ss; /* the port's shared bucket, or NULL: `shaper` */
	void *held; /* taken from the scheduler, waiting for shaper credit */
	uint32_t held_len;
	/* Requeue list: a ring, oldest (next to leave) at rq_head. */
	void *rq_pkt[QDISC_REQUEUE_MAX];
	uint32_t rq_len[QDISC_REQUEUE_MAX];
	uint32_t rq_head, rq_count;
	uint64_t rq_bytes;
	struct qdisc_stats st; /* root counters; backlog and bands filled on read */
};

static void
no_free(void *pkt)
{
	(void)pkt;
}

void
qdisc_conf_default(struct qdisc_conf *c)
{
	*c = (struct qdisc_conf){.kind = QDISC_KIND_FQ_CODEL};
	fq_codel_params_default(&c->fq_codel);
	prio_map_default(&c->bands, 3);
	c->fifo.limit = QDISC_FIFO_DEFAULT_LIMIT;
}

int
qdisc_conf_check(const struct qdisc_conf *c, char *err, size_t errlen)
{
	struct fq_codel_params p;
	unsigned d;

	if (c == NULL)
		return sched_err(err, errlen, "no configuration");
	if (c->shaper.rate_bps != 0 &&
	    (c->shaper.rate_bps > SHAPER_RATE_MAX || c->shaper.burst_bytes < QDISC_SHAPER_BURST_MIN ||
	     c->shaper.burst_bytes > SHAPER_BURST_MAX))
		return sched_err(err, errlen, "shaper rate or burst out of range");
	switch (c->kind) {
	case QDISC_KIND_FIFO:
		if (c->fifo.limit < 1 || c->fifo.limit > FQ_CODEL_LIMIT_MAX)
			return sched_err(err, errlen, "fifo limit out of range 1..%u",
					FQ_CODEL_LIMIT_MAX);
		return 0;
	case QDISC_KIND_BANDS:
		if (c->bands.bands < 1 || c->bands.bands > PRIO_BANDS_MAX)
			return sched_err(err, errlen, "bands out of range 1..%u", PRIO_BANDS_MAX);
		for (d = 0; d < PRIO_DSCP_COUNT; d++)
			if (c->bands.band[d] >= c->bands.bands)
				return sched_err(err, errlen, "band map sends DSCP %u to band %u of %u",
						d, c->bands.band[d], c->bands.bands);
		/* Every band is an fq_codel. */
		__attribute__((fallthrough));
	case QDISC_KIND_FQ_CODEL:
		p = c->fq_codel;
		p.ops.free = no_free;
		if (fq_codel_params_check(&p) != 0)
			return sched_err(err, errlen, "fq_codel parameter out of range");
		if (p.drop_batch > p.limit)
			return sched_err(err, errlen, "drop_batch %u above limit %u", p.drop_batch,
					p.limit);
		return 0;
	default:
		return sched_err(err, errlen, "'%s' is not a scheduler (fq_codel, bands or fifo)",
				qdisc_kind_name(c->kind));
	}
}

void
qdisc_conf_apply(struct qdisc_conf *running, const struct qdisc_conf *parsed)
{
	switch (parsed->kind) {
	case QDISC_KIND_SHAPER:
		running->shaper = parsed->shaper;
		break;
	case QDISC_KIND_FQ_CODEL:
		running->kind = QDISC_KIND_FQ_CODEL;
		running->fq_codel = parsed->fq_codel;
		break;
	case QDISC_KIND_BANDS:
		running->kind = QDISC_KIND_BANDS;
		running->bands = parsed->bands;
		break;
	case QDISC_KIND_FIFO:
		running->kind = QDISC_KIND_FIFO;
		running->fifo = parsed->fifo;
		break;
	default:
		break;
	}
}

struct qdisc *
qdisc_create(const struct qdisc_conf *c, const struct qdisc_ops *ops, uint32_t mem_overhead,
	     uint64_t now)
{
	struct fq_codel_params p;
	struct qdisc *q;

	if (qdisc_conf_check(c, NULL, 0) != 0 || ops == NULL || ops->free == NULL ||
	    (c->kind != QDISC_KIND_FIFO && ops->classify == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	q->conf = *c;
	q->ops = *ops;
	p = c->fq_codel;
	p.ops.free = ops->free;
	p.ops.mark_ce = ops->mark_ce;
	p.mem_overhead = mem_overhead;
	q->conf.fq_codel.ops = p.ops;
	switch (c->kind) {
	case QDISC_KIND_FQ_CODEL:
		q->fq = fq_codel_create(&p);
		break;
	case QDISC_KIND_BANDS:
		q->prio = prio_create(&c->bands, &p);
		break;
	default:
		q->fifo.limit = c->fifo.limit;
		q->fifo.ring = calloc(c->fifo.limit, sizeof(*q->fifo.ring));
		break;
	}
	if (q->fq == NULL && q->prio == NULL && q->fifo.ring == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	if (c->shaper.rate_bps != 0) {
		q->shaped = true;
		shaper_init(&q->shaper, c->shaper.rate_bps, c->shaper.burst_bytes, now);
	}
	return q;
}

static void *
fifo_pop(struct fifo *f, uint32_t *len)
{
	struct fifo_ent *e;

	if (f->count == 0)
		return NULL;
	e = &f->ring[f->head];
	f->head = f->head + 1 == f->limit ? 0 : f->head + 1;
	f->count--;
	f->bytes -= e->len;
	*len = e->len;
	return e->pkt;
}

/* The scheduler alone: no shaper, no requeue list. */
static void *
sched_dequeue(struct qdisc *q, uint64_t now, uint32_t *len)
{
	if (q->fq != NULL)
		return fq_codel_dequeue(q->fq, now, len);
	if (q->prio != NULL)
		return prio_dequeue(q->prio, now, len, NULL);
	return fifo_pop(&q->fifo, len);
}

static uint32_t
sched_backlog(const struct qdisc *q, uint64_t *bytes)
{
	if (q->fq != NULL)
		return fq_codel_backlog(q->fq, bytes);
	if (q->prio != NULL)
		return prio_backlog(q->prio, bytes);
	*bytes = q->fifo.bytes;
	return q->fifo.count;
}

/* Packets dropped by the schedulers themselves, so far. */
static uint64_t
sched_dropped(const struct qdisc *q)
{
	struct fq_codel_stats fs;
	uint64_t n = 0;
	unsigned b;

	if (q->fq != NULL) {
		fq_codel_stats_get(q->fq, &fs);
		n = fs.dropped;
	}
	for (b = 0; q->prio != NULL && b < prio_bands(q->prio); b++) {
		fq_codel_stats_get(prio_band(q->prio, b), &fs);
		n += fs.dropped;
	}
	return n;
}

void
qdisc_free(struct qdisc *q)
{
	uint32_t len;
	void *pkt;

	if (q == NULL)
		return;
	while (q->rq_count > 0) {
		q->ops.free(q->rq_pkt[q->rq_head]);
		q->rq_head = (q->rq_head + 1) % QDISC_REQUEUE_MAX;
		q->rq_count--;
	}
	if (q->held != NULL)
		q->ops.free(q->held);
	fq_codel_free(q->fq);
	prio_free(q->prio);
	while ((pkt = fifo_pop(&q->fifo, &len)) != NULL)
		q->ops.free(pkt);
	free(q->fifo.ring);
	free(q);
}

int
qdisc_enqueue(struct qdisc *q, void *pkt, uint32_t len, uint64_t now)
{
	uint32_t hash = 0;
	uint8_t dscp = 0;
	struct fifo *f = &q->fifo;
	uint32_t tail;

	if (len == 0)
		return -EINVAL;
	if (q->fq != NULL) {
		q->ops.classify(pkt, &hash, &dscp);
		return fq_codel_enqueue(q->fq, pkt, len, hash, now);
	}
	if (q->prio != NULL) {
		q->ops.classify(pkt, &hash, &dscp);
		return prio_enqueue(q->prio, pkt, len, hash, dscp & (PRIO_DSCP_COUNT - 1), now);
	}
	if (f->count == f->limit) {
		/* pfifo: the arriving packet is the one dropped. */
		q->ops.free(pkt);
		q->st.dropped++;
		return 1;
	}
	tail = f->head + f->count;
	if (tail >= f->limit)
		tail -= f->limit;
	f->ring[tail] = (struct fifo_ent){.pkt = pkt, .len = len};
	f->count++;
	f->bytes += len;
	return 0;
}

int
shaper_shared_init(struct shaper_shared *ss, uint64_t rate_bps, uint64_t burst_bytes,
		   uint64_t now)
{
	while (atomic_flag_test_and_set_explicit(&ss->lock, memory_order_acquire))
		;
	int rc = shaper_init(&ss->s, rate_bps, burst_bytes, now);
	atomic_flag_clear_explicit(&ss->lock, memory_order_release);
	return rc;
}

void
qdisc_share_shaper(struct qdisc *q, struct shaper_shared *ss)
{
	q->ss = ss;
}

/* Credit for `len` bytes from the instance's bucket or the port's. */
static bool
shaper_take(struct qdisc *q, uint32_t len, uint64_t now)
{
	if (q->ss == NULL)
		return shaper_conform(&q->shaper, len, now);
	/* acquire/release: the bucket's state moves between lcores only
	 * under the lock. */
	while (atomic_flag_test_and_set_explicit(&q->ss->lock, memory_order_acquire))
		;
	bool ok = shaper_conform(&q->ss->s, len, now);
	atomic_flag_clear_explicit(&q->ss->lock, memory_order_release);
	return ok;
}

void *
qdisc_dequeue(struct qdisc *q, uint64_t now, uint32_t *len)
{
	uint32_t plen;
	void *pkt;

	if (q->rq_count > 0) {
		/* Refused by the NIC last time: first out, already paid for. */
		pkt = q->rq_pkt[q->rq_head];
		plen = q->rq_len[q->rq_head];
		q->rq_head = (q->rq_head + 1) % QDISC_REQUEUE_MAX;
		q->rq_count--;
		q->rq_bytes -= plen;
	} else if (!q->shaped) {
		pkt = sched_dequeue(q, now, &plen);
		if (pkt == NULL)
			return NULL;
	} else {
		if (q->held == NULL) {
			q->held = sched_dequeue(q, now, &q->held_len);
			if (q->held == NULL)
				return NULL;
		}
		if (!shaper_take(q, q->held_len, now)) {
			if (!q->held_waiting) {
				q->held_waiting = true;
				q->st.overlimits++;
			}
			return NULL;
		}
		pkt = q->held;
		plen = q->held_len;
		q->held = NULL;
		q->held_waiting = false;
	}
	q->st.sent_packets++;
	q->st.sent_bytes += plen;
	if (len != NULL)
		*len = plen;
	return pkt;
}

unsigned
qdisc_requeue(struct qdisc *q, void *const *pkts, const uint32_t *lens, unsigned n)
{
	unsigned i, room = QDISC_REQUEUE_MAX - q->rq_count;

	if (n > room)
		n = room;
	/* Push the newest first, each in front of the list: order is kept. */
	for (i = n; i-- > 0;) {
		q->rq_head = (q->rq_head + QDISC_REQUEUE_MAX - 1) % QDISC_REQUEUE_MAX;
		q->rq_pkt[q->rq_head] = pkts[i];
		q->rq_len[q->rq_head] = lens[i];
		q->rq_count++;
		q->rq_bytes += lens[i];
		q->st.sent_packets--;
		q->st.sent_bytes -= lens[i];
	}
	q->st.requeues += n;
	return n;
}

void
qdisc_count_drops(struct qdisc *q, uint64_t n)
{
	q->st.dropped += n;
}

bool
qdisc_can_bypass(const struct qdisc *q)
{
	uint64_t b;
	return !q->shaped && q->rq_count == 0 && q->held == NULL && sched_backlog(q, &b) == 0;
}

void
qdisc_count_bypass(struct qdisc *q, uint64_t pkts, uint64_t bytes)
{
	q->st.sent_packets += pkts;
	q->st.sent_bytes += bytes;
}

uint32_t
qdisc_backlog(const struct qdisc *q, uint64_t *bytes)
{
	uint64_t b;
	uint32_t n = sched_backlog(q, &b);

	n += q->rq_count + (q->held != NULL);
	b += q->rq_bytes + (q->held != NULL ? q->held_len : 0);
	if (bytes != NULL)
		*bytes = b;
	return n;
}

void
qdisc_stats_get(const struct qdisc *q, struct qdisc_stats *st)
{
	unsigned b;

	*st = q->st;
	st->dropped += sched_dropped(q);
	st->backlog_packets = qdisc_backlog(q, &st->backlog_bytes);
	st->n_bands = 0;
	if (q->fq != NULL) {
		fq_codel_stats_get(q->fq, &st->band[0]);
		st->n_bands = 1;
	}
	for (b = 0; q->prio != NULL && b < prio_bands(q->prio); b++)
		fq_codel_stats_get(prio_band(q->prio, b), &st->band[st->n_bands++]);
}

const struct qdisc_conf *
qdisc_conf_get(const struct qdisc *q)
{
	return &q->conf;
}

uint32_t
qdisc_migrate(struct qdisc *from, struct qdisc *to, uint64_t now)
{
	uint64_t dropped_before = sched_dropped(from);
	uint32_t before = qdisc_backlog(to, NULL), len;
	void *pkt;

	/*
	 * Requeued packets are the oldest: they keep their place at the head.
	 * `to` is new, so its list is empty and as long as `from`'s: all fit.
	 */
	while (from->rq_count > 0 && to->rq_count < QDISC_REQUEUE_MAX) {
		uint32_t tail = (to->rq_head + to->rq_count) % QDISC_REQUEUE_MAX;

		to->rq_pkt[tail] = from->rq_pkt[from->rq_head];
		to->rq_len[tail] = from->rq_len[from->rq_head];
		to->rq_bytes += to->rq_len[tail];
		to->rq_count++;
		from->rq_head = (from->rq_head + 1) % QDISC_REQUEUE_MAX;
		from->rq_count--;
	}
	/*
	 * The held packet is the head of its flow: it goes in first so the
	 * flow's order is kept. Then the scheduler in its own dequeue order,
	 * which keeps every flow's order too.
	 */
	pkt = from->held;
	len = from->held_len;
	from->held = NULL;
	for (;;) {
		if (pkt == NULL)
			pkt = sched_dequeue(from, now, &len);
		if (pkt == NULL)
			break;
		/* Overflow drops in `to` (if it is smaller) count there. */
		(void)qdisc_enqueue(to, pkt, len, now);
		pkt = NULL;
	}
	/* CoDel drops while draining happened in `from`: report them in `to`. */
	to->st.dropped += sched_dropped(from) - dropped_before;
	return qdisc_backlog(to, NULL) - before;
}
