/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fq_codel (RFC 8290) on a fake clock with counting fake packets. Every
 * test ends in fq_teardown(), which frees the instance and checks that
 * dequeued + freed by drops + freed at teardown == allocated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_pkt.h"
#include "fq_codel.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)

/* With 1024 flows, flow index = hash >> 22; these land in flows 1, 2, 3... */
#define HASH(i) ((uint32_t)(i) << 22)

struct fq_test {
	struct fake_pool pool;
	struct fq_codel_params params;
	struct fq_codel *q;
	uint64_t now;
};

static struct fq_test *
fq_setup(void (*tweak)(struct fq_codel_params *))
{
	struct fq_test *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	fq_codel_params_default(&t->params);
	t->params.ops.free = fake_pkt_free;
	t->params.ops.mark_ce = fake_pkt_mark_ce;
	if (tweak != NULL)
		tweak(&t->params);
	t->q = fq_codel_create(&t->params);
	assert_non_null(t->q);
	return t;
}

static void
fq_teardown(struct fq_test *t)
{
	struct fq_codel_stats st;

	fq_codel_stats_get(t->q, &st);
	assert_int_equal(st.dropped, t->pool.freed_by_drop);
	assert_int_equal(st.sent_packets, t->pool.dequeued);
	t->pool.teardown = true;
	fq_codel_free(t->q);
	assert_true(fake_pool_balanced(&t->pool));
	free(t);
}

static int
enq(struct fq_test *t, uint32_t flow, uint32_t len, uint8_t ecn)
{
	struct fake_pkt *p = fake_pkt_new(&t->pool, flow, len, ecn);

	return fq_codel_enqueue(t->q, p, len, HASH(flow), t->now);
}

/* Dequeue one packet; returns its flow label (or -1 when empty) and consumes it. */
static int
deq(struct fq_test *t, uint32_t *len_out, uint8_t *ecn_out)
{
	uint32_t len = 0;
	struct fake_pkt *p = fq_codel_dequeue(t->q, t->now, &len);
	int flow;

	if (p == NULL)
		return -1;
	assert_int_equal(len, p->len);
	if (len_out != NULL)
		*len_out = len;
	if (ecn_out != NULL)
		*ecn_out = p->ecn;
	flow = (int)p->flow;
	fake_pkt_consume(p);
	return flow;
}

static struct fq_codel_stats
stats(const struct fq_test *t)
{
	struct fq_codel_stats st;

	fq_codel_stats_get(t->q, &st);
	return st;
}

static void
test_defaults_match_linux(void **state)
{
	struct fq_codel_params p;

	(void)state;
	fq_codel_params_default(&p);
	assert_int_equal(p.limit, 10240);
	assert_int_equal(p.flows, 1024);
	assert_int_equal(p.quantum, 1514);
	assert_int_equal(p.target_ns, 5 * MS);
	assert_int_equal(p.interval_ns, 100 * MS);
	assert_int_equal(p.memory_limit, 32u << 20);
	assert_int_equal(p.drop_batch, 64);
	assert_true(p.ecn);
	/* ops.free is required. */
	errno = 0;
	assert_null(fq_codel_create(&p));
	assert_int_equal(errno, EINVAL);
}

static void
set_bad(struct fq_codel_params *p, int which)
{
	switch (which) {
	case 0:
		p->limit = 0;
		break;
	case 1:
		p->limit = FQ_CODEL_LIMIT_MAX + 1;
		break;
	case 2:
		p->flows = 0;
		break;
	case 3:
		p->flows = FQ_CODEL_FLOWS_MAX + 1;
		break;
	case 4:
		p->quantum = FQ_CODEL_QUANTUM_MIN - 1;
		break;
	case 5:
		p->quantum = FQ_CODEL_QUANTUM_MAX + 1;
		break;
	case 6:
		p->memory_limit = 0;
		break;
	case 7:
		p->drop_batch = 0;
		break;
	case 8:
		p->target_ns = 0;
		break;
	case 9:
		p->interval_ns = 0;
		break;
	case 10:
		p->interval_ns = FQ_CODEL_TIME_MAX_NS + 1;
		break;
	case 11:
		p->target_ns = FQ_CODEL_TIME_MAX_NS + 1;
		break;
	default:
		p->ops.free = NULL;
		break;
	}
}

