/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FQ-CoDel, RFC 8290: stochastic flow queues, deficit round robin between
 * them with new flows served first, and a CoDel instance per flow queue.
 * Behaviour follows Linux net/sched/sch_fq_codel.c where the RFC leaves a
 * choice; each such place says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "codel.h"
#include "fq_codel.h"

#define FQ_NIL UINT32_MAX

/* Per-packet storage, from the instance's pool. 24 bytes. */
struct fq_entry {
	void *pkt;
	uint64_t enqueue_ns;
	uint32_t len;
	uint32_t next; /* next entry in the flow (or free list), FQ_NIL at the end */
};

enum fq_list_id { FQ_LIST_NONE, FQ_LIST_NEW, FQ_LIST_OLD };

/* One flow queue: 40 bytes of CoDel state + 17 = one 64-byte cache line. */
struct fq_flow {
	struct codel_vars cvars;
	uint32_t head;	 /* first entry, FQ_NIL when empty */
	uint32_t tail;	 /* last entry, valid when head != FQ_NIL */
	uint32_t next;	 /* next flow on the same new/old list */
	int32_t deficit; /* DRR credit in bytes; may go negative by < one packet */
	uint8_t list;	 /* enum fq_list_id */
};

_Static_assert(sizeof(struct fq_entry) == 24, "fq_entry: 24 bytes per queued packet");
_Static_assert(sizeof(struct fq_flow) <= 64, "fq_flow: one cache line per flow");

/* A FIFO of flows, linked through fq_flow.next. */
struct fq_list {
	uint32_t head;
	uint32_t tail;
	uint32_t len;
};

struct fq_codel {
	struct fq_codel_params params;
	struct codel_params cparams;
	struct codel_stats cstats;
	struct fq_codel_stats st; /* sent, dropped, overlimit counters */
	struct fq_list new_flows;
	struct fq_list old_flows;
	uint64_t backlog_bytes;
	uint64_t memory_usage;
	uint32_t qlen;
	uint32_t free_head; /* free entry list */
	struct fq_flow *flows;
	uint64_t *backlogs; /* bytes per flow, apart so the fat-flow scan reads 8 B per flow */
	struct fq_entry *entries;
};

/* Context CoDel passes back to the callbacks below. */
struct fq_codel_cb {
	struct fq_codel *q;
	uint32_t idx;
};

void
fq_codel_params_default(struct fq_codel_params *p)
{
	*p = (struct fq_codel_params){
	    .limit = FQ_CODEL_DEFAULT_LIMIT,
	    .flows = FQ_CODEL_DEFAULT_FLOWS,
	    .quantum = FQ_CODEL_DEFAULT_QUANTUM,
	    .memory_limit = FQ_CODEL_DEFAULT_MEMORY_LIMIT,
	    .drop_batch = FQ_CODEL_DEFAULT_DROP_BATCH,
	    .mtu = CODEL_DEFAULT_MTU,
	    .mem_overhead = 0,
	    .target_ns = CODEL_DEFAULT_TARGET_NS,
	    .interval_ns = CODEL_DEFAULT_INTERVAL_NS,
	    .ecn = true, /* RFC 8290 §5.2.6: ECN on by default */
	};
}

int
fq_codel_params_check(const struct fq_codel_params *p)
{
	if (p == NULL || p->ops.free == NULL)
		return -EINVAL;
	if (p->limit < 1 || p->limit > FQ_CODEL_LIMIT_MAX)
		return -EINVAL;
	if (p->flows < 1 || p->flows > FQ_CODEL_FLOWS_MAX)
		return -EINVAL;
	if (p->quantum < FQ_CODEL_QUANTUM_MIN || p->quantum > FQ_CODEL_QUANTUM_MAX)
		return -EINVAL;
	if (p->memory_limit < 1 || p->drop_batch < 1)
		return -EINVAL;
	if (p->target_ns < 1 || p->target_ns > FQ_CODEL_TIME_MAX_NS)
		return -EINVAL;
	if (p->interval_ns < 1 || p->interval_ns > FQ_CODEL_TIME_MAX_NS)
		return -EINVAL;
	return 0;
}

