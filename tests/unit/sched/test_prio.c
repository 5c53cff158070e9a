/* SPDX-License-Identifier: BSD-3-Clause */
/* DSCP priority bands (prio.h): the map, its parser, strict priority, accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_pkt.h"
#include "prio.h"

#define DSCP_AF41 34u

static void
test_default_map_puts_ef_cs6_cs7_first_and_cs1_last(void **state)
{
	struct prio_map m;
	unsigned d;

	(void)state;
	prio_map_default(&m, 3);
	assert_int_equal(m.bands, 3);
	for (d = 0; d < PRIO_DSCP_COUNT; d++) {
		unsigned want = 1;

		if (d == PRIO_DSCP_EF || d == PRIO_DSCP_CS6 || d == PRIO_DSCP_CS7)
			want = 0;
		else if (d == PRIO_DSCP_CS1)
			want = 2;
		assert_int_equal(m.band[d], want);
	}
}

static void
test_default_map_with_two_bands_keeps_cs1_with_best_effort(void **state)
{
	struct prio_map m;

	(void)state;
	prio_map_default(&m, 2);
	assert_int_equal(m.band[PRIO_DSCP_CS1], 1);
	assert_int_equal(m.band[PRIO_DSCP_EF], 0);
	assert_int_equal(m.band[0], 1);
	prio_map_default(&m, 1);
	assert_int_equal(m.band[PRIO_DSCP_EF], 0);
	assert_int_equal(m.band[0], 0);
	prio_map_default(&m, 99);
	assert_int_equal(m.bands, PRIO_BANDS_MAX);
}

static void
test_parse_reproduces_the_default_map(void **state)
{
	struct prio_map want, got;
	char err[128] = "";

	(void)state;
	prio_map_default(&want, 3);
	memset(&got, 0xff, sizeof(got));
	assert_int_equal(prio_map_parse("3 ef,cs6,cs7:0 cs1:2 default:1", &got, err, sizeof(err)),
			 0);
	assert_memory_equal(&got, &want, sizeof(want));
	/* Case, extra blanks and item order do not matter. */
	assert_int_equal(
	    prio_map_parse("  3\tDEFAULT:1  CS1:2 EF,Cs6,cS7:0 ", &got, err, sizeof(err)), 0);
	assert_memory_equal(&got, &want, sizeof(want));
}

static void
test_parse_names_and_numbers(void **state)
{
	struct prio_map m;
	char err[128];

	(void)state;
	assert_int_equal(
	    prio_map_parse("8 af11:1 af43:2 va:3 le:7 be:4 63:5 10,12:6", &m, err, sizeof(err)),
	    -EINVAL); /* af11 == 10: listed twice */
	assert_non_null(strstr(err, "'10'"));
	assert_int_equal(
	    prio_map_parse("8 af11:1 af43:2 va:3 le:7 be:4 63:5 cs2:6", &m, err, sizeof(err)), 0);
	assert_int_equal(m.bands, 8);
	assert_int_equal(m.band[10], 1);
	assert_int_equal(m.band[38], 2);
	assert_int_equal(m.band[44], 3);
	assert_int_equal(m.band[1], 7);
	assert_int_equal(m.band[0], 4);
	assert_int_equal(m.band[63], 5);
	assert_int_equal(m.band[16], 6);
	assert_int_equal(m.band[PRIO_DSCP_EF], 1); /* unlisted: default 1 */

	/* Without a count the map's current band count is used. */
	prio_map_default(&m, 2);
	assert_int_equal(prio_map_parse("ef:0 default:1", &m, err, sizeof(err)), 0);
	assert_int_equal(m.bands, 2);
	assert_int_equal(prio_map_parse("1", &m, err, sizeof(err)), 0);
	assert_int_equal(m.bands, 1);
	assert_int_equal(m.band[PRIO_DSCP_EF], 0);
}

struct bad_map {
	const char *str;
	const char *must_contain;
};

