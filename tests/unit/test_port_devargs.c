/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port.h"

static void
test_af_packet_gets_one_qpair_per_worker(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(port_devargs("net_af_packet0,iface=veth0", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "net_af_packet0,iface=veth0,qpairs=2");
}

static void
test_explicit_qpairs_and_other_drivers_are_untouched(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(port_devargs("net_af_packet0,iface=v,qpairs=4", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "net_af_packet0,iface=v,qpairs=4");
	assert_int_equal(port_devargs("net_tap0,iface=cav0", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "net_tap0,iface=cav0");
	assert_int_equal(port_devargs("net_af_packet0,iface=veth0", 2, out, 20), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_af_packet_gets_one_qpair_per_worker),
		cmocka_unit_test(test_explicit_qpairs_and_other_drivers_are_untouched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