static void
test_create_rejects_bad_params(void **state)
{
	int which;

	(void)state;
	errno = 0;
	assert_null(fq_codel_create(NULL));
	assert_int_equal(errno, EINVAL);
	for (which = 0; which <= 12; which++) {
		struct fq_codel_params p;

		fq_codel_params_default(&p);
		p.ops.free = fake_pkt_free;
		set_bad(&p, which);
		errno = 0;
		assert_null(fq_codel_create(&p));
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_enqueue_rejects_bad_args_without_taking_the_packet(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fake_pkt *p = fake_pkt_new(&t->pool, 1, 100, ECN_NOT_ECT);

	(void)state;
	assert_int_equal(fq_codel_enqueue(t->q, p, 0, 0, 0), -EINVAL);
	assert_int_equal(fq_codel_enqueue(t->q, NULL, 100, 0, 0), -EINVAL);
	assert_int_equal(fq_codel_enqueue(NULL, p, 100, 0, 0), -EINVAL);
	assert_int_equal(fq_codel_backlog(t->q, NULL), 0);
	/* Still ours: give it back uncounted. */
	t->pool.allocated--;
	free(p);
	fq_teardown(t);
}

static void
test_single_flow_keeps_fifo_order(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	uint64_t bytes;
	int i;

	(void)state;
	for (i = 0; i < 50; i++)
		assert_int_equal(enq(t, 1, 100 + (uint32_t)i, ECN_NOT_ECT), 0);
	assert_int_equal(fq_codel_backlog(t->q, &bytes), 50);
	assert_int_equal(bytes, 50 * 100 + 49 * 50 / 2);
	for (i = 0; i < 50; i++) {
		uint32_t len;

		assert_int_equal(deq(t, &len, NULL), 1);
		assert_int_equal(len, 100 + (uint32_t)i);
	}
	assert_int_equal(deq(t, NULL, NULL), -1);
	assert_int_equal(stats(t).sent_packets, 50);
	fq_teardown(t);
}

static void
test_new_sparse_flow_is_served_before_old_bulky_ones(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fq_codel_stats st;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		enq(t, 1, 1000, ECN_NOT_ECT);
		enq(t, 2, 1000, ECN_NOT_ECT);
	}
	/* Serve both bulky flows past their first quantum: both become old. */
	for (i = 0; i < 10; i++)
		assert_true(deq(t, NULL, NULL) > 0);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 0);
	assert_int_equal(st.old_flows_len, 2);

	enq(t, 3, 100, ECN_NOT_ECT);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 1);
	assert_int_equal(st.new_flow_count, 3);
	assert_int_equal(deq(t, NULL, NULL), 3);
	fq_teardown(t);
}

static void
test_new_flow_that_spends_its_deficit_moves_to_old_list(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fq_codel_stats st;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		enq(t, 1, 1000, ECN_NOT_ECT);
	/* Quantum 1514: two 1000-byte packets, then the deficit is spent. */
	assert_int_equal(deq(t, NULL, NULL), 1);
	assert_int_equal(deq(t, NULL, NULL), 1);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 1);
	assert_int_equal(st.old_flows_len, 0);
	assert_int_equal(deq(t, NULL, NULL), 1);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 0);
	assert_int_equal(st.old_flows_len, 1);
	fq_teardown(t);
}

static void
test_empty_new_flow_moves_to_old_list_and_empty_old_flow_is_removed(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fq_codel_stats st;
	int i;

	(void)state;
	/* Flow 1 is bulky and old. */
	for (i = 0; i < 20; i++)
		enq(t, 1, 1000, ECN_NOT_ECT);
	for (i = 0; i < 3; i++)
		assert_int_equal(deq(t, NULL, NULL), 1);
	/* Flow 2 is new with a single packet. */
	enq(t, 2, 100, ECN_NOT_ECT);
	assert_int_equal(deq(t, NULL, NULL), 2);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 1);
	/* Found empty on the new list: it goes to the tail of the old list. */
	assert_int_equal(deq(t, NULL, NULL), 1);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 0);
	assert_int_equal(st.old_flows_len, 2);

	/* Refilled while on the old list, it does not become new again. */
	enq(t, 2, 100, ECN_NOT_ECT);
	st = stats(t);
	assert_int_equal(st.new_flows_len, 0);
	assert_int_equal(st.new_flow_count, 2);

	/* Drain everything; empty old flows leave the list. */
	while (deq(t, NULL, NULL) >= 0)
		;
	st = stats(t);
	assert_int_equal(st.new_flows_len, 0);
	assert_int_equal(st.old_flows_len, 0);
	assert_int_equal(st.backlog_packets, 0);
	fq_teardown(t);
}