static void
fq_list_init(struct fq_list *l)
{
	l->head = FQ_NIL;
	l->tail = FQ_NIL;
	l->len = 0;
}

static void
fq_list_push_tail(struct fq_codel *q, struct fq_list *l, uint8_t id, uint32_t idx)
{
	struct fq_flow *f = &q->flows[idx];

	f->next = FQ_NIL;
	f->list = id;
	if (l->head == FQ_NIL)
		l->head = idx;
	else
		q->flows[l->tail].next = idx;
	l->tail = idx;
	l->len++;
}

/* Only ever the head leaves a list: DRR always works on the first flow. */
static uint32_t
fq_list_pop_head(struct fq_codel *q, struct fq_list *l)
{
	uint32_t idx = l->head;
	struct fq_flow *f = &q->flows[idx];

	l->head = f->next;
	if (l->head == FQ_NIL)
		l->tail = FQ_NIL;
	l->len--;
	f->next = FQ_NIL;
	f->list = FQ_LIST_NONE;
	return idx;
}

struct fq_codel *
fq_codel_create(const struct fq_codel_params *p)
{
	struct fq_codel *q;
	uint32_t i;

	if (fq_codel_params_check(p) != 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		goto nomem;
	q->flows = calloc(p->flows, sizeof(*q->flows));
	q->backlogs = calloc(p->flows, sizeof(*q->backlogs));
	/*
	 * limit + 1 entries: like Linux, the arriving packet is linked first
	 * and the fattest flow trimmed afterwards, so the queue briefly holds
	 * limit + 1 packets and the newcomer competes on equal terms.
	 */
	q->entries = calloc((size_t)p->limit + 1, sizeof(*q->entries));
	if (q->flows == NULL || q->backlogs == NULL || q->entries == NULL)
		goto nomem;

	q->params = *p;
	q->cparams = (struct codel_params){
	    .target_ns = p->target_ns,
	    .interval_ns = p->interval_ns,
	    .mtu = p->mtu,
	    .ecn = p->ecn,
	};
	fq_list_init(&q->new_flows);
	fq_list_init(&q->old_flows);
	for (i = 0; i < p->flows; i++) {
		q->flows[i].head = FQ_NIL;
		q->flows[i].tail = FQ_NIL;
		q->flows[i].next = FQ_NIL;
		q->flows[i].list = FQ_LIST_NONE;
		codel_vars_init(&q->flows[i].cvars);
	}
	for (i = 0; i < p->limit; i++)
		q->entries[i].next = i + 1;
	q->entries[p->limit].next = FQ_NIL;
	q->free_head = 0;
	return q;

nomem:
	if (q != NULL) {
		free(q->flows);
		free(q->backlogs);
		free(q->entries);
		free(q);
	}
	errno = ENOMEM;
	return NULL;
}

/* Unlink the head entry of flow idx and account for it leaving; returns the entry. */
static struct fq_entry *
fq_flow_pop(struct fq_codel *q, uint32_t idx)
{
	struct fq_flow *f = &q->flows[idx];
	uint32_t e = f->head;
	struct fq_entry *ent = &q->entries[e];

	f->head = ent->next;
	q->backlogs[idx] -= ent->len;
	q->backlog_bytes -= ent->len;
	q->memory_usage -= (uint64_t)ent->len + q->params.mem_overhead;
	q->qlen--;
	/* Back on the free list; the caller reads the fields before the next push. */
	ent->next = q->free_head;
	q->free_head = e;
	return ent;
}

void
fq_codel_free(struct fq_codel *q)
{
	uint32_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->params.flows; i++) {
		while (q->flows[i].head != FQ_NIL) {
			struct fq_entry *ent = fq_flow_pop(q, i);

			q->params.ops.free(ent->pkt);
		}
	}
	free(q->flows);
	free(q->backlogs);
	free(q->entries);
	free(q);
}

