/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parse.h"

static void
test_u64_bounds_and_garbage(void **state)
{
	(void)state;
	uint64_t v = 77;
	assert_int_equal(parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	v = 77;
	assert_int_equal(parse_u64("101", 0, 100, &v), -1);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -1);
	assert_int_equal(parse_u64("", 0, 100, &v), -1);
	assert_int_equal(parse_u64("12a", 0, 100, &v), -1);
	assert_int_equal(parse_u64(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -1);
	assert_int_equal(v, 77); /* untouched on error */
}

static void
test_ip4_and_cidr(void **state)
{
	(void)state;
	uint32_t a;
	uint8_t l;
	assert_int_equal(parse_ip4("198.18.0.1", &a), 0);
	assert_int_equal(a, 0xc6120001);
	assert_int_equal(parse_ip4("256.1.1.1", &a), -1);
	assert_int_equal(parse_ip4("1.1.1", &a), -1);
	assert_int_equal(parse_ip4("1.1.1.1.", &a), -1);
	assert_int_equal(parse_ip4("1..1.1", &a), -1);
	assert_int_equal(parse_ip4("0001.1.1.1", &a), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0.1/24", &a, &l), 0);
	assert_int_equal(a, 0xc6120001);
	assert_int_equal(l, 24);
	assert_int_equal(parse_ip4_cidr("198.18.0.1/33", &a, &l), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0.1", &a, &l), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0.1/", &a, &l), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0.1/2x", &a, &l), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0.1/-1", &a, &l), -1);
	assert_int_equal(parse_ip4_cidr("198.18.0/24", &a, &l), -1);
	char buf[16];
	assert_string_equal(fmt_ip4(0xc6120001, buf), "198.18.0.1");
}

static void
test_bool_mode_cpulist(void **state)
{
	(void)state;
	bool b;
	assert_int_equal(parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("maybe", &b), -1);
	uint32_t m;
	assert_int_equal(parse_mode("0660", &m), 0);
	assert_int_equal(m, 0660);
	assert_int_equal(parse_mode("0668", &m), -1);
	assert_int_equal(parse_mode("17777", &m), -1);
	uint64_t c;
	assert_int_equal(parse_cpulist("0-2,5", &c), 0);
	assert_int_equal(c, 0x27);
	assert_int_equal(parse_cpulist("3-1", &c), -1);
	assert_int_equal(parse_cpulist("64", &c), -1);
	assert_int_equal(parse_cpulist("1,", &c), -1);
	assert_int_equal(parse_cpulist("a", &c), -1);
	assert_int_equal(parse_cpulist("", &c), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_bounds_and_garbage),
		cmocka_unit_test(test_ip4_and_cidr),
		cmocka_unit_test(test_bool_mode_cpulist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
