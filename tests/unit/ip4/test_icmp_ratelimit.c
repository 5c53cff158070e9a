/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ICMP error rate limiter on a fake clock of 1000 ticks a second:
 * per-destination bucket (1/s, burst 6), worker bucket (1000/s, burst 50),
 * the set-associative table's eviction, and which errors are limited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "icmp_ratelimit.h"

#define HZ 1000
#define A 0xc6120002u /* 198.18.0.2 */
#define B 0xc6120003u

static struct icmp_ratelimit *rl;

static int
setup(void **state)
{
	(void)state;
	rl = calloc(1, sizeof(*rl));
	icmp_ratelimit_init(rl, HZ, 0);
	return rl == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(rl);
	return 0;
}

static unsigned int
allowed(uint32_t dst, uint64_t now, unsigned int tries)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < tries; i++)
		n += icmp_ratelimit_allow(rl, dst, now);
	return n;
}

static void
test_burst_of_6_then_one_per_second(void **state)
{
	(void)state;
	assert_int_equal(allowed(A, 0, 10), 6);
	assert_int_equal(allowed(A, 999, 1), 0);
	assert_int_equal(allowed(A, 1000, 2), 1);
	assert_int_equal(allowed(A, 1500, 1), 0);
	assert_int_equal(allowed(A, 2000, 1), 1);
}

static void
test_credit_is_capped_at_the_burst(void **state)
{
	(void)state;
	assert_int_equal(allowed(A, 0, 6), 6);
	/* An hour of silence earns 6, not 3600. */
	assert_int_equal(allowed(A, 3600 * HZ, 100), 6);
}

static void
test_destinations_are_independent(void **state)
{
	(void)state;
	assert_int_equal(allowed(A, 0, 10), 6);
	assert_int_equal(allowed(B, 0, 10), 6);
	assert_int_equal(allowed(A, 0, 1), 0);
}

static void
test_worker_bucket_caps_many_destinations(void **state)
{
	(void)state;
	unsigned int n = 0;
	for (uint32_t d = 0; d < 100; d++)
		n += icmp_ratelimit_allow(rl, A + d, 0);
	assert_int_equal(n, ICMP_RL_GLOBAL_BURST);
	/* 1000/s: one more each millisecond. */
	assert_int_equal(allowed(A + 200, 1, 1), 1);
	assert_int_equal(allowed(A + 201, 1, 1), 0);
	assert_int_equal(allowed(A + 201, 2, 1), 1);
}

static void
test_denied_by_worker_bucket_keeps_destination_credit(void **state)
{
	(void)state;
	/* Empty the worker bucket with other destinations... */
	for (uint32_t d = 0; d < ICMP_RL_GLOBAL_BURST; d++)
		assert_true(icmp_ratelimit_allow(rl, A + 1000 + d, 0));
	/* ...then A is refused without losing any of its 6. */
	assert_int_equal(allowed(A, 0, 3), 0);
	assert_int_equal(allowed(A, 6, 10), 6);
}

static void
test_lru_way_is_evicted_with_a_fresh_burst(void **state)
{
	(void)state;
	/* Five destinations of one set (4 ways). */
	uint32_t d[5], n = 0;
	for (uint32_t x = A; n < 5; x++)
		if (icmp_rl_set(x) == icmp_rl_set(A))
			d[n++] = x;
	assert_int_equal(allowed(d[0], 0, 6), 6); /* d0 exhausted at t=0 */
	assert_int_equal(allowed(d[1], 1, 1), 1);
	assert_int_equal(allowed(d[2], 2, 1), 1);
	assert_int_equal(allowed(d[3], 3, 1), 1);
	assert_int_equal(allowed(d[0], 4, 1), 0); /* still remembered */
	/* d0 was used at t=4 now: d1 is the least recent, and goes. */
	assert_int_equal(allowed(d[4], 5, 1), 1);
	assert_int_equal(allowed(d[0], 6, 1), 0);
	/* d1 comes back as a new destination, with a full burst. */
	assert_int_equal(allowed(d[1], 7, 10), 6);
}

static void
test_clock_going_back_earns_nothing(void **state)
{
	(void)state;
	assert_int_equal(allowed(A, 5000, 6), 6);
	assert_int_equal(allowed(A, 1000, 3), 0);
	assert_int_equal(allowed(A, 5999, 1), 0);
	assert_int_equal(allowed(A, 6000, 1), 1);
}

static void
test_which_errors_are_limited(void **state)
{
	(void)state;
	/* Linux's icmp_ratemask 0x1818, less "fragmentation needed". */
	assert_true(icmp_ratelimit_applies(3, 0));
	assert_true(icmp_ratelimit_applies(3, 1));
	assert_true(icmp_ratelimit_applies(3, 2));
	assert_false(icmp_ratelimit_applies(3, 4));
	assert_true(icmp_ratelimit_applies(4, 0));
	assert_true(icmp_ratelimit_applies(11, 0));
	assert_true(icmp_ratelimit_applies(12, 0));
	assert_false(icmp_ratelimit_applies(0, 0)); /* echo reply */
	assert_false(icmp_ratelimit_applies(5, 1)); /* redirect */
	assert_false(icmp_ratelimit_applies(8, 0));
	assert_false(icmp_ratelimit_applies(200, 0));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_burst_of_6_then_one_per_second),
		T(test_credit_is_capped_at_the_burst),
		T(test_destinations_are_independent),
		T(test_worker_bucket_caps_many_destinations),
		T(test_denied_by_worker_bucket_keeps_destination_credit),
		T(test_lru_way_is_evicted_with_a_fresh_burst),
		T(test_clock_going_back_earns_nothing),
		T(test_which_errors_are_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