uint32_t
fq_codel_flow_index(const struct fq_codel *q, uint32_t hash)
{
	/* Linux reciprocal_scale(): uniform over flows without a division. */
	return (uint32_t)(((uint64_t)hash * q->params.flows) >> 32);
}

/*
 * Linux fq_codel_drop(): the queue is over limit or memory_limit. Find the
 * flow with the largest byte backlog (RFC 8290 §4.1: drop from the
 * largest queue, so that the flows causing the overload pay for it) and
 * drop from its head until half its backlog is gone or max_packets went.
 * The scan reads 8 bytes per flow; batching amortises it over up to
 * drop_batch drops instead of one per arriving packet. Returns the number
 * of packets dropped (>= 1).
 */
static uint32_t
fq_codel_drop_fattest(struct fq_codel *q, uint32_t max_packets)
{
	uint64_t maxbacklog = 0, threshold, len = 0;
	uint32_t i, idx = 0, n = 0;

	for (i = 0; i < q->params.flows; i++) {
		if (q->backlogs[i] > maxbacklog) {
			maxbacklog = q->backlogs[i];
			idx = i;
		}
	}
	threshold = maxbacklog >> 1;
	do {
		struct fq_entry *ent = fq_flow_pop(q, idx);

		len += ent->len;
		q->params.ops.free(ent->pkt);
	} while (++n < max_packets && len < threshold && q->flows[idx].head != FQ_NIL);

	/* Tell this flow's CoDel to signal harder, as Linux does. */
	codel_vars_add_count(&q->flows[idx].cvars, n);
	q->st.dropped += n;
	return n;
}

int
fq_codel_enqueue(struct fq_codel *q, void *pkt, uint32_t len, uint32_t hash, uint64_t now)
{
	uint32_t idx, e, dropped;
	struct fq_entry *ent;
	struct fq_flow *f;
	bool memory_limited;

	if (q == NULL || pkt == NULL || len == 0)
		return -EINVAL;

	/* Invariant: qlen <= limit between calls, so one of limit + 1 entries is free. */
	e = q->free_head;
	ent = &q->entries[e];
	q->free_head = ent->next;
	*ent = (struct fq_entry){.pkt = pkt, .enqueue_ns = now, .len = len, .next = FQ_NIL};

	idx = fq_codel_flow_index(q, hash);
	f = &q->flows[idx];
	if (f->head == FQ_NIL)
		f->head = e;
	else
		q->entries[f->tail].next = e;
	f->tail = e;
	q->backlogs[idx] += len;
	q->backlog_bytes += len;
	q->memory_usage += (uint64_t)len + q->params.mem_overhead;
	q->qlen++;

	/*
	 * RFC 8290 §4.1: a flow not on either list becomes a new flow with a
	 * full quantum. A flow still on the old list (even if momentarily
	 * empty) stays there: that keeps a flow from earning new-flow
	 * priority by emptying and refilling between dequeues.
	 */
	if (f->list == FQ_LIST_NONE) {
		fq_list_push_tail(q, &q->new_flows, FQ_LIST_NEW, idx);
		q->st.new_flow_count++;
		f->deficit = (int32_t)q->params.quantum;
	}

	memory_limited = q->memory_usage > q->params.memory_limit;
	if (q->qlen <= q->params.limit && !memory_limited)
		return 0;

	dropped = fq_codel_drop_fattest(q, q->params.drop_batch);
	q->st.drop_overlimit += dropped;
	if (memory_limited)
		q->st.drop_overmemory += dropped;
	return (int)dropped;
}

/* codel_ops for one flow: the flow's FIFO, the whole instance's backlog. */
static void *
fq_cb_dequeue(void *ctx, uint64_t *enqueue_ns, uint32_t *len)
{
	struct fq_codel_cb *cb = ctx;
	struct fq_entry *ent;

	if (cb->q->flows[cb->idx].head == FQ_NIL)
		return NULL;
	ent = fq_flow_pop(cb->q, cb->idx);
	*enqueue_ns = ent->enqueue_ns;
	*len = ent->len;
	return ent->pkt;
}

