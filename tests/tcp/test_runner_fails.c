/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario runner must be able to fail: deliberately wrong scripts
 * (scripts/broken/) are reported as failures naming the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runner.h"

static void
check_fails_at(const char *file, const char *line_tag)
{
	char path[512], err[512];
	snprintf(path, sizeof(path), "%s/%s", BROKEN_DIR, file);
	assert_int_equal(tcp_run_script(path, false, err, sizeof(err)), -1);
	print_message("runner said: %s\n", err);
	assert_non_null(strstr(err, line_tag));
}

static void
test_wrong_ack_fails_at_its_line(void **state)
{
	(void)state;
	check_fails_at("wrong_ack.pkt", ".pkt:5: ack 1, expected 2");
}

static void
test_missing_segment_fails(void **state)
{
	(void)state;
	check_fails_at("missing_segment.pkt", ".pkt:7: expected a segment");
}

static void
test_unexpected_segment_fails(void **state)
{
	(void)state;
	check_fails_at("unexpected_segment.pkt", ".pkt:5: unexpected segment S.");
}

static void
test_good_text_passes_and_bad_call_fails(void **state)
{
	(void)state;
	char err[512];
	assert_int_equal(
	    tcp_run_text("ok", "0 listen 1\n+0 expect acceptq 0\n", false, err, sizeof(err)), 0);
	assert_int_equal(
	    tcp_run_text("bad", "0 listen 1\n+0 expect acceptq 3\n", false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad:2:"));
	assert_int_equal(tcp_run_text("bad", "0 frobnicate\n", false, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrong_ack_fails_at_its_line),
	    cmocka_unit_test(test_missing_segment_fails),
	    cmocka_unit_test(test_unexpected_segment_fails),
	    cmocka_unit_test(test_good_text_passes_and_bad_call_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
