/* SPDX-License-Identifier: BSD-3-Clause */
/* Token-bucket shaper (shaper.h) on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_pkt.h" /* test_rand() */
#include "shaper.h"

#define NS_PER_S UINT64_C(1000000000)

/*
 * A greedy sender: every packet goes at the first instant it conforms.
 * Returns the bytes sent in [0, duration]. Checks on the way that
 * shaper_next_ns() is exact: one ns earlier the packet does not conform.
 */
static uint64_t
greedy(struct shaper *s, uint32_t len, uint64_t duration)
{
	uint64_t t = 0, bytes = 0;

	for (;;) {
		uint64_t next = shaper_next_ns(s, len, t);

		if (next > duration)
			return bytes;
		if (next > t) {
			struct shaper copy = *s;

			assert_false(shaper_conform(&copy, len, next - 1));
		}
		t = next;
		assert_true(shaper_conform(s, len, t));
		bytes += len;
	}
}

static void
test_full_bucket_allows_the_burst(void **state)
{
	struct shaper s;
	int i;

	(void)state;
	assert_int_equal(shaper_init(&s, 10000000, 10 * 1514, 0), 0);
	for (i = 0; i < 10; i++)
		assert_true(shaper_conform(&s, 1514, 0));
	assert_false(shaper_conform(&s, 1514, 0));
	assert_false(shaper_conform(&s, 1, 0));
	/* 1514 bytes at 10 Mbit/s take 1211.2 us to earn back. */
	assert_int_equal(shaper_next_ns(&s, 1514, 0), 1211200);
	assert_true(shaper_conform(&s, 1514, 1211200));
}

static void
test_conforms_at_the_configured_rate_over_a_long_interval(void **state)
{
	struct shaper s;
	uint64_t bytes, want;

	(void)state;
	/* 10 Mbit/s for 100 s: 125 MB plus the 3028-byte burst. */
	assert_int_equal(shaper_init(&s, 10000000, 3028, 0), 0);
	bytes = greedy(&s, 1500, 100 * NS_PER_S);
	want = 10000000 / 8 * 100 + 3028;
	assert_true(bytes <= want && bytes + 1500 > want);
}