/*
 * The "at most one MTU queued" rule looks at the whole instance, as Linux
 * passes sch->qstats.backlog: a flow holding a single packet is still
 * subject to CoDel while the link has other work.
 */
static uint64_t
fq_cb_backlog(void *ctx)
{
	const struct fq_codel_cb *cb = ctx;

	return cb->q->backlog_bytes;
}

static void
fq_cb_drop(void *ctx, void *pkt, uint32_t len)
{
	struct fq_codel_cb *cb = ctx;

	(void)len;
	cb->q->st.dropped++;
	cb->q->params.ops.free(pkt);
}

static bool
fq_cb_mark_ce(void *ctx, void *pkt)
{
	const struct fq_codel_cb *cb = ctx;

	return cb->q->params.ops.mark_ce != NULL && cb->q->params.ops.mark_ce(pkt);
}

static const struct codel_ops fq_codel_codel_ops = {
    .dequeue = fq_cb_dequeue,
    .backlog = fq_cb_backlog,
    .drop = fq_cb_drop,
    .mark_ce = fq_cb_mark_ce,
};

/*
 * RFC 8290 §4.2. Serve the first flow of the new list, else of the old
 * list. A flow whose deficit is spent gets another quantum and goes to
 * the tail of the old list; that is also how a new flow that used its
 * first quantum becomes an old one. A flow found empty leaves: from the
 * new list it moves to the old list (so it cannot come back as new
 * straight away and starve the old flows), from the old list it is
 * removed. Linux drops the empty new flow directly when the old list is
 * empty; we keep the RFC's rule, which only costs one more pass.
 */
void *
fq_codel_dequeue(struct fq_codel *q, uint64_t now, uint32_t *len)
{
	struct fq_codel_cb cb = {.q = q};
	struct fq_list *l;
	struct fq_flow *f;
	uint32_t plen = 0;
	void *pkt;

	if (q == NULL)
		return NULL;
	for (;;) {
		if (q->new_flows.head != FQ_NIL)
			l = &q->new_flows;
		else if (q->old_flows.head != FQ_NIL)
			l = &q->old_flows;
		else
			return NULL;
		cb.idx = l->head;
		f = &q->flows[cb.idx];

		if (f->deficit <= 0) {
			f->deficit += (int32_t)q->params.quantum;
			fq_list_pop_head(q, l);
			fq_list_push_tail(q, &q->old_flows, FQ_LIST_OLD, cb.idx);
			continue;
		}
		pkt = codel_dequeue(&cb, &q->cparams, &f->cvars, &q->cstats, &fq_codel_codel_ops,
				    now, &plen);
		if (pkt == NULL) {
			fq_list_pop_head(q, l);
			if (l == &q->new_flows)
				fq_list_push_tail(q, &q->old_flows, FQ_LIST_OLD, cb.idx);
			continue;
		}
		/* plen <= 4 GiB - 1 and deficit <= quantum: no int32 underflow for sane sizes. */
		f->deficit -= plen > INT32_MAX ? INT32_MAX : (int32_t)plen;
		q->st.sent_packets++;
		q->st.sent_bytes += plen;
		if (len != NULL)
			*len = plen;
		return pkt;
	}
}

uint32_t
fq_codel_backlog(const struct fq_codel *q, uint64_t *bytes)
{
	if (bytes != NULL)
		*bytes = q != NULL ? q->backlog_bytes : 0;
	return q != NULL ? q->qlen : 0;
}

