/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CoDel (codel.h) on a fake clock, through a minimal FIFO container the
 * test owns: the container is what codel.h is written against, so this is
 * also the proof that it needs nothing but the callbacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "codel.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)
#define FIFO_CAP 4096
#define MAX_DROPS 256

struct tpkt {
	uint64_t enq_ns;
	uint32_t len;
	bool ect;
	bool ce;
};

/* The container: a ring of packets, a drop log, and the fake clock. */
struct fifo {
	struct tpkt *ring[FIFO_CAP];
	unsigned head, count;
	uint64_t bytes;
	uint64_t now; /* fake clock, read by the drop log only */
	uint64_t drop_times[MAX_DROPS];
	unsigned drops;
	uint64_t allocated, freed, sent;
};

static void
fifo_push(struct fifo *f, uint32_t len, bool ect)
{
	struct tpkt *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_true(f->count < FIFO_CAP);
	p->enq_ns = f->now;
	p->len = len;
	p->ect = ect;
	f->ring[(f->head + f->count) % FIFO_CAP] = p;
	f->count++;
	f->bytes += len;
	f->allocated++;
}

static void *
fifo_dequeue(void *ctx, uint64_t *enqueue_ns, uint32_t *len)
{
	struct fifo *f = ctx;
	struct tpkt *p;

	if (f->count == 0)
		return NULL;
	p = f->ring[f->head];
	f->head = (f->head + 1) % FIFO_CAP;
	f->count--;
	f->bytes -= p->len;
	*enqueue_ns = p->enq_ns;
	*len = p->len;
	return p;
}

static uint64_t
fifo_backlog(void *ctx)
{
	return ((struct fifo *)ctx)->bytes;
}

static void
fifo_drop(void *ctx, void *pkt, uint32_t len)
{
	struct fifo *f = ctx;

	(void)len;
	if (f->drops < MAX_DROPS)
		f->drop_times[f->drops] = f->now;
	f->drops++;
	f->freed++;
	free(pkt);
}

static bool
fifo_mark_ce(void *ctx, void *pkt)
{
	struct tpkt *p = pkt;

	(void)ctx;
	if (!p->ect)
		return false;
	p->ce = true;
	return true;
}

static const struct codel_ops fifo_ops = {
    .dequeue = fifo_dequeue,
    .backlog = fifo_backlog,
    .drop = fifo_drop,
    .mark_ce = fifo_mark_ce,
};

struct sim {
	struct fifo f;
	struct codel_params p;
	struct codel_vars v;
	struct codel_stats st;
	uint64_t marks_seen;
};

static struct sim *
sim_new(bool ecn)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	codel_params_default(&s->p);
	s->p.ecn = ecn;
	codel_vars_init(&s->v);
	return s;
}

static void
sim_free(struct sim *s)
{
	while (s->f.count > 0) {
		uint64_t t;
		uint32_t l;

		free(fifo_dequeue(&s->f, &t, &l));
		s->f.freed++;
	}
	/* Leak check: every packet was sent, dropped or freed here. */
	assert_int_equal(s->f.allocated, s->f.sent + s->f.freed);
	free(s);
}

/* One CoDel dequeue at the fake clock; the packet is "sent". */
static bool
sim_dequeue(struct sim *s)
{
	uint32_t len = 0;
	struct tpkt *p = codel_dequeue(&s->f, &s->p, &s->v, &s->st, &fifo_ops, s->f.now, &len);

	if (p == NULL)
		return false;
	assert_int_equal(len, p->len);
	if (p->ce)
		s->marks_seen++;
	s->f.sent++;
	free(p);
	return true;
}

/*
 * Run a standing queue: every tick, top the FIFO up to `standing` packets
 * of 1000 bytes, then dequeue one. Sojourn time is standing * tick.
 */
static void
sim_run(struct sim *s, unsigned standing, uint64_t tick, uint64_t until, bool ect)
{
	for (; s->f.now < until; s->f.now += tick) {
		while (s->f.count < standing)
			fifo_push(&s->f, 1000, ect);
		sim_dequeue(s);
	}
}

/* sqrt without libm (Newton), for the expected spacing. */
static double
dsqrt(double x)
{
	double r = x > 1 ? x : 1;
	int i;

	for (i = 0; i < 100; i++)
		r = 0.5 * (r + x / r);
	return r;
}

