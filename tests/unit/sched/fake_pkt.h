/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counting fake packets for the scheduler tests: every packet is a heap
 * object (so ASan sees leaks and double frees) and its pool counts how it
 * ended - dequeued by the test, freed by a scheduler drop, or freed at
 * teardown. fake_pool_assert_balanced() is the leak check.
 */
#ifndef CAV_TEST_FAKE_PKT_H
#define CAV_TEST_FAKE_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* ECN field values, RFC 3168 §5. */
#define ECN_NOT_ECT 0u
#define ECN_ECT1 1u
#define ECN_ECT0 2u
#define ECN_CE 3u

struct fake_pool {
	uint64_t allocated;
	uint64_t dequeued;
	uint64_t freed_by_drop;
	uint64_t freed_at_teardown;
	uint64_t next_id;
	bool teardown; /* set before freeing the scheduler */
};

struct fake_pkt {
	struct fake_pool *pool;
	uint64_t id;
	uint32_t flow; /* test's own flow label */
	uint32_t len;
	uint8_t ecn;
};

static inline struct fake_pkt *
fake_pkt_new(struct fake_pool *pool, uint32_t flow, uint32_t len, uint8_t ecn)
{
	struct fake_pkt *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->pool = pool;
	p->id = pool->next_id++;
	p->flow = flow;
	p->len = len;
	p->ecn = ecn;
	pool->allocated++;
	return p;
}

/* fq_codel_ops.free */
static inline void
fake_pkt_free(void *pkt)
{
	struct fake_pkt *p = pkt;

	if (p->pool->teardown)
		p->pool->freed_at_teardown++;
	else
		p->pool->freed_by_drop++;
	free(p);
}

/* fq_codel_ops.mark_ce: INET_ECN_set_ce() semantics. */
static inline bool
fake_pkt_mark_ce(void *pkt)
{
	struct fake_pkt *p = pkt;

	if (p->ecn == ECN_NOT_ECT)
		return false;
	p->ecn = ECN_CE;
	return true;
}

/* The test took the packet out of the scheduler and is done with it. */
static inline void
fake_pkt_consume(struct fake_pkt *p)
{
	p->pool->dequeued++;
	free(p);
}

static inline bool
fake_pool_balanced(const struct fake_pool *pool)
{
	return pool->allocated == pool->dequeued + pool->freed_by_drop + pool->freed_at_teardown;
}

/* xorshift64*: deterministic across libcs, seeded and printed by the tests that use it. */
static inline uint64_t
test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

#endif /* CAV_TEST_FAKE_PKT_H */
