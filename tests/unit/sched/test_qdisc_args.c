/* SPDX-License-Identifier: BSD-3-Clause */
/* tc-style qdisc argument parser (qdisc_args.h): every accepted form and every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "qdisc_args.h"

#define MAX_ARGS 24

/* Split a command line on single spaces into argv (no quoting: map strings use argv directly). */
struct args {
	char buf[256];
	char *argv[MAX_ARGS];
	int argc;
};

static void
split(struct args *a, const char *line)
{
	char *s;

	assert_true(strlen(line) < sizeof(a->buf));
	strcpy(a->buf, line);
	a->argc = 0;
	for (s = strtok(a->buf, " "); s != NULL; s = strtok(NULL, " ")) {
		assert_true(a->argc < MAX_ARGS);
		a->argv[a->argc++] = s;
	}
}

static bool
dummy_mark(void *pkt)
{
	(void)pkt;
	return false;
}

static void
dummy_free(void *pkt)
{
	(void)pkt;
}

static int
parse(const char *line, struct qdisc_conf *c, char *err, size_t errlen)
{
	struct args a;

	split(&a, line);
	return qdisc_args_parse(a.argc, a.argv, c, err, errlen);
}

static void
test_fq_codel_defaults(void **state)
{
	struct qdisc_conf c = {0};
	struct fq_codel_params def;
	char err[256] = "";

	(void)state;
	c.fq_codel.ops.free = dummy_free;
	c.fq_codel.ops.mark_ce = dummy_mark;
	assert_int_equal(parse("fq_codel", &c, err, sizeof(err)), 0);
	assert_int_equal(c.kind, QDISC_KIND_FQ_CODEL);
	fq_codel_params_default(&def);
	assert_int_equal(c.fq_codel.limit, def.limit);
	assert_int_equal(c.fq_codel.flows, def.flows);
	assert_int_equal(c.fq_codel.quantum, def.quantum);
	assert_int_equal(c.fq_codel.target_ns, def.target_ns);
	assert_int_equal(c.fq_codel.interval_ns, def.interval_ns);
	assert_int_equal(c.fq_codel.memory_limit, def.memory_limit);
	assert_true(c.fq_codel.ecn);
	/* The parser never touches ops: they come from the dataplane. */
	assert_ptr_equal(c.fq_codel.ops.free, dummy_free);
	assert_ptr_equal(c.fq_codel.ops.mark_ce, dummy_mark);
	assert_string_equal(qdisc_kind_name(c.kind), "fq_codel");
}

static void
test_fq_codel_all_options(void **state)
{
	struct qdisc_conf c = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("fq_codel limit 2000 flows 256 quantum 300 target 2.5ms "
			       "interval 1s noecn memory_limit 4Mb drop_batch 16",
			       &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.fq_codel.limit, 2000);
	assert_int_equal(c.fq_codel.flows, 256);
	assert_int_equal(c.fq_codel.quantum, 300);
	assert_int_equal(c.fq_codel.target_ns, 2500000);
	assert_int_equal(c.fq_codel.interval_ns, 1000000000);
	assert_false(c.fq_codel.ecn);
	assert_int_equal(c.fq_codel.memory_limit, 4u << 20);
	assert_int_equal(c.fq_codel.drop_batch, 16);
	assert_int_equal(fq_codel_params_check(&c.fq_codel), -EINVAL); /* no ops yet */
	c.fq_codel.ops.free = dummy_free;
	assert_int_equal(fq_codel_params_check(&c.fq_codel), 0);
}

struct unit_case {
	const char *line;
	uint64_t want;
};

static void
test_units(void **state)
{
	static const struct unit_case times[] = {
	    {"fq_codel target 5ms", 5000000},	   {"fq_codel target 100us", 100000},
	    {"fq_codel target 1s", 1000000000},	   {"fq_codel target 250ns", 250},
	    {"fq_codel target 3usec", 3000},	   {"fq_codel target 7MSEC", 7000000},
	    {"fq_codel target 2secs", 2000000000}, {"fq_codel target 0.000000001s", 1},
	};
	static const struct unit_case sizes[] = {
	    {"fq_codel memory_limit 1514", 1514},
	    {"fq_codel memory_limit 64kb", 65536},
	    {"fq_codel memory_limit 32Mb", 32u << 20},
	    {"fq_codel memory_limit 2k", 2048},
	    {"fq_codel memory_limit 1m", 1u << 20},
	    {"fq_codel memory_limit 1g", 1u << 30},
	    {"fq_codel memory_limit 3gb", UINT64_C(3) << 30},
	    {"fq_codel memory_limit 100b", 100},
	    {"fq_codel memory_limit 1.5kb", 1536},
	};
	static const struct unit_case rates[] = {
	    {"shaper rate 10mbit burst 1514", 10000000},
	    {"shaper rate 1gbit burst 1514", 1000000000},
	    {"shaper rate 500kbit burst 1514", 500000},
	    {"shaper rate 100bit burst 1514", 100},
	    {"shaper rate 1.5gbit burst 1514", 1500000000},
	    {"shaper rate 1tbit burst 1514", UINT64_C(1000000000000)},
	    {"shaper rate 10mbps burst 1514", 80000000},
	    {"shaper rate 1kibit burst 1514", 1024},
	    {"shaper rate 2MBIT burst 1514", 2000000},
	    {"shaper rate 1bps burst 1514", 8},
	};
	struct qdisc_conf c = {0};
	char err[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		assert_int_equal(parse(times[i].line, &c, err, sizeof(err)), 0);
		assert_int_equal(c.fq_codel.target_ns, times[i].want);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(parse(sizes[i].line, &c, err, sizeof(err)), 0);
		assert_int_equal(c.fq_codel.memory_limit, sizes[i].want);
	}
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		assert_int_equal(parse(rates[i].line, &c, err, sizeof(err)), 0);
		assert_int_equal(c.shaper.rate_bps, rates[i].want);
	}
}