static void
test_parse_rejects_bad_maps_with_a_clear_message(void **state)
{
	static const struct bad_map bad[] = {
	    {"", "empty"},
	    {"   ", "empty"},
	    {"0 ef:0", "'0' out of range 1..8"},
	    {"9 ef:0", "'9' out of range 1..8"},
	    {"3 ef", "'ef' is not DSCPS:BAND"},
	    {"3 ef:", "bad band '' in 'ef:'"},
	    {"3 ef:x", "bad band 'x'"},
	    {"3 ef:3", "band '3' in 'ef:3' out of range 0..2"},
	    {"3 ef:-1", "bad band '-1'"},
	    {"3 foo:0", "unknown DSCP 'foo'"},
	    {"3 64:0", "unknown DSCP '64'"},
	    {"3 cs8:0", "unknown DSCP 'cs8'"},
	    {"3 af44:0", "unknown DSCP 'af44'"},
	    {"3 af51:0", "unknown DSCP 'af51'"},
	    {"3 :0", "empty DSCP in ':0'"},
	    {"3 ef,:0", "empty DSCP in 'ef,:0'"},
	    {"3 ,ef:0", "empty DSCP in ',ef:0'"},
	    {"3 ef:0 ef:1", "DSCP 'ef' (46) mapped twice"},
	    {"3 ef:0 46:1", "DSCP '46' (46) mapped twice"},
	    {"3 default:0 default:1", "'default' given twice"},
	    {"3 ef:0 4", "'4' is not DSCPS:BAND"},
	    {"3 ef:0:1", "bad band '0:1'"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prio_map m, before;
		char err[160] = "";

		prio_map_default(&m, 3);
		before = m;
		if (prio_map_parse(bad[i].str, &m, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i].str);
		if (strstr(err, bad[i].must_contain) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].str, err,
				 bad[i].must_contain);
		assert_memory_equal(&m, &before, sizeof(m));
	}
}