static void
test_polling_sender_with_random_sizes_gets_the_rate(void **state)
{
	const char *env = getenv("SCHED_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : UINT64_C(0xc0ffee);
	uint64_t rng = seed | 1, t, bytes = 0, want;
	uint32_t len;
	struct shaper s;

	(void)state;
	printf("test_polling_sender_with_random_sizes_gets_the_rate: seed %" PRIu64
	       " (set SCHED_TEST_SEED to replay)\n",
	       seed);
	assert_int_equal(shaper_init(&s, 1000000000, 64 * 1024, 0), 0);
	len = (uint32_t)(test_rand(&rng) % 1500) + 64;
	/* Poll at odd intervals for 10 s at 1 Gbit/s. */
	for (t = 0; t <= 10 * NS_PER_S; t += test_rand(&rng) % 5000 + 1) {
		while (shaper_conform(&s, len, t)) {
			bytes += len;
			len = (uint32_t)(test_rand(&rng) % 1500) + 64;
		}
	}
	want = 1000000000 / 8 * 10 + 64 * 1024;
	/* Short by at most one packet (<= 1563 B) and one poll gap (<= 5 us = 625 B). */
	assert_true(bytes <= want && bytes + 1563 + 625 > want);
}

static void
test_extreme_rates_do_not_overflow(void **state)
{
	struct shaper s;
	uint64_t bytes, want;

	(void)state;
	/* 1 kbit/s for 1000 s. */
	assert_int_equal(shaper_init(&s, 1000, 1514, 0), 0);
	bytes = greedy(&s, 100, 1000 * NS_PER_S);
	want = 125 * 1000 + 1514;
	assert_true(bytes <= want && bytes + 100 > want);

	/* 100 Gbit/s with the largest burst, 64 KiB frames, 1 s. */
	assert_int_equal(shaper_init(&s, UINT64_C(100000000000), SHAPER_BURST_MAX, 0), 0);
	bytes = greedy(&s, 65536, NS_PER_S);
	want = UINT64_C(100000000000) / 8 + SHAPER_BURST_MAX;
	assert_true(bytes <= want && bytes + 65536 > want);

	/* 1 bit/s and 1 Tbit/s are accepted too. */
	assert_int_equal(shaper_init(&s, 1, 1, 0), 0);
	assert_true(shaper_conform(&s, 1, 0));
	assert_int_equal(shaper_next_ns(&s, 1, 0), 8 * NS_PER_S);
	assert_int_equal(shaper_init(&s, SHAPER_RATE_MAX, SHAPER_BURST_MAX, 0), 0);
	assert_true(shaper_conform(&s, UINT32_MAX, 0));
	assert_int_equal(shaper_next_ns(&s, 1, UINT64_MAX - 1), UINT64_MAX - 1);
}

static void
test_idle_time_does_not_overfill_the_bucket(void **state)
{
	struct shaper s;
	int i;

	(void)state;
	assert_int_equal(shaper_init(&s, 1000000, 3000, 0), 0);
	/* An hour idle still leaves just the 3000-byte burst. */
	for (i = 0; i < 3; i++)
		assert_true(shaper_conform(&s, 1000, 3600 * NS_PER_S));
	assert_false(shaper_conform(&s, 1000, 3600 * NS_PER_S));
}

static void
test_packet_larger_than_burst_waits_for_a_full_bucket(void **state)
{
	struct shaper s;

	(void)state;
	/* 8 Mbit/s = 1 byte/us; burst 1000 bytes. */
	assert_int_equal(shaper_init(&s, 8000000, 1000, 0), 0);
	assert_true(shaper_conform(&s, 500, 0));
	/* 4000 bytes never fit: it waits until the bucket is full again... */
	assert_int_equal(shaper_next_ns(&s, 4000, 0), 500000);
	assert_false(shaper_conform(&s, 4000, 499999));
	assert_true(shaper_conform(&s, 4000, 500000));
	/* ...and the 3000-byte debt delays the next one: 3000 + 100 us. */
	assert_int_equal(shaper_next_ns(&s, 100, 500000), 500000 + 3100000);
}

static void
test_time_going_backwards_counts_as_no_time(void **state)
{
	struct shaper s;

	(void)state;
	assert_int_equal(shaper_init(&s, 8000000, 1000, 1000000), 0);
	assert_true(shaper_conform(&s, 1000, 1000000));
	assert_false(shaper_conform(&s, 1, 0));
	assert_int_equal(shaper_next_ns(&s, 1000, 0), 2000000);
	assert_true(shaper_conform(&s, 1000, 2000000));
}

static void
test_init_rejects_bad_rate_and_burst(void **state)
{
	struct shaper s;

	(void)state;
	assert_int_equal(shaper_init(&s, 0, 1514, 0), -EINVAL);
	assert_int_equal(shaper_init(&s, SHAPER_RATE_MAX + 1, 1514, 0), -EINVAL);
	assert_int_equal(shaper_init(&s, 1000, 0, 0), -EINVAL);
	assert_int_equal(shaper_init(&s, 1000, SHAPER_BURST_MAX + 1, 0), -EINVAL);
	assert_int_equal(shaper_init(NULL, 1000, 1514, 0), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_bucket_allows_the_burst),
	    cmocka_unit_test(test_conforms_at_the_configured_rate_over_a_long_interval),
	    cmocka_unit_test(test_polling_sender_with_random_sizes_gets_the_rate),
	    cmocka_unit_test(test_extreme_rates_do_not_overflow),
	    cmocka_unit_test(test_idle_time_does_not_overfill_the_bucket),
	    cmocka_unit_test(test_packet_larger_than_burst_waits_for_a_full_bucket),
	    cmocka_unit_test(test_time_going_backwards_counts_as_no_time),
	    cmocka_unit_test(test_init_rejects_bad_rate_and_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
