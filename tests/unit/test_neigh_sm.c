/* SPDX-License-Identifier: BSD-3-Clause */
/* The neighbour state machine on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "neigh_sm.h"

#define S UINT64_C(1000000000)

static struct neigh_params p;

static int
setup(void **state)
{
	(void)state;
	neigh_params_default(&p);
	return 0;
}

static void
test_first_packet_sends_broadcast_request_and_holds(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	unsigned int a = neigh_sm_resolve(&p, &s, 10 * S);
	assert_int_equal(a, NEIGH_ACT_SEND_BROADCAST | NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_INCOMPLETE);
	assert_int_equal(s.timer, 11 * S);
	/* A second packet while asking: held, no new request. */
	assert_int_equal(neigh_sm_resolve(&p, &s, 10 * S + 1), NEIGH_ACT_NONE);
}

static void
test_incomplete_retries_then_fails_and_drops_held(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_resolve(&p, &s, 0);
	assert_int_equal(neigh_sm_timer(&p, &s, false, 1 * S), NEIGH_ACT_SEND_BROADCAST);
	assert_int_equal(neigh_sm_timer(&p, &s, false, 2 * S), NEIGH_ACT_SEND_BROADCAST);
	/* three requests sent: the next tick gives up */
	assert_int_equal(neigh_sm_timer(&p, &s, false, 3 * S),
			 NEIGH_ACT_DROP_HOLD | NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_FAILED);
	/* new packets while FAILED are dropped without a new request */
	assert_int_equal(neigh_sm_resolve(&p, &s, 4 * S), NEIGH_ACT_DROP_HOLD);
	/* and the entry goes away after failed_ns */
	assert_int_equal(neigh_sm_timer(&p, &s, false, 3 * S + p.failed_ns), NEIGH_ACT_DELETE);
}

static void
test_reply_makes_reachable_and_flushes(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_resolve(&p, &s, 0);
	unsigned int a = neigh_sm_confirm(&p, &s, S / 2);
	assert_int_equal(a, NEIGH_ACT_PUBLISH | NEIGH_ACT_FLUSH_HOLD);
	assert_int_equal(s.state, NEIGH_REACHABLE);
	assert_int_equal(s.timer, S / 2 + p.reachable_ns);
	/* usable: later packets go at once */
	assert_int_equal(neigh_sm_resolve(&p, &s, S), NEIGH_ACT_FLUSH_HOLD);
}

static void
test_reachable_goes_stale_then_probe_on_use(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_confirm(&p, &s, 0);
	assert_int_equal(neigh_sm_timer(&p, &s, false, p.reachable_ns), NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_STALE);
	uint64_t t = p.reachable_ns + S;
	assert_int_equal(neigh_sm_timer(&p, &s, true, t),
			 NEIGH_ACT_SEND_UNICAST | NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_PROBE);
	assert_int_equal(neigh_sm_timer(&p, &s, false, t + S), NEIGH_ACT_SEND_UNICAST);
	assert_int_equal(neigh_sm_timer(&p, &s, false, t + 2 * S), NEIGH_ACT_SEND_UNICAST);
	assert_int_equal(neigh_sm_timer(&p, &s, false, t + 3 * S), NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_FAILED);
}

static void
test_probe_answered_returns_to_reachable(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_confirm(&p, &s, 0);
	neigh_sm_timer(&p, &s, false, p.reachable_ns);
	neigh_sm_timer(&p, &s, true, p.reachable_ns + 1);
	assert_int_equal(s.state, NEIGH_PROBE);
	neigh_sm_confirm(&p, &s, p.reachable_ns + 2);
	assert_int_equal(s.state, NEIGH_REACHABLE);
	assert_int_equal(s.probes, 0);
}

static void
test_unused_stale_entry_is_garbage_collected(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_heard(&p, &s, true, 0);
	assert_int_equal(s.state, NEIGH_STALE);
	assert_int_equal(s.timer, p.stale_gc_ns);
	assert_int_equal(neigh_sm_timer(&p, &s, false, p.stale_gc_ns), NEIGH_ACT_DELETE);
}

static void
test_heard_does_not_downgrade_reachable_unless_mac_changes(void **state)
{
	(void)state;
	struct neigh_sm s = {0};
	neigh_sm_confirm(&p, &s, 0);
	assert_int_equal(neigh_sm_heard(&p, &s, false, S), NEIGH_ACT_NONE);
	assert_int_equal(s.state, NEIGH_REACHABLE);
	assert_int_equal(neigh_sm_heard(&p, &s, true, S) & NEIGH_ACT_PUBLISH, NEIGH_ACT_PUBLISH);
	assert_int_equal(s.state, NEIGH_STALE);
}

static void
test_permanent_entries_never_change(void **state)
{
	(void)state;
	struct neigh_sm s = {.state = NEIGH_PERMANENT};
	assert_int_equal(neigh_sm_confirm(&p, &s, 0), NEIGH_ACT_NONE);
	assert_int_equal(neigh_sm_heard(&p, &s, true, 0), NEIGH_ACT_NONE);
	assert_int_equal(neigh_sm_timer(&p, &s, true, 100 * S), NEIGH_ACT_NONE);
	assert_int_equal(s.state, NEIGH_PERMANENT);
	assert_int_equal(neigh_sm_resolve(&p, &s, 0), NEIGH_ACT_FLUSH_HOLD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_packet_sends_broadcast_request_and_holds, setup),
		cmocka_unit_test_setup(test_incomplete_retries_then_fails_and_drops_held, setup),
		cmocka_unit_test_setup(test_reply_makes_reachable_and_flushes, setup),
		cmocka_unit_test_setup(test_reachable_goes_stale_then_probe_on_use, setup),
		cmocka_unit_test_setup(test_probe_answered_returns_to_reachable, setup),
		cmocka_unit_test_setup(test_unused_stale_entry_is_garbage_collected, setup),
		cmocka_unit_test_setup(test_heard_does_not_downgrade_reachable_unless_mac_changes,
				       setup),
		cmocka_unit_test_setup(test_permanent_entries_never_change, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