static void
test_isqrt_is_exact(void **state)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	int i;

	(void)state;
	assert_int_equal(codel_isqrt64(0), 0);
	assert_int_equal(codel_isqrt64(1), 1);
	assert_int_equal(codel_isqrt64(15), 3);
	assert_int_equal(codel_isqrt64(16), 4);
	assert_int_equal(codel_isqrt64(UINT64_MAX), UINT32_MAX);
	for (i = 0; i < 100000; i++) {
		uint64_t r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = codel_isqrt64(x >> (i % 64));
		assert_true(r * r <= x >> (i % 64));
		if (r < UINT32_MAX)
			assert_true((r + 1) * (r + 1) > x >> (i % 64));
	}
}

static void
test_control_law_is_interval_over_sqrt_count(void **state)
{
	struct codel_vars v;
	uint64_t got;
	double want;
	uint32_t c;

	(void)state;
	codel_vars_init(&v);
	for (c = 1; c <= 100000; c++) {
		want = 100e6 / dsqrt(c);
		v.count = c;
		codel_update_rec_inv_sqrt(&v);
		got = codel_control_law(1000, 100 * MS, codel_rec_inv_sqrt(&v)) - 1000;
		assert_true((double)got <= want + 1e-6 && (double)got >= want - 2.0);
	}
	/* Huge interval: the split multiply must not overflow; error <= 2^-32 relative. */
	v.count = 4;
	codel_update_rec_inv_sqrt(&v);
	assert_int_equal(codel_control_law(0, UINT64_C(1) << 59, codel_rec_inv_sqrt(&v)),
			 UINT64_C(1) << 58);
	v.count = 3;
	codel_update_rec_inv_sqrt(&v);
	got = codel_control_law(0, UINT64_C(1) << 59, codel_rec_inv_sqrt(&v));
	want = (double)(UINT64_C(1) << 59) / dsqrt(3);
	assert_true((double)got <= want && (double)got > want * (1 - 1e-9));
}

static void
test_standing_queue_drops_at_inverse_sqrt_spacing(void **state)
{
	const uint64_t tick = 10 * US, interval = 100 * MS;
	struct sim *s = sim_new(false);
	double sched;
	unsigned k;

	(void)state;
	/* 1000 packets * 10 us = 10 ms sojourn, twice the target. */
	sim_run(s, 1000, tick, 1100 * MS, false);
	assert_true(s->f.drops >= 20 && s->f.drops < MAX_DROPS);
	assert_int_equal(s->st.drop_count, s->f.drops);
	assert_int_equal(s->st.ecn_mark, 0);

	/*
	 * The first 1000 packets arrive together at t = 0, so the sojourn
	 * reaches the 5 ms target at t = 5 ms and stays above; the first drop
	 * comes one interval later (RFC 8289 §5.5).
	 */
	assert_int_equal(s->f.drop_times[0], 5 * MS + interval);

	/*
	 * Drop k+1 is scheduled interval/sqrt(k) after drop k was scheduled
	 * (RFC 8289 §5.6); it happens on the first tick at or after that.
	 */
	sched = (double)s->f.drop_times[0];
	for (k = 1; k < s->f.drops; k++) {
		double t = (double)s->f.drop_times[k];
		double gap = (double)(s->f.drop_times[k] - s->f.drop_times[k - 1]);

		sched += (double)interval / dsqrt(k);
		assert_true(t >= sched - 2.0 * k && t < sched + (double)tick);
		assert_true(gap > (double)interval / dsqrt(k) - (double)tick - 2.0 * k);
		assert_true(gap < (double)interval / dsqrt(k) + (double)tick);
	}
	assert_true(s->v.dropping);
	assert_int_equal(s->v.count, s->f.drops);
	sim_free(s);
}

static void
test_drop_state_ends_when_sojourn_falls_below_target(void **state)
{
	const uint64_t tick = 10 * US;
	struct sim *s = sim_new(false);
	unsigned drops;

	(void)state;
	sim_run(s, 1000, tick, 400 * MS, false);
	assert_true(s->v.dropping);

	/* Drain at one instant down to the packets younger than 4 ms. */
	while (s->f.count > 400)
		sim_dequeue(s);
	assert_false(s->v.dropping);
	assert_true(s->v.ldelay < s->p.target_ns);

	/* A short standing queue (1 ms) is left alone from now on. */
	drops = s->f.drops;
	sim_run(s, 100, tick, 2000 * MS, false);
	assert_int_equal(s->f.drops, drops);
	assert_false(s->v.dropping);
	assert_int_equal(s->v.first_above_time, 0);
	sim_free(s);
}