static void
test_drr_gives_equal_bytes_to_small_and_large_packet_flows(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	uint64_t bytes[3] = {0};
	int i;

	(void)state;
	for (i = 0; i < 5000; i++)
		enq(t, 1, 64, ECN_NOT_ECT);
	for (i = 0; i < 300; i++)
		enq(t, 2, 1500, ECN_NOT_ECT);
	/* Same instant: no sojourn, so CoDel stays out of it. */
	while (bytes[1] + bytes[2] < 300000) {
		uint32_t len;
		int f = deq(t, &len, NULL);

		assert_true(f == 1 || f == 2);
		bytes[f] += len;
		/* Long-term byte shares differ by at most one quantum plus one packet. */
		assert_true(bytes[1] + 1514 + 1500 >= bytes[2]);
		assert_true(bytes[2] + 1514 + 1500 >= bytes[1]);
	}
	assert_true(bytes[1] > 140000 && bytes[2] > 140000);
	assert_int_equal(stats(t).dropped, 0);
	fq_teardown(t);
}

static void
small_limit(struct fq_codel_params *p)
{
	p->limit = 100;
}

static void
test_limit_overflow_drops_half_of_the_fattest_flow(void **state)
{
	struct fq_test *t = fq_setup(small_limit);
	struct fq_codel_stats st;
	int i, seen1 = 0, first1 = -1;
	struct fake_pkt *p;

	(void)state;
	for (i = 0; i < 80; i++)
		assert_int_equal(enq(t, 1, 1000, ECN_NOT_ECT), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(enq(t, 2, 1000, ECN_NOT_ECT), 0);
	/* The 101st packet: flow 1 (80 kB) loses 40 kB from its head. */
	assert_int_equal(enq(t, 3, 1000, ECN_NOT_ECT), 40);
	st = stats(t);
	assert_int_equal(st.drop_overlimit, 40);
	assert_int_equal(st.drop_overmemory, 0);
	assert_int_equal(st.dropped, 40);
	assert_int_equal(t->pool.freed_by_drop, 40);
	assert_int_equal(st.backlog_packets, 61);

	/* Head drop: flow 1's survivors are its 40 newest packets (ids 40..79). */
	while ((p = fq_codel_dequeue(t->q, t->now, NULL)) != NULL) {
		if (p->flow == 1) {
			if (first1 < 0)
				first1 = (int)p->id;
			seen1++;
		}
		fake_pkt_consume(p);
	}
	assert_int_equal(seen1, 40);
	assert_int_equal(first1, 40);
	fq_teardown(t);
}

static void
small_memory(struct fq_codel_params *p)
{
	p->memory_limit = 10000;
}

static void
test_memory_limit_overflow_drops_from_the_fattest_flow(void **state)
{
	struct fq_test *t = fq_setup(small_memory);
	struct fq_codel_stats st;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(enq(t, 1, 1000, ECN_NOT_ECT), 0);
	assert_int_equal(enq(t, 2, 1000, ECN_NOT_ECT), 0);
	/* 10500 bytes > 10000: flow 1 (8000 bytes) loses half. */
	assert_int_equal(enq(t, 3, 1500, ECN_NOT_ECT), 4);
	st = stats(t);
	assert_int_equal(st.drop_overmemory, 4);
	assert_int_equal(st.drop_overlimit, 4);
	assert_int_equal(st.memory_usage, 6500);
	assert_int_equal(st.backlog_bytes, 6500);
	fq_teardown(t);
}

static void
limit_200(struct fq_codel_params *p)
{
	p->limit = 200;
}

static void
test_overflow_drops_at_most_one_batch(void **state)
{
	struct fq_test *t = fq_setup(limit_200);

	(void)state;
	while (fq_codel_backlog(t->q, NULL) < 200)
		enq(t, 1, 1000, ECN_NOT_ECT);
	/* Half of flow 1 would be 100 packets; the batch caps it at 64. */
	assert_int_equal(enq(t, 2, 1000, ECN_NOT_ECT), 64);
	assert_int_equal(fq_codel_backlog(t->q, NULL), 137);
	fq_teardown(t);
}

static void
test_lone_packet_overflow_can_drop_the_arriving_packet(void **state)
{
	struct fq_codel_params p;
	struct fake_pool pool = {0};
	struct fq_codel *q;

	(void)state;
	fq_codel_params_default(&p);
	p.ops.free = fake_pkt_free;
	p.limit = 1;
	q = fq_codel_create(&p);
	assert_non_null(q);
	assert_int_equal(fq_codel_enqueue(q, fake_pkt_new(&pool, 1, 100, 0), 100, HASH(1), 0), 0);
	/* The bigger newcomer is the fattest flow: it is the one dropped. */
	assert_int_equal(fq_codel_enqueue(q, fake_pkt_new(&pool, 2, 200, 0), 200, HASH(2), 0), 1);
	assert_int_equal(pool.freed_by_drop, 1);
	assert_int_equal(fq_codel_backlog(q, NULL), 1);
	pool.teardown = true;
	fq_codel_free(q);
	assert_true(fake_pool_balanced(&pool));
}

/* Standing queue on one flow: top up to `standing`, dequeue one per tick. */
static void
run_standing(struct fq_test *t, unsigned standing, uint64_t until, uint8_t ecn, uint64_t *ce_seen)
{
	for (; t->now < until; t->now += 10 * US) {
		uint8_t e;

		while (fq_codel_backlog(t->q, NULL) < standing)
			enq(t, 1, 1000, ecn);
		if (deq(t, NULL, &e) >= 0 && e == ECN_CE)
			(*ce_seen)++;
	}
}

static void
test_ect_packets_are_marked_not_dropped_with_ecn(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fq_codel_stats st;
	uint64_t ce = 0;

	(void)state;
	run_standing(t, 1000, 1100 * MS, ECN_ECT0, &ce);
	st = stats(t);
	assert_int_equal(st.dropped, 0);
	assert_true(st.ecn_mark >= 20);
	assert_int_equal(ce, st.ecn_mark);
	fq_teardown(t);
}

static void
test_non_ect_packets_are_dropped_with_ecn(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	struct fq_codel_stats st;
	uint64_t ce = 0;

	(void)state;
	run_standing(t, 1000, 1100 * MS, ECN_NOT_ECT, &ce);
	st = stats(t);
	assert_true(st.dropped >= 20);
	assert_int_equal(st.ecn_mark, 0);
	assert_int_equal(ce, 0);
	assert_int_equal(st.drop_overlimit, 0);
	fq_teardown(t);
}

static void
no_ecn(struct fq_codel_params *p)
{
	p->ecn = false;
}

static void
test_ect_packets_are_dropped_with_noecn(void **state)
{
	struct fq_test *t = fq_setup(no_ecn);
	uint64_t ce = 0;

	(void)state;
	run_standing(t, 1000, 1100 * MS, ECN_ECT1, &ce);
	assert_true(stats(t).dropped >= 20);
	assert_int_equal(stats(t).ecn_mark, 0);
	assert_int_equal(ce, 0);
	fq_teardown(t);
}

static void
random_small(struct fq_codel_params *p)
{
	p->limit = 300;
	p->flows = 16;
	p->memory_limit = 200000;
	p->drop_batch = 8;
}

static void
test_every_packet_is_accounted_for_under_random_load(void **state)
{
	struct fq_test *t = fq_setup(random_small);
	const char *env = getenv("SCHED_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : UINT64_C(0x5eed5eed);
	uint64_t rng = seed | 1, enqueued = 0;
	int step;

	(void)state;
	printf("test_every_packet_is_accounted_for_under_random_load: seed %" PRIu64
	       " (set SCHED_TEST_SEED to replay)\n",
	       seed);
	for (step = 0; step < 200000; step++) {
		uint64_t r = test_rand(&rng);
		struct fq_codel_stats st;

		t->now += r % (200 * US);
		if (r & (1u << 20)) {
			unsigned n = (unsigned)(r >> 32) % 8 + 1;

			while (n-- > 0) {
				uint64_t r2 = test_rand(&rng);
				uint32_t len = (uint32_t)(r2 % 1500) + 1;
				struct fake_pkt *p =
				    fake_pkt_new(&t->pool, 0, len, (uint8_t)(r2 >> 40) & 3);

				assert_true(fq_codel_enqueue(t->q, p, len, (uint32_t)(r2 >> 8),
							     t->now) >= 0);
				enqueued++;
			}
		} else {
			unsigned n = (unsigned)(r >> 32) % 8 + 1;

			while (n-- > 0)
				deq(t, NULL, NULL);
		}
		st = stats(t);
		assert_true(st.backlog_packets <= 300);
		assert_int_equal(enqueued,
				 st.backlog_packets + t->pool.dequeued + t->pool.freed_by_drop);
		assert_int_equal(st.memory_usage, st.backlog_bytes);
	}
	assert_true(stats(t).drop_overlimit > 0);
	fq_teardown(t);
}

static void
test_free_releases_queued_packets(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		enq(t, (uint32_t)i % 37, 500, ECN_NOT_ECT);
	fq_teardown(t);
}

static void
test_stats_format_matches_tc(void **state)
{
	struct fq_test *t = fq_setup(NULL);
	char buf[512], small[16];
	int n;

	(void)state;
	enq(t, 1, 1000, ECN_NOT_ECT);
	enq(t, 1, 1000, ECN_NOT_ECT);
	enq(t, 1, 1000, ECN_NOT_ECT);
	deq(t, NULL, NULL);
	n = fq_codel_stats_format(t->q, "port0", buf, sizeof(buf));
	assert_string_equal(buf,
			    "qdisc fq_codel 0: dev port0 root refcnt 2 limit 10240p flows 1024 "
			    "quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn "
			    "drop_batch 64\n"
			    " Sent 1000 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n"
			    " backlog 2000b 2p requeues 0\n"
			    "  maxpacket 1000 drop_overlimit 0 new_flow_count 1 ecn_mark 0 "
			    "drop_overmemory 0\n"
			    "  new_flows_len 1 old_flows_len 0\n");
	assert_int_equal(n, (int)strlen(buf));
	/* Truncation: NUL-terminated, full length returned. */
	assert_int_equal(fq_codel_stats_format(t->q, "port0", small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(fq_codel_stats_format(NULL, "port0", buf, sizeof(buf)), -EINVAL);
	fq_teardown(t);
}

static void
odd_params(struct fq_codel_params *p)
{
	p->ecn = false;
	p->target_ns = 500 * US;
	p->interval_ns = 1500 * MS;
	p->memory_limit = 64 << 10;
	p->limit = 1000;
	p->flows = 16;
}

static void
test_stats_format_prints_units_like_tc(void **state)
{
	struct fq_test *t = fq_setup(odd_params);
	char buf[512];

	(void)state;
	fq_codel_stats_format(t->q, "tap0", buf, sizeof(buf));
	assert_non_null(strstr(buf, "limit 1000p flows 16 quantum 1514 target 500us interval 1.5s "
				    "memory_limit 64Kb drop_batch 64\n"));
	assert_int_equal(sched_format_size(buf, sizeof(buf), 1514), 5);
	assert_string_equal(buf, "1514b");
	sched_format_time(buf, sizeof(buf), 2500 * US);
	assert_string_equal(buf, "2.5ms");
	sched_format_time(buf, sizeof(buf), 999);
	assert_string_equal(buf, "999ns");
	fq_teardown(t);
}

static void
test_flow_index_scales_hash_over_flows(void **state)
{
	struct fq_test *t = fq_setup(NULL);

	(void)state;
	assert_int_equal(fq_codel_flow_index(t->q, 0), 0);
	assert_int_equal(fq_codel_flow_index(t->q, UINT32_MAX), 1023);
	assert_int_equal(fq_codel_flow_index(t->q, HASH(7)), 7);
	assert_int_equal(fq_codel_params_get(t->q)->flows, 1024);
	fq_teardown(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_match_linux),
	    cmocka_unit_test(test_create_rejects_bad_params),
	    cmocka_unit_test(test_enqueue_rejects_bad_args_without_taking_the_packet),
	    cmocka_unit_test(test_single_flow_keeps_fifo_order),
	    cmocka_unit_test(test_new_sparse_flow_is_served_before_old_bulky_ones),
	    cmocka_unit_test(test_new_flow_that_spends_its_deficit_moves_to_old_list),
	    cmocka_unit_test(test_empty_new_flow_moves_to_old_list_and_empty_old_flow_is_removed),
	    cmocka_unit_test(test_drr_gives_equal_bytes_to_small_and_large_packet_flows),
	    cmocka_unit_test(test_limit_overflow_drops_half_of_the_fattest_flow),
	    cmocka_unit_test(test_memory_limit_overflow_drops_from_the_fattest_flow),
	    cmocka_unit_test(test_overflow_drops_at_most_one_batch),
	    cmocka_unit_test(test_lone_packet_overflow_can_drop_the_arriving_packet),
	    cmocka_unit_test(test_ect_packets_are_marked_not_dropped_with_ecn),
	    cmocka_unit_test(test_non_ect_packets_are_dropped_with_ecn),
	    cmocka_unit_test(test_ect_packets_are_dropped_with_noecn),
	    cmocka_unit_test(test_every_packet_is_accounted_for_under_random_load),
	    cmocka_unit_test(test_free_releases_queued_packets),
	    cmocka_unit_test(test_stats_format_matches_tc),
	    cmocka_unit_test(test_stats_format_prints_units_like_tc),
	    cmocka_unit_test(test_flow_index_scales_hash_over_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
