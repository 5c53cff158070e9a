/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [qdisc PORT] sections of the config file: the values each key takes
 * (the grammar of `cavctl qdisc set`, lib/sched qdisc_args), the default
 * for a port without a section, and every error as FILE:LINE: reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define MS UINT64_C(1000000)

static struct cav_config cfg;

/* Two ports, then the text (the qdisc section starts on line 5). */
static int
load(const char *qdisc_text, char *err, size_t errlen)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[port dpa]\n"
		 "device = net_null0\n"
		 "[port dpb]\n"
		 "device = net_null1\n"
		 "%s",
		 qdisc_text);
	return cav_config_parse("q.conf", text, &cfg, err, errlen);
}

static void
test_a_port_without_a_section_gets_fq_codel_defaults(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(load("", err, sizeof(err)), 0);
	for (unsigned int p = 0; p < 2; p++) {
		const struct qdisc_conf *q = &cfg.ports[p].qdisc;
		assert_int_equal(cfg.ports[p].qdisc_line, 0);
		assert_int_equal(q->kind, QDISC_KIND_FQ_CODEL);
		assert_int_equal(q->fq_codel.limit, 10240);
		assert_int_equal(q->fq_codel.flows, 1024);
		assert_int_equal(q->fq_codel.quantum, 1514);
		assert_int_equal(q->fq_codel.target_ns, 5 * MS);
		assert_int_equal(q->fq_codel.interval_ns, 100 * MS);
		assert_int_equal(q->fq_codel.memory_limit, 32u << 20);
		assert_true(q->fq_codel.ecn);
		assert_int_equal(q->shaper.rate_bps, 0);
	}
}