static void
test_shaper_fifo_and_bands(void **state)
{
	struct qdisc_conf c = {0};
	struct prio_map m;
	char err[256] = "";
	char *argv[] = {"bands", "3", "map", "3 ef,cs6,cs7:0 cs1:2 default:1"};
	char *argv2[] = {"bands", "2", "map", "ef:0"};

	(void)state;
	assert_int_equal(parse("shaper burst 32kb rate 10mbit", &c, err, sizeof(err)), 0);
	assert_int_equal(c.kind, QDISC_KIND_SHAPER);
	assert_int_equal(c.shaper.rate_bps, 10000000);
	assert_int_equal(c.shaper.burst_bytes, 32768);

	assert_int_equal(parse("fifo", &c, err, sizeof(err)), 0);
	assert_int_equal(c.kind, QDISC_KIND_FIFO);
	assert_int_equal(c.fifo.limit, QDISC_FIFO_DEFAULT_LIMIT);
	assert_int_equal(parse("fifo limit 500", &c, err, sizeof(err)), 0);
	assert_int_equal(c.fifo.limit, 500);

	assert_int_equal(parse("bands 4", &c, err, sizeof(err)), 0);
	assert_int_equal(c.kind, QDISC_KIND_BANDS);
	prio_map_default(&m, 4);
	assert_memory_equal(&c.bands, &m, sizeof(m));

	assert_int_equal(qdisc_args_parse(4, argv, &c, err, sizeof(err)), 0);
	prio_map_default(&m, 3);
	assert_memory_equal(&c.bands, &m, sizeof(m));

	assert_int_equal(qdisc_args_parse(4, argv2, &c, err, sizeof(err)), 0);
	assert_int_equal(c.bands.bands, 2);
	assert_int_equal(c.bands.band[PRIO_DSCP_EF], 0);
	assert_int_equal(c.bands.band[PRIO_DSCP_CS6], 1);
	assert_string_equal(qdisc_kind_name(QDISC_KIND_BANDS), "bands");
	assert_string_equal(qdisc_kind_name(QDISC_KIND_SHAPER), "shaper");
	assert_string_equal(qdisc_kind_name(QDISC_KIND_FIFO), "fifo");
	assert_string_equal(qdisc_kind_name(QDISC_KIND_NONE), "none");
}

struct bad_case {
	const char *line;
	const char *must_contain;
};