static void
test_queue_below_one_mtu_is_never_dropped(void **state)
{
	struct sim *s = sim_new(false);
	int i;

	(void)state;
	/* Two 700-byte packets, each waiting 1 s: only <= 1 MTU stays behind. */
	for (i = 0; i < 20; i++) {
		fifo_push(&s->f, 700, false);
		fifo_push(&s->f, 700, false);
		s->f.now += 1000 * MS;
		assert_true(sim_dequeue(s));
		assert_true(sim_dequeue(s));
		assert_false(sim_dequeue(s));
	}
	assert_int_equal(s->f.drops, 0);
	assert_false(s->v.dropping);
	sim_free(s);
}

static void
test_no_drop_before_a_full_interval_above_target(void **state)
{
	const uint64_t tick = 10 * US;
	struct sim *s = sim_new(false);

	(void)state;
	/* Above target from t = 5 ms: nothing may go before 105 ms. */
	sim_run(s, 1000, tick, 105 * MS, false);
	assert_int_equal(s->f.drops, 0);
	assert_int_equal(s->v.first_above_time, 105 * MS);
	assert_false(s->v.dropping);
	sim_run(s, 1000, tick, 105 * MS + tick, false);
	assert_int_equal(s->f.drops, 1);
	assert_true(s->v.dropping);
	assert_int_equal(s->v.drop_next, 205 * MS);
	sim_free(s);
}

static void
test_ect_packets_are_marked_not_dropped(void **state)
{
	struct sim *s = sim_new(true);

	(void)state;
	sim_run(s, 1000, 10 * US, 1100 * MS, true);
	assert_int_equal(s->f.drops, 0);
	assert_true(s->st.ecn_mark >= 20);
	assert_int_equal(s->marks_seen, s->st.ecn_mark);
	sim_free(s);
}

static void
test_non_ect_packets_are_dropped_with_ecn_on(void **state)
{
	struct sim *s = sim_new(true);

	(void)state;
	sim_run(s, 1000, 10 * US, 1100 * MS, false);
	assert_true(s->f.drops >= 20);
	assert_int_equal(s->st.ecn_mark, 0);
	assert_int_equal(s->marks_seen, 0);
	sim_free(s);
}

static void
test_empty_queue_leaves_dropping_state(void **state)
{
	struct sim *s = sim_new(false);

	(void)state;
	sim_run(s, 1000, 10 * US, 300 * MS, false);
	assert_true(s->v.dropping);
	while (sim_dequeue(s))
		;
	assert_false(s->v.dropping);
	assert_int_equal(s->v.first_above_time, 0);
	sim_free(s);
}

static void
test_reentering_soon_resumes_previous_drop_rate(void **state)
{
	const uint64_t tick = 10 * US;
	struct sim *s = sim_new(false);
	uint32_t count_before, lastcount;

	(void)state;
	sim_run(s, 1000, tick, 800 * MS, false);
	assert_true(s->v.dropping);
	count_before = s->v.count;
	lastcount = s->v.lastcount;
	assert_int_equal(lastcount, 1);
	assert_true(count_before > 2);

	/* Leave the dropping state, then build the standing queue again at once. */
	while (s->f.count > 100)
		sim_dequeue(s);
	assert_false(s->v.dropping);
	sim_run(s, 1000, tick, s->f.now + 200 * MS, false);
	assert_true(s->v.dropping);
	/* §5.5: re-entry within 16 intervals starts from count - lastcount. */
	assert_true(s->v.lastcount == count_before - lastcount);
	sim_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isqrt_is_exact),
	    cmocka_unit_test(test_control_law_is_interval_over_sqrt_count),
	    cmocka_unit_test(test_standing_queue_drops_at_inverse_sqrt_spacing),
	    cmocka_unit_test(test_drop_state_ends_when_sojourn_falls_below_target),
	    cmocka_unit_test(test_queue_below_one_mtu_is_never_dropped),
	    cmocka_unit_test(test_no_drop_before_a_full_interval_above_target),
	    cmocka_unit_test(test_ect_packets_are_marked_not_dropped),
	    cmocka_unit_test(test_non_ect_packets_are_dropped_with_ecn_on),
	    cmocka_unit_test(test_empty_queue_leaves_dropping_state),
	    cmocka_unit_test(test_reentering_soon_resumes_previous_drop_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
