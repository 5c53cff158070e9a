/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini.h"

static void
test_sections_entries_and_lines_are_kept(void **state)
{
	(void)state;
	const char *text = "# comment\n"
			   "[eal]\n"
			   "  memory_mb = 256   ; trailing comment\n"
			   "\n"
			   "[port dp0]\n"
			   "device = net_tap0,iface=cav0\n"
			   "address = 198.18.0.1/24\n"
			   "address=198.18.1.1/24\n";
	struct ini_file *f;
	char err[256];
	assert_int_equal(ini_parse("t.conf", text, &f, err, sizeof(err)), 0);
	assert_int_equal(f->n_sections, 2);
	assert_string_equal(f->sections[0].name, "eal");
	assert_null(f->sections[0].arg);
	assert_int_equal(f->sections[0].line, 2);
	assert_string_equal(f->sections[0].entries[0].key, "memory_mb");
	assert_string_equal(f->sections[0].entries[0].value, "256");
	assert_int_equal(f->sections[0].entries[0].line, 3);
	assert_string_equal(f->sections[1].name, "port");
	assert_string_equal(f->sections[1].arg, "dp0");
	assert_int_equal(f->sections[1].n_entries, 3);
	assert_string_equal(f->sections[1].entries[0].value, "net_tap0,iface=cav0");
	assert_string_equal(f->sections[1].entries[2].value, "198.18.1.1/24");
	assert_int_equal(f->sections[1].entries[2].line, 8);
	ini_free(f);
}

static void
expect_error(const char *text, const char *msg)
{
	struct ini_file *f = (struct ini_file *)0x1;
	char err[256];
	assert_int_equal(ini_parse("bad.conf", text, &f, err, sizeof(err)), -1);
	assert_null(f);
	if (strstr(err, msg) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, msg);
}

static void
test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("[eal]\nmemory_mb\n", "bad.conf:2: expected 'key = value'");
	expect_error("key = v\n", "bad.conf:1: key 'key' outside any section");
	expect_error("[eal\n", "bad.conf:1: malformed section header");
	expect_error("[eal] x\n", "bad.conf:1: malformed section header");
	expect_error("\n\n[e al x]\n", "bad.conf:3: bad section name");
	expect_error("[eal]\nbad key = 1\n", "bad.conf:2: bad key 'bad key'");
	expect_error("[]\n", "bad.conf:1: bad section name");
	expect_error("[eal]\n = 1\n", "bad.conf:2: bad key ''");
}

static void
test_overlong_line_is_rejected(void **state)
{
	(void)state;
	char *text = malloc(3000);
	memset(text, 'a', 2999);
	text[2999] = '\0';
	memcpy(text, "[eal]\nk = ", 10);
	expect_error(text, "bad.conf:2: line too long");
	free(text);
}

static void
test_missing_file_is_reported_with_path(void **state)
{
	(void)state;
	struct ini_file *f;
	char err[256];
	assert_int_equal(ini_load("/nonexistent/cavalry.conf", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/cavalry.conf:0: cannot open"));
}

static void
test_load_from_disk_matches_parse(void **state)
{
	(void)state;
	char path[] = "/tmp/cav_ini_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[daemon]\nworkers = 2\n";
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	struct ini_file *f;
	char err[256];
	assert_int_equal(ini_load(path, &f, err, sizeof(err)), 0);
	assert_string_equal(f->path, path);
	assert_string_equal(f->sections[0].entries[0].key, "workers");
	ini_free(f);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_entries_and_lines_are_kept),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_overlong_line_is_rejected),
		cmocka_unit_test(test_missing_file_is_reported_with_path),
		cmocka_unit_test(test_load_from_disk_matches_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