static const struct bad_case bad[] = {
    {"", "missing qdisc kind"},
    {"htb", "unknown qdisc 'htb' (expected fq_codel, shaper, bands or fifo)"},
    {"FQ_CODEL", "unknown qdisc 'FQ_CODEL'"},
    /* fq_codel */
    {"fq_codel foo 1", "fq_codel: unknown option 'foo'"},
    {"fq_codel limit", "fq_codel: 'limit' needs a value"},
    {"fq_codel limit 10x", "fq_codel: bad limit '10x' (expected a whole number)"},
    {"fq_codel limit 10.5", "bad limit '10.5'"},
    {"fq_codel limit -1", "bad limit '-1'"},
    {"fq_codel limit 0", "fq_codel: limit '0' out of range 1..1048576"},
    {"fq_codel limit 1048577", "limit '1048577' out of range"},
    {"fq_codel limit 99999999999999999999999", "bad limit '99999999999999999999999'"},
    {"fq_codel limit 10 limit 20", "fq_codel: 'limit' given twice"},
    {"fq_codel flows 0", "flows '0' out of range 1..65536"},
    {"fq_codel flows 65537", "flows '65537' out of range"},
    {"fq_codel quantum 255", "quantum '255' out of range 256..1048576"},
    {"fq_codel quantum 1048577", "quantum '1048577' out of range"},
    {"fq_codel target 5", "bad target '5' (missing or unknown unit; expected TIME"},
    {"fq_codel target 5xs", "bad target '5xs' (missing or unknown unit"},
    {"fq_codel target ms", "bad target 'ms'"},
    {"fq_codel target .5ms", "bad target '.5ms'"},
    {"fq_codel target 5.ms", "bad target '5.ms'"},
    {"fq_codel target 1.0000000001s", "bad target '1.0000000001s'"},
    {"fq_codel target 0ms", "target '0ms' out of range 1..3600000000000 ns"},
    {"fq_codel target 3601s", "target '3601s' out of range"},
    {"fq_codel target 99999999999s", "bad target '99999999999s'"},
    {"fq_codel interval 0us", "interval '0us' out of range"},
    {"fq_codel interval", "'interval' needs a value"},
    {"fq_codel ecn noecn", "fq_codel: 'noecn' conflicts with 'ecn'"},
    {"fq_codel ecn ecn", "'ecn' given twice"},
    {"fq_codel memory_limit 4gb", "memory_limit '4gb' out of range 1..4294967295 bytes"},
    {"fq_codel memory_limit 32mbit", "bad memory_limit '32mbit' (missing or unknown unit"},
    {"fq_codel memory_limit abc", "bad memory_limit 'abc'"},
    {"fq_codel memory_limit 0", "memory_limit '0' out of range"},
    {"fq_codel drop_batch 0", "drop_batch '0' out of range"},
    /* shaper */
    {"shaper", "shaper: missing 'rate RATE'"},
    {"shaper rate 10mbit", "shaper: missing 'burst BYTES'"},
    {"shaper burst 32kb", "shaper: missing 'rate RATE'"},
    {"shaper rate 10 burst 32kb", "bad rate '10' (missing or unknown unit; expected RATE"},
    {"shaper rate 10furlongs burst 32kb", "bad rate '10furlongs'"},
    {"shaper rate 0bit burst 32kb", "rate '0bit' out of range 1..1000000000000 bit/s"},
    {"shaper rate 2tbit burst 32kb", "rate '2tbit' out of range"},
    {"shaper rate 10mbit burst 1000", "burst '1000' out of range 1514..1073741824 bytes"},
    {"shaper rate 10mbit burst 2gb", "burst '2gb' out of range"},
    {"shaper rate 10mbit burst", "'burst' needs a value"},
    {"shaper rate 10mbit rate 20mbit burst 2kb", "'rate' given twice"},
    {"shaper rate 10mbit burst 2kb ceil 20mbit", "shaper: unknown option 'ceil'"},
    /* bands */
    {"bands", "bands: missing band count N (1..8)"},
    {"bands 0", "bands: bands '0' out of range 1..8"},
    {"bands 9", "bands '9' out of range"},
    {"bands x", "bands: bad bands 'x'"},
    {"bands 3 map", "bands: 'map' needs a value"},
    {"bands 3 map foo:0", "bands: band map: unknown DSCP 'foo'"},
    {"bands 3 map ef:3", "band '3' in 'ef:3' out of range 0..2"},
    {"bands 3 map 4", "bands: map '4' is for 4 bands, not 3"},
    {"bands 3 weights 1", "bands: unknown option 'weights'"},
    {"bands 3 map ef:0 map cs1:1", "'map' given twice"},
    /* fifo */
    {"fifo limit", "fifo: 'limit' needs a value"},
    {"fifo limit 0", "fifo: limit '0' out of range"},
    {"fifo limit lots", "fifo: bad limit 'lots'"},
    {"fifo flows 3", "fifo: unknown option 'flows'"},
};

static void
test_every_error_names_the_bad_word_and_leaves_conf_untouched(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct qdisc_conf c, before;
		char err[256] = "";

		memset(&c, 0xa5, sizeof(c));
		before = c;
		if (parse(bad[i].line, &c, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i].line);
		if (strstr(err, bad[i].must_contain) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].line, err,
				 bad[i].must_contain);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void
test_bad_call_arguments(void **state)
{
	struct qdisc_conf c = {0};
	char *argv[] = {"fq_codel", NULL};
	char err[8];

	(void)state;
	assert_int_equal(qdisc_args_parse(1, argv, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(qdisc_args_parse(-1, argv, &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(qdisc_args_parse(1, NULL, &c, err, sizeof(err)), -EINVAL);
	/* A NULL word inside argc. */
	argv[0] = "fifo";
	argv[1] = NULL;
	assert_int_equal(qdisc_args_parse(2, argv, &c, NULL, 0), -EINVAL);
	/* No room for a message is fine; a short buffer is truncated and terminated. */
	assert_int_equal(parse("htb", &c, NULL, 0), -EINVAL);
	assert_int_equal(parse("htb", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fq_codel_defaults),
	    cmocka_unit_test(test_fq_codel_all_options),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test(test_shaper_fifo_and_bands),
	    cmocka_unit_test(test_every_error_names_the_bad_word_and_leaves_conf_untouched),
	    cmocka_unit_test(test_bad_call_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