void
fq_codel_stats_get(const struct fq_codel *q, struct fq_codel_stats *st)
{
	*st = q->st;
	st->overlimits = 0;
	st->requeues = 0;
	st->ecn_mark = q->cstats.ecn_mark;
	st->maxpacket = q->cstats.maxpacket;
	st->backlog_bytes = q->backlog_bytes;
	st->backlog_packets = q->qlen;
	st->memory_usage = q->memory_usage;
	st->new_flows_len = q->new_flows.len;
	st->old_flows_len = q->old_flows.len;
}

const struct fq_codel_params *
fq_codel_params_get(const struct fq_codel *q)
{
	return &q->params;
}

/* iproute2 sprint_time64(): "%.3g" in the largest unit not above the value. */
int
sched_format_time(char *buf, size_t buflen, uint64_t ns)
{
	if (ns >= UINT64_C(1000000000))
		return snprintf(buf, buflen, "%.3gs", (double)ns / 1e9);
	if (ns >= UINT64_C(1000000))
		return snprintf(buf, buflen, "%.3gms", (double)ns / 1e6);
	if (ns >= UINT64_C(1000))
		return snprintf(buf, buflen, "%.3gus", (double)ns / 1e3);
	return snprintf(buf, buflen, "%" PRIu64 "ns", ns);
}

/* iproute2 sprint_size(): Mb or Kb (binary units) when within 1 KiB / 16 B of a whole one. */
int
sched_format_size(char *buf, size_t buflen, uint64_t bytes)
{
	const uint64_t mib = UINT64_C(1) << 20, kib = UINT64_C(1) << 10;
	uint64_t m = (bytes + mib / 2) / mib, k = (bytes + kib / 2) / kib;

	if (bytes >= mib && (m * mib > bytes ? m * mib - bytes : bytes - m * mib) < kib)
		return snprintf(buf, buflen, "%" PRIu64 "Mb", m);
	if (bytes >= kib && (k * kib > bytes ? k * kib - bytes : bytes - k * kib) < 16)
		return snprintf(buf, buflen, "%" PRIu64 "Kb", k);
	return snprintf(buf, buflen, "%" PRIu64 "b", bytes);
}

int
fq_codel_stats_format(const struct fq_codel *q, const char *dev, char *buf, size_t buflen)
{
	const struct fq_codel_params *p;
	struct fq_codel_stats st;
	char target[32], interval[32], mem[32];

	if (q == NULL || (buf == NULL && buflen > 0))
		return -EINVAL;
	p = &q->params;
	fq_codel_stats_get(q, &st);
	sched_format_time(target, sizeof(target), p->target_ns);
	sched_format_time(interval, sizeof(interval), p->interval_ns);
	sched_format_size(mem, sizeof(mem), p->memory_limit);
	return snprintf(
	    buf, buflen,
	    "qdisc fq_codel 0: dev %s root refcnt 2 limit %" PRIu32 "p flows %" PRIu32
	    " quantum %" PRIu32 " target %s interval %s memory_limit %s %sdrop_batch %" PRIu32 "\n"
	    " Sent %" PRIu64 " bytes %" PRIu64 " pkt (dropped %" PRIu64 ", overlimits %" PRIu64
	    " requeues %" PRIu64 ")\n"
	    " backlog %" PRIu64 "b %" PRIu32 "p requeues %" PRIu64 "\n"
	    "  maxpacket %" PRIu32 " drop_overlimit %" PRIu64 " new_flow_count %" PRIu64
	    " ecn_mark %" PRIu64 " drop_overmemory %" PRIu64 "\n"
	    "  new_flows_len %" PRIu32 " old_flows_len %" PRIu32 "\n",
	    dev != NULL ? dev : "?", p->limit, p->flows, p->quantum, target, interval, mem,
	    p->ecn ? "ecn " : "", p->drop_batch, st.sent_bytes, st.sent_packets, st.dropped,
	    st.overlimits, st.requeues, st.backlog_bytes, st.backlog_packets, st.requeues,
	    st.maxpacket, st.drop_overlimit, st.new_flow_count, st.ecn_mark, st.drop_overmemory,
	    st.new_flows_len, st.old_flows_len);
}
