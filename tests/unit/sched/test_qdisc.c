/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-TX-queue qdisc (lib/sched qdisc.c) on a fake clock with the
 * counting fake packets: FIFO tail drop, the shaper holding the head
 * packet, requeued packets leaving first and in order, DSCP bands, the
 * hand-over of a backlog to a new qdisc, and how `cavctl qdisc set`
 * words fold into the running configuration. Every test ends with the
 * leak check: dequeued + dropped + freed at teardown == allocated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_pkt.h"
#include "qdisc.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)

static struct fake_pool pool;

/* Flow label -> hash (one fq_codel flow each); DSCP carried in the id's top bits. */
static void
fake_classify(void *pkt, uint32_t *hash, uint8_t *dscp)
{
	const struct fake_pkt *p = pkt;

	*hash = p->flow << 22;
	*dscp = (uint8_t)(p->id >> 56);
}

static const struct qdisc_ops ops = {
	.free = fake_pkt_free,
	.mark_ce = fake_pkt_mark_ce,
	.classify = fake_classify,
};

static int
setup(void **state)
{
	(void)state;
	memset(&pool, 0, sizeof(pool));
	return 0;
}

static void
teardown_q(struct qdisc *q)
{
	struct qdisc_stats st;

	qdisc_stats_get(q, &st);
	assert_int_equal(st.dropped, pool.freed_by_drop);
	pool.teardown = true;
	qdisc_free(q);
	assert_true(fake_pool_balanced(&pool));
}

static void
apply(struct qdisc_conf *run, const char *args)
{
	struct qdisc_conf parsed = {0};
	char buf[256], *argv[16], err[256];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " "))
		argv[argc++] = t;
	if (qdisc_args_parse(argc, argv, &parsed, err, sizeof(err)) != 0)
		fail_msg("%s: %s", args, err);
	qdisc_conf_apply(run, &parsed);
}

/* The default qdisc with `args` (cavctl qdisc set words) applied. */
static struct qdisc *
make(const char *args, uint64_t now)
{
	struct qdisc_conf run;
	struct qdisc *q;

	qdisc_conf_default(&run);
	if (args != NULL)
		apply(&run, args);
	q = qdisc_create(&run, &ops, 0, now);
	assert_non_null(q);
	return q;
}

static struct fake_pkt *
pkt(uint32_t flow, uint32_t len, uint8_t dscp)
{
	struct fake_pkt *p = fake_pkt_new(&pool, flow, len, ECN_NOT_ECT);

	p->id |= (uint64_t)dscp << 56;
	return p;
}

/* Dequeue one; returns the packet's id (low bits) or -1, and consumes it. */
static long
deq(struct qdisc *q, uint64_t now)
{
	uint32_t len;
	struct fake_pkt *p = qdisc_dequeue(q, now, &len);
	long id;

	if (p == NULL)
		return -1;
	assert_int_equal(len, p->len);
	id = (long)(p->id & 0xffffffffu);
	fake_pkt_consume(p);
	return id;
}

