/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table of lib/tcpdp: per-worker slices, the 4-tuple hash,
 * and what the glue does with them (a TIME_WAIT connection's tuple reused
 * by a new connection once the old one is unhashed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eal_fixture.h"
#include "tcpdp.h"

#define MAX 64
#define WORKERS 2

struct fx {
	struct tcpdp_table *t;
	struct tcpdp_slice sl[WORKERS];
};

static int
setup(void **state)
{
	static struct fx f;
	char err[256];
	f.t = tcpdp_table_create(MAX, WORKERS, NULL, 0, err, sizeof(err));
	if (f.t == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (unsigned int w = 0; w < WORKERS; w++)
		tcpdp_slice_init(f.t, w, &f.sl[w]);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	tcpdp_table_free(f->t);
	return 0;
}

static struct tcp_tuple
tuple(uint16_t rport)
{
	return (struct tcp_tuple){.laddr = 0xc6120001, .raddr = 0xc6120002, .lport = 80,
				  .rport = rport};
}

static struct tcpdp_conn *
open_conn(struct fx *f, unsigned int w, uint16_t rport, int *rc)
{
	struct tcpdp_conn *c = tcpdp_conn_alloc(f->t, &f->sl[w]);
	if (c == NULL)
		return NULL;
	c->pcb.tuple = tuple(rport);
	*rc = tcpdp_conn_hash(f->t, c);
	return c;
}

static void
test_insert_lookup_remove(void **state)
{
	struct fx *f = *state;
	int rc;
	struct tcpdp_conn *c = open_conn(f, 0, 1000, &rc);
	assert_non_null(c);
	assert_int_equal(rc, 0);
	assert_true(c->used);
	assert_int_equal(c->owner, 0);
	assert_int_equal(c->sock_id, TCPDP_SOCK_NONE);
	struct tcp_tuple k = tuple(1000);
	assert_ptr_equal(tcpdp_lookup(f->t, &k), c);
	/* Another tuple is not found; the reverse direction is another key. */
	k.rport = 1001;
	assert_null(tcpdp_lookup(f->t, &k));
	struct tcp_tuple rev = {.laddr = 0xc6120002, .raddr = 0xc6120001, .lport = 1000,
				.rport = 80};
	assert_null(tcpdp_lookup(f->t, &rev));
	tcpdp_conn_unhash(f->t, c);
	k.rport = 1000;
	assert_null(tcpdp_lookup(f->t, &k));
	assert_false(c->hashed);
	tcpdp_conn_free(f->t, &f->sl[0], c);
	assert_false(c->used);
	assert_int_equal(f->sl[0].in_use, 0);
}

static void
test_duplicate_tuple_refused(void **state)
{
	struct fx *f = *state;
	int rc;
	struct tcpdp_conn *a = open_conn(f, 0, 2000, &rc);
	assert_int_equal(rc, 0);
	/* The same 4-tuple from another worker: taken. */
	struct tcpdp_conn *b = open_conn(f, 1, 2000, &rc);
	assert_non_null(b);
	assert_int_equal(rc, -EEXIST);
	assert_false(b->hashed);
	struct tcp_tuple k = tuple(2000);
	assert_ptr_equal(tcpdp_lookup(f->t, &k), a);
	tcpdp_conn_free(f->t, &f->sl[1], b);
	tcpdp_conn_free(f->t, &f->sl[0], a); /* unhashes too */
	assert_null(tcpdp_lookup(f->t, &k));
}

static void
test_slices_are_disjoint_and_bounded(void **state)
{
	struct fx *f = *state;
	struct tcpdp_conn *got[WORKERS][MAX];
	unsigned int n[WORKERS] = {0};
	for (unsigned int w = 0; w < WORKERS; w++) {
		struct tcpdp_conn *c;
		while ((c = tcpdp_conn_alloc(f->t, &f->sl[w])) != NULL) {
			assert_int_equal(c->owner, w);
			assert_true(c->idx >= f->sl[w].base && c->idx < f->sl[w].base + f->sl[w].n);
			got[w][n[w]++] = c;
			assert_true(n[w] <= MAX / WORKERS);
		}
		assert_int_equal(n[w], MAX / WORKERS);
		assert_int_equal(f->sl[w].in_use, MAX / WORKERS);
	}
	/* A freed connection is the next one handed out. */
	struct tcpdp_conn *c = got[1][5];
	tcpdp_conn_free(f->t, &f->sl[1], c);
	assert_ptr_equal(tcpdp_conn_alloc(f->t, &f->sl[1]), c);
	for (unsigned int w = 0; w < WORKERS; w++)
		for (unsigned int i = 0; i < n[w]; i++)
			tcpdp_conn_free(f->t, &f->sl[w], got[w][i]);
	assert_int_equal(f->sl[0].in_use + f->sl[1].in_use, 0);
}

/*
 * A TIME_WAIT connection keeps its tuple: a new connection of the same
 * tuple is refused while it is hashed; once the glue closes it (the core's
 * TCP_EV_CLOSED for a TIME_WAIT reuse: unhash, free after the walk) the
 * new one takes the tuple, and the lookup finds the new one only.
 */
static void
test_time_wait_tuple_reuse(void **state)
{
	struct fx *f = *state;
	int rc;
	struct tcpdp_conn *old = open_conn(f, 0, 3000, &rc);
	assert_int_equal(rc, 0);
	old->pcb.state = TCPS_TIME_WAIT;
	struct tcpdp_conn *nw = open_conn(f, 0, 3000, &rc);
	assert_int_equal(rc, -EEXIST);
	tcpdp_conn_unhash(f->t, old); /* TCP_EV_CLOSED */
	assert_int_equal(tcpdp_conn_hash(f->t, nw), 0);
	struct tcp_tuple k = tuple(3000);
	assert_ptr_equal(tcpdp_lookup(f->t, &k), nw);
	/* Freeing the old one later (end of the walk) leaves the new key. */
	tcpdp_conn_free(f->t, &f->sl[0], old);
	assert_ptr_equal(tcpdp_lookup(f->t, &k), nw);
	tcpdp_conn_free(f->t, &f->sl[0], nw);
	assert_null(tcpdp_lookup(f->t, &k));
}

/* Many tuples in and out: the hash never loses or invents one. */
static void
test_churn(void **state)
{
	struct fx *f = *state;
	struct tcpdp_conn *live[MAX / WORKERS] = {0};
	uint32_t seed = 12345; /* printed by the assertion messages' context */
	for (unsigned int round = 0; round < 20000; round++) {
		seed = seed * 1103515245u + 12345u;
		unsigned int i = (seed >> 16) % (MAX / WORKERS);
		struct tcp_tuple k = tuple((uint16_t)(10000 + i));
		if (live[i] == NULL) {
			int rc;
			live[i] = open_conn(f, 0, (uint16_t)(10000 + i), &rc);
			assert_non_null(live[i]);
			assert_int_equal(rc, 0);
			assert_ptr_equal(tcpdp_lookup(f->t, &k), live[i]);
		} else {
			tcpdp_conn_free(f->t, &f->sl[0], live[i]);
			live[i] = NULL;
			assert_null(tcpdp_lookup(f->t, &k));
		}
	}
	for (unsigned int i = 0; i < MAX / WORKERS; i++)
		if (live[i] != NULL)
			tcpdp_conn_free(f->t, &f->sl[0], live[i]);
	assert_int_equal(f->sl[0].in_use, 0);
}

int
main(void)
{
	if (test_eal_init("tcpdp") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_lookup_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_tuple_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slices_are_disjoint_and_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_tuple_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_eal_cleanup();
	return rc;
}
