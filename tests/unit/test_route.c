/* SPDX-License-Identifier: BSD-3-Clause */
/* The FIB: addresses, connected and static routes, longest-prefix match,
 * the default route, and the errors of each control call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "eal_fixture.h"
#include "parse.h"
#include "route.h"

static struct route_table *rt;

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;
	assert_int_equal(parse_ip4(s, &a), 0);
	return a;
}

static int
setup(void **state)
{
	(void)state;
	char err[128];
	rt = route_table_create(2, NULL, SOCKET_ID_ANY, err, sizeof(err));
	return rt == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	route_table_free(rt);
	return 0;
}

static void
test_address_gives_local_and_connected_routes(void **state)
{
	(void)state;
	assert_int_equal(route_addr_add(rt, 0, ip("198.18.0.1"), 24), 0);
	const struct nexthop *nh = route_lookup(rt, ip("198.18.0.1"));
	assert_non_null(nh);
	assert_int_equal(nh->type, NH_LOCAL);
	nh = route_lookup(rt, ip("198.18.0.77"));
	assert_non_null(nh);
	assert_int_equal(nh->type, NH_CONNECTED);
	assert_int_equal(nh->port, 0);
	assert_null(route_lookup(rt, ip("198.19.0.1")));
	assert_true(route_is_local_addr(rt, 0, ip("198.18.0.1")));
	assert_false(route_is_local_addr(rt, 1, ip("198.18.0.1")));
	assert_true(route_is_broadcast(rt, ip("198.18.0.255")));
	assert_true(route_is_broadcast(rt, ip("255.255.255.255")));
	assert_false(route_is_broadcast(rt, ip("198.18.0.254")));
	assert_int_equal(route_port_addr(rt, 0), ip("198.18.0.1"));
	assert_int_equal(route_port_addr(rt, 1), 0);
	assert_int_equal(route_addr_add(rt, 1, ip("198.18.0.1"), 24), EEXIST);
}

static void
test_longest_prefix_and_default_route(void **state)
{
	(void)state;
	assert_int_equal(route_addr_add(rt, 0, ip("198.18.0.1"), 24), 0);
	assert_int_equal(route_addr_add(rt, 1, ip("198.18.1.1"), 24), 0);
	assert_int_equal(route_add(rt, ip("198.19.0.0"), 16, ip("198.18.0.2")), 0);
	assert_int_equal(route_add(rt, ip("198.19.5.0"), 24, ip("198.18.1.2")), 0);
	assert_int_equal(route_add(rt, 0, 0, ip("198.18.1.9")), 0);

	const struct nexthop *nh = route_lookup(rt, ip("198.19.5.7"));
	assert_int_equal(nh->type, NH_GATEWAY);
	assert_int_equal(nh->gw, ip("198.18.1.2"));
	assert_int_equal(nh->port, 1);
	nh = route_lookup(rt, ip("198.19.6.7"));
	assert_int_equal(nh->gw, ip("198.18.0.2"));
	assert_int_equal(nh->port, 0);
	nh = route_lookup(rt, ip("203.0.113.1"));
	assert_non_null(nh);
	assert_int_equal(nh->len, 0);
	assert_int_equal(nh->gw, ip("198.18.1.9"));

	assert_int_equal(route_del(rt, 0, 0), 0);
	assert_null(route_lookup(rt, ip("203.0.113.1")));
	assert_int_equal(route_del(rt, ip("198.19.5.0"), 24), 0);
	assert_int_equal(route_lookup(rt, ip("198.19.5.7"))->gw, ip("198.18.0.2"));
}

static void
test_control_errors(void **state)
{
	(void)state;
	assert_int_equal(route_addr_add(rt, 0, ip("198.18.0.1"), 24), 0);
	/* gateway not on a connected subnet */
	assert_int_equal(route_add(rt, ip("198.19.0.0"), 16, ip("198.20.0.1")), ENETUNREACH);
	/* host bits set */
	assert_int_equal(route_add(rt, ip("198.19.0.1"), 16, ip("198.18.0.2")), EINVAL);
	assert_int_equal(route_add(rt, ip("198.19.0.0"), 16, ip("198.18.0.2")), 0);
	assert_int_equal(route_add(rt, ip("198.19.0.0"), 16, ip("198.18.0.3")), EEXIST);
	assert_int_equal(route_del(rt, ip("198.20.0.0"), 16), ESRCH);
	/* a connected route belongs to its address */
	assert_int_equal(route_del(rt, ip("198.18.0.0"), 24), EPERM);
	assert_int_equal(route_addr_del(rt, 0, ip("198.18.0.9"), 24), ESRCH);
	assert_int_equal(route_addr_add(rt, 5, ip("198.18.9.1"), 24), EINVAL);
}

static void
test_address_delete_removes_its_routes(void **state)
{
	(void)state;
	assert_int_equal(route_addr_add(rt, 0, ip("198.18.0.1"), 24), 0);
	assert_int_equal(route_addr_add(rt, 0, ip("198.18.0.2"), 24), 0);
	/* the subnet stays while another address keeps it */
	assert_int_equal(route_addr_del(rt, 0, ip("198.18.0.1"), 24), 0);
	assert_int_equal(route_lookup(rt, ip("198.18.0.1"))->type, NH_CONNECTED);
	assert_int_equal(route_addr_del(rt, 0, ip("198.18.0.2"), 24), 0);
	assert_null(route_lookup(rt, ip("198.18.0.1")));
	assert_int_equal(rt->addrs->n, 0);
}

int
main(void)
{
	if (test_eal_init("route") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_address_gives_local_and_connected_routes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_prefix_and_default_route, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_control_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_delete_removes_its_routes, setup,
						teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_eal_cleanup();
	return rc;
}
