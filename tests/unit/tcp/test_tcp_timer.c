/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tcp/tcp_timer.c: the hashed wheel on a fake clock (µs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_timer.h"

#define N 8

struct item {
	struct tcp_tnode n;
	int fired;
	uint64_t fired_at;
};

static uint64_t clock_now;

static void
cb(struct tcp_tnode *n, void *arg)
{
	struct item *it = (struct item *)n;
	(void)arg;
	it->fired++;
	it->fired_at = clock_now;
}

static struct tcp_wheel W;

/* Advance the fake clock in 1 ms steps to `to`, expiring at each. */
static void
run_to(uint64_t to)
{
	while (clock_now < to) {
		clock_now += 1000;
		tcp_wheel_expire(&W, clock_now, cb, NULL);
	}
}

static void
test_fires_once_never_early(void **state)
{
	(void)state;
	struct item it[N];
	memset(it, 0, sizeof(it));
	clock_now = 5000000;
	tcp_wheel_init(&W, clock_now);
	/* Deadlines on and off the 1 ms grid. */
	const uint64_t d[N] = {1000, 1500, 40000, 200000, 999000, 1024000, 3500700, 120000000};
	for (int i = 0; i < N; i++)
		tcp_wheel_add(&W, &it[i].n, clock_now + d[i]);
	assert_int_equal(W.count, N);
	run_to(5000000 + 121000000);
	for (int i = 0; i < N; i++) {
		assert_int_equal(it[i].fired, 1);
		assert_true(it[i].fired_at >= 5000000 + d[i]);	     /* never early */
		assert_true(it[i].fired_at < 5000000 + d[i] + 1000); /* within a tick */
		assert_false(tcp_tnode_linked(&it[i].n));
	}
	assert_int_equal(W.count, 0);
}

static void
test_far_deadlines_wait_their_rounds(void **state)
{
	(void)state;
	struct item a = {0}, b = {0};
	clock_now = 0;
	tcp_wheel_init(&W, 0);
	/* Same slot, one and three turns apart. */
	tcp_wheel_add(&W, &a.n, 7000);
	tcp_wheel_add(&W, &b.n, 7000 + 3 * TCP_WHEEL_SLOTS * 1000ull);
	run_to(8000);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	run_to(7000 + 3 * TCP_WHEEL_SLOTS * 1000ull - 1000);
	assert_int_equal(b.fired, 0);
	run_to(7000 + 3 * TCP_WHEEL_SLOTS * 1000ull);
	assert_int_equal(b.fired, 1);
}

static void
test_readd_moves_and_del_cancels(void **state)
{
	(void)state;
	struct item a = {0}, b = {0};
	clock_now = 0;
	tcp_wheel_init(&W, 0);
	tcp_wheel_add(&W, &a.n, 10000);
	tcp_wheel_add(&W, &a.n, 50000); /* moved, still once */
	assert_int_equal(W.count, 1);
	tcp_wheel_add(&W, &b.n, 20000);
	tcp_wheel_del(&W, &b.n);
	tcp_wheel_del(&W, &b.n); /* idempotent */
	assert_int_equal(W.count, 1);
	run_to(49000);
	assert_int_equal(a.fired, 0);
	run_to(50000);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
}

static void
test_past_deadline_and_long_pause(void **state)
{
	(void)state;
	struct item a = {0}, b = {0};
	clock_now = 100000;
	tcp_wheel_init(&W, clock_now);
	tcp_wheel_add(&W, &a.n, 50000); /* already past: next expiry */
	tcp_wheel_add(&W, &b.n, 100000 + 2500000);
	/* One call after a pause longer than a turn fires everything due. */
	clock_now = 100000 + 5000000;
	assert_int_equal(tcp_wheel_expire(&W, clock_now, cb, NULL), 2);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
}

static struct item chain;

static void
cb_readd(struct tcp_tnode *n, void *arg)
{
	(void)arg;
	cb(n, NULL);
	if (chain.fired < 3)
		tcp_wheel_add(&W, n, clock_now); /* due now: next call, not this one */
}

static void
test_callback_may_readd(void **state)
{
	(void)state;
	memset(&chain, 0, sizeof(chain));
	clock_now = 0;
	tcp_wheel_init(&W, 0);
	tcp_wheel_add(&W, &chain.n, 1000);
	clock_now = 1000;
	assert_int_equal(tcp_wheel_expire(&W, clock_now, cb_readd, NULL), 1);
	assert_int_equal(chain.fired, 1);
	clock_now = 2000;
	assert_int_equal(tcp_wheel_expire(&W, clock_now, cb_readd, NULL), 1);
	assert_int_equal(chain.fired, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fires_once_never_early),
	    cmocka_unit_test(test_far_deadlines_wait_their_rounds),
	    cmocka_unit_test(test_readd_moves_and_del_cancels),
	    cmocka_unit_test(test_past_deadline_and_long_pause),
	    cmocka_unit_test(test_callback_may_readd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