static void
test_every_fq_codel_key_and_the_shaper_are_read(void **state)
{
	(void)state;
	char err[256];
	int rc = load("[qdisc dpb]\n"
		      "kind = fq_codel\n"
		      "limit = 2000\n"
		      "flows = 256\n"
		      "quantum = 300\n"
		      "target = 2.5ms\n"
		      "interval = 50ms\n"
		      "ecn = no\n"
		      "memory_limit = 4mb\n"
		      "drop_batch = 16\n"
		      "shaper_rate = 10mbit\n"
		      "shaper_burst = 16kb\n",
		      err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	const struct qdisc_conf *q = &cfg.ports[1].qdisc;
	assert_int_equal(cfg.ports[1].qdisc_line, 5);
	assert_int_equal(cfg.ports[0].qdisc_line, 0);
	assert_int_equal(q->kind, QDISC_KIND_FQ_CODEL);
	assert_int_equal(q->fq_codel.limit, 2000);
	assert_int_equal(q->fq_codel.flows, 256);
	assert_int_equal(q->fq_codel.quantum, 300);
	assert_int_equal(q->fq_codel.target_ns, 2500000);
	assert_int_equal(q->fq_codel.interval_ns, 50 * MS);
	assert_false(q->fq_codel.ecn);
	assert_int_equal(q->fq_codel.memory_limit, 4u << 20);
	assert_int_equal(q->fq_codel.drop_batch, 16);
	assert_int_equal(q->shaper.rate_bps, 10000000);
	assert_int_equal(q->shaper.burst_bytes, 16384);
}

static void
test_fifo_and_bands(void **state)
{
	(void)state;
	char err[256];
	int rc = load("[qdisc dpa]\n"
		      "kind = fifo\n"
		      "limit = 1000\n"
		      "[qdisc dpb]\n"
		      "target = 10ms\n"
		      "bands = 4\n"
		      "band_map = ef:0 af41,cs4:1 cs1:3 default:2\n",
		      err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.ports[0].qdisc.kind, QDISC_KIND_FIFO);
	assert_int_equal(cfg.ports[0].qdisc.fifo.limit, 1000);
	const struct qdisc_conf *q = &cfg.ports[1].qdisc;
	assert_int_equal(q->kind, QDISC_KIND_BANDS);
	assert_int_equal(q->bands.bands, 4);
	assert_int_equal(q->bands.band[46], 0);
	assert_int_equal(q->bands.band[34], 1);
	assert_int_equal(q->bands.band[32], 1);
	assert_int_equal(q->bands.band[8], 3);
	assert_int_equal(q->bands.band[0], 2);
	/* Each band is an fq_codel with the section's parameters. */
	assert_int_equal(q->fq_codel.target_ns, 10 * MS);

	/* Bands without a map: the default map for that many bands. */
	rc = load("[qdisc dpb]\nbands = 3\n", err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.ports[1].qdisc.bands.band[46], 0);
	assert_int_equal(cfg.ports[1].qdisc.bands.band[0], 1);
	assert_int_equal(cfg.ports[1].qdisc.bands.band[8], 2);
}

static const struct {
	const char *text;
	const char *err; /* expected message, after "q.conf:" */
} bad[] = {
	{"[qdisc]\n", "5: a qdisc section needs a port name: [qdisc PORT]"},
	{"[qdisc nosuch]\n", "5: [qdisc nosuch]: no port named 'nosuch'"},
	{"[qdisc dpb]\n[qdisc dpb]\n", "6: [qdisc dpb] repeated (first at line 5)"},
	{"[qdisc dpb]\nlimit = 10\nlimit = 20\n", "7: duplicate key 'limit' (first at line 6)"},
	{"[qdisc dpb]\nkind = red\n", "6: kind: 'red' is not fq_codel or fifo"},
	{"[qdisc dpb]\nkind = shaper\n", "6: kind: 'shaper' is not fq_codel or fifo"},
	{"[qdisc dpb]\nceil = 1\n", "6: unknown key 'ceil' in [qdisc dpb]"},
	{"[qdisc dpb]\nlimit = 0\n", "6: [qdisc dpb] fq_codel: limit '0' out of range 1..1048576"},
	{"[qdisc dpb]\nlimit = 1.5\n", "6: [qdisc dpb] fq_codel: bad limit '1.5'"},
	{"[qdisc dpb]\nflows = 65537\n", "6: [qdisc dpb] fq_codel: flows '65537' out of range"},
	{"[qdisc dpb]\nquantum = 100\n", "6: [qdisc dpb] fq_codel: quantum '100' out of range 256"},
	{"[qdisc dpb]\ntarget = 5\n", "6: [qdisc dpb] fq_codel: bad target '5' (missing or unknown unit"},
	{"[qdisc dpb]\ninterval = 2h\n", "6: [qdisc dpb] fq_codel: bad interval '2h'"},
	{"[qdisc dpb]\nmemory_limit = 0\n", "6: [qdisc dpb] fq_codel: memory_limit '0' out of range"},
	{"[qdisc dpb]\ndrop_batch = 0\n", "6: [qdisc dpb] fq_codel: drop_batch '0' out of range"},
	{"[qdisc dpb]\nlimit = 10\ndrop_batch = 64\n", "5: [qdisc dpb] drop_batch 64 above limit 10"},
	{"[qdisc dpb]\necn = maybe\n", "6: ecn: 'maybe' is not yes or no"},
	{"[qdisc dpb]\nkind = fifo\nflows = 16\n", "7: [qdisc dpb] 'flows' does not apply to kind fifo"},
	{"[qdisc dpb]\nkind = fifo\necn = yes\n", "7: [qdisc dpb] 'ecn' does not apply to kind fifo"},
	{"[qdisc dpb]\nkind = fifo\nbands = 3\n", "7: [qdisc dpb] 'bands' does not apply to kind fifo"},
	{"[qdisc dpb]\nkind = fifo\nlimit = 0\n", "7: [qdisc dpb] fifo: limit '0' out of range"},
	{"[qdisc dpb]\nshaper_rate = 10\nshaper_burst = 16kb\n",
	 "6: [qdisc dpb] shaper: bad rate '10' (missing or unknown unit"},
	{"[qdisc dpb]\nshaper_rate = 0bit\nshaper_burst = 16kb\n",
	 "6: [qdisc dpb] shaper: rate '0bit' out of range"},
	{"[qdisc dpb]\nshaper_rate = 10mbit\nshaper_burst = 1000\n",
	 "7: [qdisc dpb] shaper: burst '1000' out of range 1514..1073741824 bytes"},
	{"[qdisc dpb]\nshaper_rate = 10mbit\n",
	 "6: [qdisc dpb] shaper_rate and shaper_burst go together"},
	{"[qdisc dpb]\nshaper_burst = 16kb\n",
	 "6: [qdisc dpb] shaper_rate and shaper_burst go together"},
	{"[qdisc dpb]\nbands = 9\n", "6: [qdisc dpb] bands: bands '9' out of range 1..8"},
	{"[qdisc dpb]\nband_map = ef:0\n", "6: [qdisc dpb] band_map needs 'bands'"},
	{"[qdisc dpb]\nbands = 3\nband_map = xx:0\n", "7: [qdisc dpb] bands: band map: unknown DSCP 'xx'"},
	{"[qdisc dpb]\nbands = 3\nband_map = ef:3\n", "7: [qdisc dpb] bands: band map: band '3' in 'ef:3' out of range 0..2"},
	{"[qdisc dpb]\nbands = 3\nband_map = 2 ef:0\n", "7: [qdisc dpb] bands: map '2 ef:0' is for 2 bands, not 3"},
};

static void
test_every_bad_value_names_its_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256], want[256];
		if (load(bad[i].text, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i].text);
		snprintf(want, sizeof(want), "q.conf:%s", bad[i].err);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("for\n%sgot  '%s'\nwant '%s...'", bad[i].text, err, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_port_without_a_section_gets_fq_codel_defaults),
		cmocka_unit_test(test_every_fq_codel_key_and_the_shaper_are_read),
		cmocka_unit_test(test_fifo_and_bands),
		cmocka_unit_test(test_every_bad_value_names_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