static void
test_set_words_fold_into_the_running_conf(void **state)
{
	struct qdisc_conf run;
	char err[128];

	(void)state;
	qdisc_conf_default(&run);
	assert_int_equal(run.kind, QDISC_KIND_FQ_CODEL);
	assert_int_equal(run.shaper.rate_bps, 0);
	assert_int_equal(qdisc_conf_check(&run, err, sizeof(err)), 0);

	apply(&run, "fq_codel target 10ms noecn");
	apply(&run, "shaper rate 10mbit burst 16kb");
	assert_int_equal(run.kind, QDISC_KIND_FQ_CODEL);
	assert_int_equal(run.fq_codel.target_ns, 10 * MS);
	assert_false(run.fq_codel.ecn);
	assert_int_equal(run.shaper.rate_bps, 10000000);
	assert_int_equal(run.shaper.burst_bytes, 16384);

	/* Bands keep the per-flow parameters running now, and the shaper. */
	apply(&run, "bands 3");
	assert_int_equal(run.kind, QDISC_KIND_BANDS);
	assert_int_equal(run.bands.bands, 3);
	assert_int_equal(run.fq_codel.target_ns, 10 * MS);
	assert_int_equal(run.shaper.rate_bps, 10000000);

	apply(&run, "fifo limit 100");
	assert_int_equal(run.kind, QDISC_KIND_FIFO);
	assert_int_equal(run.fifo.limit, 100);
	apply(&run, "shaper off");
	assert_int_equal(run.shaper.rate_bps, 0);
	assert_int_equal(run.kind, QDISC_KIND_FIFO);
	assert_int_equal(qdisc_conf_check(&run, err, sizeof(err)), 0);

	run.kind = QDISC_KIND_SHAPER;
	assert_int_equal(qdisc_conf_check(&run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a scheduler"));
	run.kind = QDISC_KIND_FQ_CODEL;
	run.fq_codel.drop_batch = run.fq_codel.limit + 1;
	assert_int_equal(qdisc_conf_check(&run, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "drop_batch"));
}

static void
test_fifo_drops_the_arriving_packet_at_limit(void **state)
{
	struct qdisc *q = make("fifo limit 3", 0);
	struct qdisc_stats st;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(qdisc_enqueue(q, pkt(1, 100, 0), 100, 0), 0);
	assert_int_equal(qdisc_enqueue(q, pkt(1, 100, 0), 100, 0), 1);
	assert_int_equal(pool.freed_by_drop, 1);
	assert_int_equal(qdisc_backlog(q, NULL), 3);
	for (long i = 0; i < 3; i++)
		assert_int_equal(deq(q, 0), i); /* in order; #3 was the one dropped */
	assert_int_equal(deq(q, 0), -1);
	qdisc_stats_get(q, &st);
	assert_int_equal(st.sent_packets, 3);
	assert_int_equal(st.sent_bytes, 300);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.n_bands, 0);
	teardown_q(q);
}

static void
test_requeued_packets_leave_first_in_order(void **state)
{
	struct qdisc *q = make("fifo limit 100", 0);
	void *got[8];
	uint32_t lens[8];
	struct qdisc_stats st;

	(void)state;
	for (int i = 0; i < 8; i++)
		qdisc_enqueue(q, pkt(1, 100 + (uint32_t)i, 0), 100 + (uint32_t)i, 0);
	/* Take 5; the "NIC" accepts 2 of them; 3 go back. */
	for (int i = 0; i < 5; i++)
		got[i] = qdisc_dequeue(q, 0, &lens[i]);
	fake_pkt_consume(got[0]);
	fake_pkt_consume(got[1]);
	assert_int_equal(qdisc_requeue(q, &got[2], &lens[2], 3), 3);
	assert_int_equal(qdisc_backlog(q, NULL), 6);
	qdisc_stats_get(q, &st);
	assert_int_equal(st.requeues, 3);
	assert_int_equal(st.sent_packets, 2); /* requeued ones are not "sent" */
	assert_int_equal(st.sent_bytes, 100 + 101);
	for (long i = 2; i < 8; i++)
		assert_int_equal(deq(q, 0), i);
	teardown_q(q);
}

static void
test_shaper_holds_the_head_until_credit_and_keeps_the_rate(void **state)
{
	struct qdisc_stats st;
	struct qdisc_conf c;
	uint64_t t;
	int sent = 0;

	(void)state;
	/* fq_codel behind 8 Mbit/s = 1 byte/us, burst 1514 bytes: one frame. */
	qdisc_conf_default(&c);
	apply(&c, "shaper rate 8mbit burst 1514");
	struct qdisc *q = qdisc_create(&c, &ops, 0, 0);
	assert_non_null(q);
	for (int i = 0; i < 10; i++)
		qdisc_enqueue(q, pkt(1, 1000, 0), 1000, 0);
	/* The bucket starts full (1514 bytes): one frame now, 514 bytes left;
	 * the next 1000-byte frame conforms 486 us later. */
	assert_int_equal(deq(q, 0), 0);
	assert_int_equal(deq(q, 0), -1);
	assert_int_equal(deq(q, 485 * US), -1);
	assert_int_equal(qdisc_backlog(q, NULL), 9); /* the held one counts */
	assert_int_equal(deq(q, 486 * US), 1);
	/* Then one every 1000 us: the last 8 by 8486 us. */
	assert_int_equal(deq(q, 1485 * US), -1);
	for (t = 1486 * US; t <= 10000 * US; t += 100 * US)
		while (deq(q, t) >= 0)
			sent++;
	assert_int_equal(sent, 8);
	qdisc_stats_get(q, &st);
	assert_true(st.overlimits >= 9); /* every packet after the first waited */
	assert_int_equal(st.sent_packets, 10);
	teardown_q(q);
}

static void
test_instances_sharing_a_shaper_keep_the_port_to_its_rate(void **state)
{
	struct qdisc_conf c;
	struct shaper_shared ss = {.lock = ATOMIC_FLAG_INIT};
	int sent = 0;

	(void)state;
	/* Two TX queues of one port (two workers) behind 8 Mbit/s = 1 byte/us,
	 * each with 100 frames of 1000 bytes waiting: together they may send
	 * one frame per 1000 us, not one each. */
	qdisc_conf_default(&c);
	apply(&c, "shaper rate 8mbit burst 1514");
	assert_int_equal(shaper_shared_init(&ss, 8000000, 1514, 0), 0);
	struct qdisc *a = qdisc_create(&c, &ops, 0, 0);
	struct qdisc *b = qdisc_create(&c, &ops, 0, 0);
	assert_non_null(a);
	assert_non_null(b);
	qdisc_share_shaper(a, &ss);
	qdisc_share_shaper(b, &ss);
	for (int i = 0; i < 100; i++) {
		qdisc_enqueue(a, pkt(1, 1000, 0), 1000, 0);
		qdisc_enqueue(b, pkt(2, 1000, 0), 1000, 0);
	}
	/* Over 50 ms: the burst (1 frame) plus 50 frames of credit. */
	for (uint64_t t = 0; t <= 50000 * US; t += 10 * US) {
		while (deq(a, t) >= 0)
			sent++;
		while (deq(b, t) >= 0)
			sent++;
	}
	assert_in_range(sent, 50, 51);
	pool.teardown = true; /* b's packets are freed at teardown, not dropped */
	qdisc_free(b);
	teardown_q(a);
}

static void
test_bypass_only_when_nothing_is_queued_and_no_shaper(void **state)
{
	struct qdisc_conf c;
	struct qdisc_stats st;

	(void)state;
	qdisc_conf_default(&c);
	struct qdisc *q = qdisc_create(&c, &ops, 0, 0);
	assert_true(qdisc_can_bypass(q));
	qdisc_enqueue(q, pkt(1, 100, 0), 100, 0);
	assert_false(qdisc_can_bypass(q)); /* a queue: it must be scheduled */
	struct fake_pkt *p = qdisc_dequeue(q, 0, NULL);
	assert_non_null(p);
	assert_true(qdisc_can_bypass(q));
	/* The NIC refused it: requeued, no bypass until it has left. */
	uint32_t len = 100;
	assert_int_equal(qdisc_requeue(q, (void *const *)&p, &len, 1), 1);
	assert_false(qdisc_can_bypass(q));
	assert_int_equal(deq(q, 0), (long)(p->id & 0xffffffffu));
	assert_true(qdisc_can_bypass(q));
	qdisc_count_bypass(q, 3, 300);
	qdisc_stats_get(q, &st);
	assert_int_equal(st.sent_packets, 1 + 3); /* the requeued one counts once */
	assert_int_equal(st.sent_bytes, 100 + 300);
	teardown_q(q);

	/* A shaped port never bypasses: the shaper decides when packets go. */
	apply(&c, "shaper rate 8mbit burst 1514");
	q = qdisc_create(&c, &ops, 0, 0);
	assert_false(qdisc_can_bypass(q));
	teardown_q(q);
}

static void
test_requeued_packets_do_not_pay_the_shaper_twice(void **state)
{
	struct qdisc_conf c;
	void *p;
	uint32_t len;

	(void)state;
	qdisc_conf_default(&c);
	apply(&c, "fifo limit 10");
	apply(&c, "shaper rate 8mbit burst 1514");
	struct qdisc *q = qdisc_create(&c, &ops, 0, 0);
	assert_non_null(q);
	qdisc_enqueue(q, pkt(1, 1500, 0), 1500, 0);
	qdisc_enqueue(q, pkt(1, 1500, 0), 1500, 0);
	p = qdisc_dequeue(q, 0, &len);
	assert_non_null(p);
	/* The NIC refuses it: it comes back at once, with no new credit. */
	assert_int_equal(qdisc_requeue(q, &p, &len, 1), 1);
	assert_int_equal(deq(q, 1 * US), 0);
	assert_int_equal(deq(q, 2 * US), -1); /* #1 waits for credit */
	assert_int_equal(deq(q, 1500 * US), 1);
	teardown_q(q);
}

static void
test_bands_serve_ef_before_best_effort_before_cs1(void **state)
{
	struct qdisc *q = make("bands 3", 0);
	struct qdisc_stats st;

	(void)state;
	qdisc_enqueue(q, pkt(1, 100, 8), 100, 0);  /* id 0: CS1 -> band 2 */
	qdisc_enqueue(q, pkt(2, 100, 0), 100, 0);  /* id 1: BE  -> band 1 */
	qdisc_enqueue(q, pkt(3, 100, 46), 100, 0); /* id 2: EF  -> band 0 */
	assert_int_equal(deq(q, 0), 2);
	assert_int_equal(deq(q, 0), 1);
	assert_int_equal(deq(q, 0), 0);
	qdisc_stats_get(q, &st);
	assert_int_equal(st.n_bands, 3);
	for (unsigned b = 0; b < 3; b++)
		assert_int_equal(st.band[b].sent_packets, 1);
	teardown_q(q);
}

static void
test_migrate_keeps_requeued_at_the_head_and_flows_in_order(void **state)
{
	struct qdisc_conf c;
	void *p;
	uint32_t len;
	struct qdisc_stats st;

	(void)state;
	qdisc_conf_default(&c);
	apply(&c, "fifo limit 100");
	struct qdisc *from = qdisc_create(&c, &ops, 0, 0);
	assert_non_null(from);
	for (int i = 0; i < 6; i++)
		qdisc_enqueue(from, pkt((uint32_t)i % 2, 100, 0), 100, 0);
	p = qdisc_dequeue(from, 0, &len);
	qdisc_requeue(from, &p, &len, 1);

	struct qdisc *to = make("fq_codel", 0);
	assert_int_equal(qdisc_migrate(from, to, 0), 6);
	assert_int_equal(qdisc_backlog(from, NULL), 0);
	assert_int_equal(qdisc_backlog(to, NULL), 6);
	qdisc_free(from);
	/* #0 was requeued: first. Then per flow in order: 2,4 (flow 0) and 1,3,5 (flow 1). */
	assert_int_equal(deq(to, 0), 0);
	long last[2] = {0, -1};
	for (int i = 0; i < 5; i++) {
		long id = deq(to, 0);
		assert_true(id > last[id % 2]);
		last[id % 2] = id;
	}
	qdisc_stats_get(to, &st);
	assert_int_equal(st.dropped, 0);
	teardown_q(to);
}

static void
test_migrate_into_a_smaller_qdisc_counts_its_drops(void **state)
{
	struct qdisc *from = make("fifo limit 100", 0);
	struct qdisc *to = make("fifo limit 4", 0);
	struct qdisc_stats st;

	(void)state;
	for (int i = 0; i < 10; i++)
		qdisc_enqueue(from, pkt(1, 100, 0), 100, 0);
	assert_int_equal(qdisc_migrate(from, to, 0), 4);
	qdisc_free(from);
	qdisc_stats_get(to, &st);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(st.backlog_packets, 4);
	teardown_q(to);
}

static void
test_free_releases_held_requeued_and_queued(void **state)
{
	struct qdisc_conf c;
	void *p;
	uint32_t len;

	(void)state;
	qdisc_conf_default(&c);
	apply(&c, "shaper rate 8mbit burst 1514");
	struct qdisc *q = qdisc_create(&c, &ops, 0, 0);
	assert_non_null(q);
	for (int i = 0; i < 5; i++)
		qdisc_enqueue(q, pkt((uint32_t)i, 1500, 0), 1500, 0);
	p = qdisc_dequeue(q, 0, &len);
	qdisc_requeue(q, &p, &len, 1);
	assert_ptr_equal(qdisc_dequeue(q, 0, &len), p); /* the requeued one comes back */
	qdisc_requeue(q, &p, &len, 1);
	/* Now: 1 requeued, and after this a held one waiting for credit. */
	assert_int_equal(deq(q, 0), 0);
	assert_int_equal(deq(q, 0), -1);
	assert_int_equal(qdisc_backlog(q, NULL), 4);
	teardown_q(q); /* 4 freed at teardown, nothing leaks */
	assert_int_equal(pool.freed_at_teardown, 4);
}

static void
test_create_rejects_bad_conf_and_ops(void **state)
{
	struct qdisc_conf c;
	struct qdisc_ops no_classify = {.free = fake_pkt_free};

	(void)state;
	qdisc_conf_default(&c);
	errno = 0;
	assert_null(qdisc_create(&c, &no_classify, 0, 0));
	assert_int_equal(errno, EINVAL);
	c.fq_codel.limit = 0;
	assert_null(qdisc_create(&c, &ops, 0, 0));
	qdisc_conf_default(&c);
	c.shaper.rate_bps = 1000;
	c.shaper.burst_bytes = 100; /* below one frame */
	assert_null(qdisc_create(&c, &ops, 0, 0));
	/* FIFO needs no classifier. */
	qdisc_conf_default(&c);
	apply(&c, "fifo");
	struct qdisc *q = qdisc_create(&c, &no_classify, 0, 0);
	assert_non_null(q);
	struct fake_pkt *p = pkt(1, 1, 0);
	assert_int_equal(qdisc_enqueue(q, p, 0, 0), -EINVAL); /* len 0: not taken */
	assert_int_equal(qdisc_backlog(q, NULL), 0);
	fake_pkt_consume(p);
	teardown_q(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_set_words_fold_into_the_running_conf, setup),
	    cmocka_unit_test_setup(test_fifo_drops_the_arriving_packet_at_limit, setup),
	    cmocka_unit_test_setup(test_requeued_packets_leave_first_in_order, setup),
	    cmocka_unit_test_setup(test_shaper_holds_the_head_until_credit_and_keeps_the_rate,
				   setup),
	    cmocka_unit_test_setup(test_requeued_packets_do_not_pay_the_shaper_twice, setup),
	    cmocka_unit_test_setup(test_instances_sharing_a_shaper_keep_the_port_to_its_rate,
				   setup),
	    cmocka_unit_test_setup(test_bypass_only_when_nothing_is_queued_and_no_shaper, setup),
	    cmocka_unit_test_setup(test_bands_serve_ef_before_best_effort_before_cs1, setup),
	    cmocka_unit_test_setup(test_migrate_keeps_requeued_at_the_head_and_flows_in_order,
				   setup),
	    cmocka_unit_test_setup(test_migrate_into_a_smaller_qdisc_counts_its_drops, setup),
	    cmocka_unit_test_setup(test_free_releases_held_requeued_and_queued, setup),
	    cmocka_unit_test_setup(test_create_rejects_bad_conf_and_ops, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