static void
test_parse_without_count_needs_a_valid_band_count(void **state)
{
	struct prio_map m;
	char err[128] = "";

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(prio_map_parse("ef:0", &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no band count"));
	assert_int_equal(prio_map_parse(NULL, &m, err, sizeof(err)), -EINVAL);
	/* No message buffer is fine. */
	assert_int_equal(prio_map_parse("3 bogus:0", &m, NULL, 0), -EINVAL);
}

struct prio_test {
	struct fake_pool pool;
	struct prio *p;
};

static struct prio_test *
prio_setup(unsigned bands)
{
	struct prio_test *t = calloc(1, sizeof(*t));
	struct fq_codel_params fp;
	struct prio_map m;

	assert_non_null(t);
	prio_map_default(&m, bands);
	fq_codel_params_default(&fp);
	fp.ops.free = fake_pkt_free;
	fp.ops.mark_ce = fake_pkt_mark_ce;
	t->p = prio_create(&m, &fp);
	assert_non_null(t->p);
	return t;
}

static void
prio_teardown(struct prio_test *t)
{
	t->pool.teardown = true;
	prio_free(t->p);
	assert_true(fake_pool_balanced(&t->pool));
	free(t);
}

static int
enq(struct prio_test *t, uint8_t dscp, uint32_t hash)
{
	return prio_enqueue(t->p, fake_pkt_new(&t->pool, dscp, 1000, ECN_NOT_ECT), 1000, hash, dscp,
			    0);
}

/* Dequeue one; returns its DSCP (kept in fake_pkt.flow) or -1, checks the band. */
static int
deq(struct prio_test *t)
{
	unsigned band = 99;
	uint32_t len = 0;
	struct fake_pkt *p = prio_dequeue(t->p, 0, &len, &band);
	int dscp;

	if (p == NULL)
		return -1;
	assert_int_equal(len, 1000);
	assert_int_equal(band, prio_band_of(t->p, (uint8_t)p->flow));
	dscp = (int)p->flow;
	fake_pkt_consume(p);
	return dscp;
}

static void
test_band0_is_served_before_band1(void **state)
{
	struct prio_test *t = prio_setup(3);
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(enq(t, 0, (uint32_t)i << 22), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(enq(t, PRIO_DSCP_CS1, 0), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(enq(t, PRIO_DSCP_EF, (uint32_t)i << 22), 0);
	assert_int_equal(prio_backlog(t->p, NULL), 20);

	for (i = 0; i < 5; i++)
		assert_int_equal(deq(t), PRIO_DSCP_EF);
	/* Band 0 empty: band 1, but a new EF packet jumps ahead at once. */
	assert_int_equal(deq(t), 0);
	assert_int_equal(enq(t, PRIO_DSCP_CS6, 0), 0);
	assert_int_equal(deq(t), PRIO_DSCP_CS6);
	for (i = 0; i < 9; i++)
		assert_int_equal(deq(t), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(deq(t), PRIO_DSCP_CS1);
	assert_int_equal(deq(t), -1);
	prio_teardown(t);
}

static void
test_bands_have_their_own_fq_codel(void **state)
{
	struct prio_test *t = prio_setup(3);
	struct fq_codel_stats st;
	uint64_t bytes;

	(void)state;
	assert_int_equal(prio_bands(t->p), 3);
	enq(t, DSCP_AF41, 0);
	enq(t, PRIO_DSCP_CS7, 0);
	assert_int_equal(prio_backlog(t->p, &bytes), 2);
	assert_int_equal(bytes, 2000);
	fq_codel_stats_get(prio_band(t->p, 0), &st);
	assert_int_equal(st.backlog_packets, 1);
	fq_codel_stats_get(prio_band(t->p, 1), &st);
	assert_int_equal(st.backlog_packets, 1);
	fq_codel_stats_get(prio_band(t->p, 2), &st);
	assert_int_equal(st.backlog_packets, 0);
	assert_null(prio_band(t->p, 3));
	/* Packets still queued are freed by prio_free(). */
	prio_teardown(t);
}

static void
test_enqueue_rejects_dscp_above_63(void **state)
{
	struct prio_test *t = prio_setup(3);
	struct fake_pkt *p = fake_pkt_new(&t->pool, 0, 1000, ECN_NOT_ECT);

	(void)state;
	assert_int_equal(prio_enqueue(t->p, p, 1000, 0, 64, 0), -EINVAL);
	/* Not taken: the caller still owns it. */
	t->pool.allocated--;
	free(p);
	assert_int_equal(prio_band_of(t->p, 64 + PRIO_DSCP_EF), 0);
	prio_teardown(t);
}

static void
test_create_rejects_bad_map_or_params(void **state)
{
	struct fq_codel_params fp;
	struct prio_map m;

	(void)state;
	fq_codel_params_default(&fp);
	fp.ops.free = fake_pkt_free;
	prio_map_default(&m, 3);
	m.band[5] = 3;
	errno = 0;
	assert_null(prio_create(&m, &fp));
	assert_int_equal(errno, EINVAL);
	prio_map_default(&m, 3);
	m.bands = 0;
	assert_null(prio_create(&m, &fp));
	prio_map_default(&m, 3);
	fp.ops.free = NULL;
	errno = 0;
	assert_null(prio_create(&m, &fp));
	assert_int_equal(errno, EINVAL);
	assert_null(prio_create(NULL, &fp));
	prio_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_map_puts_ef_cs6_cs7_first_and_cs1_last),
	    cmocka_unit_test(test_default_map_with_two_bands_keeps_cs1_with_best_effort),
	    cmocka_unit_test(test_parse_reproduces_the_default_map),
	    cmocka_unit_test(test_parse_names_and_numbers),
	    cmocka_unit_test(test_parse_rejects_bad_maps_with_a_clear_message),
	    cmocka_unit_test(test_parse_without_count_needs_a_valid_band_count),
	    cmocka_unit_test(test_band0_is_served_before_band1),
	    cmocka_unit_test(test_bands_have_their_own_fq_codel),
	    cmocka_unit_test(test_enqueue_rejects_dscp_above_63),
	    cmocka_unit_test(test_create_rejects_bad_map_or_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
