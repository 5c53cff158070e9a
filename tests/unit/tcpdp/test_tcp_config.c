/* SPDX-License-Identifier: BSD-3-Clause */
/* The [tcp] section of the config (lib/config): defaults as Linux's
 * sysctls, values, and errors as FILE:LINE: reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static struct cav_config cfg;
static char err[512];

#define PORT "[port p]\ndevice = net_null0\n"

static void
test_defaults_are_linux(void **state)
{
	(void)state;
	assert_int_equal(cav_config_parse("d.conf", PORT, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.tcp.time_wait_ms, 60000);
	assert_int_equal(cfg.tcp.syn_retries, 6);
	assert_int_equal(cfg.tcp.synack_retries, 5);
	assert_int_equal(cfg.tcp.retries2, 15);
	assert_int_equal(cfg.tcp.max_conns, 65536);
}

static void
test_values(void **state)
{
	(void)state;
	const char *text = PORT "[tcp]\ntime_wait_ms = 1000\nsyn_retries = 2\nsynack_retries = 3\n"
			   "retries2 = 4\nmax_connections = 1024\n";
	assert_int_equal(cav_config_parse("t.conf", text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.tcp.time_wait_ms, 1000);
	assert_int_equal(cfg.tcp.syn_retries, 2);
	assert_int_equal(cfg.tcp.synack_retries, 3);
	assert_int_equal(cfg.tcp.retries2, 4);
	assert_int_equal(cfg.tcp.max_conns, 1024);
}

static void
expect_error(const char *text, const char *want)
{
	assert_int_equal(cav_config_parse("e.conf", text, &cfg, err, sizeof(err)), -1);
	if (strcmp(err, want) != 0)
		fail_msg("got '%s', want '%s'", err, want);
}

static void
test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error(PORT "[tcp]\nsyn_retries = 0\n",
		     "e.conf:4: syn_retries: '0' is not an integer in 1..127");
	expect_error(PORT "[tcp]\ntime_wait_ms = 60s\n",
		     "e.conf:4: time_wait_ms: '60s' is not an integer in 1..600000");
	expect_error(PORT "[tcp]\nretries2 = 3\nretries2 = 4\n",
		     "e.conf:5: duplicate key 'retries2' (first at line 4)");
	expect_error(PORT "[tcp]\nkeepalive = 1\n", "e.conf:4: unknown key 'keepalive' in [tcp]");
	expect_error(PORT "[tcp]\n[tcp]\n", "e.conf:4: section [tcp] repeated (first at line 3)");
	expect_error(PORT "[tcp x]\n", "e.conf:3: [tcp] takes no name");
	expect_error(PORT "[tcp]\nmax_connections = 10\n",
		     "e.conf:4: max_connections: '10' is not an integer in 64..1048576");
}

/* net.ipv4.tcp_ecn: Linux's default 2 (accept), 0..2, anything else an
 * error with the line. */
static void
test_ecn_key(void **state)
{
	(void)state;
	assert_int_equal(cav_config_parse("d.conf", PORT, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.tcp.ecn, 2);
	for (unsigned int v = 0; v <= 2; v++) {
		char text[128];
		snprintf(text, sizeof(text), PORT "[tcp]\necn = %u\n", v);
		assert_int_equal(cav_config_parse("t.conf", text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(cfg.tcp.ecn, v);
	}
	expect_error(PORT "[tcp]\necn = 3\n", "e.conf:4: ecn: '3' is not an integer in 0..2");
	expect_error(PORT "[tcp]\necn = on\n", "e.conf:4: ecn: 'on' is not an integer in 0..2");
}

/* net.ipv4.tcp_syncookies: Linux's default 1 (on SYN queue overflow), 0..2. */
static void
test_syncookies_key(void **state)
{
	(void)state;
	assert_int_equal(cav_config_parse("d.conf", PORT, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.tcp.syncookies, 1);
	for (unsigned int v = 0; v <= 2; v++) {
		char text[128];
		snprintf(text, sizeof(text), PORT "[tcp]\nsyncookies = %u\n", v);
		assert_int_equal(cav_config_parse("t.conf", text, &cfg, err, sizeof(err)), 0);
		assert_int_equal(cfg.tcp.syncookies, v);
	}
	expect_error(PORT "[tcp]\nsyncookies = 3\n",
		     "e.conf:4: syncookies: '3' is not an integer in 0..2");
}

/* net.ipv4.tcp_congestion_control: Linux's default cubic; the names
 * lib/tcp knows; anything else an error with the line. */
static void
test_congestion_key(void **state)
{
	(void)state;
	assert_int_equal(cav_config_parse("d.conf", PORT, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.tcp.congestion, "cubic");
	assert_int_equal(
	    cav_config_parse("t.conf", PORT "[tcp]\ncongestion = reno\n", &cfg, err, sizeof(err)),
	    0);
	assert_string_equal(cfg.tcp.congestion, "reno");
	expect_error(PORT "[tcp]\ncongestion = bbr\n",
		     "e.conf:4: congestion: unknown algorithm 'bbr' (cubic, reno)");
	expect_error(PORT "[tcp]\ncongestion =\n", "e.conf:4: congestion: empty value");
	expect_error(PORT "[tcp]\ncongestion = cubicxxxxxxxxxxxx\n",
		     "e.conf:4: congestion: value longer than 15 characters");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_linux),
		cmocka_unit_test(test_congestion_key),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_ecn_key),
		cmocka_unit_test(test_syncookies_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
