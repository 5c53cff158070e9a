/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 6's socket options on the daemon's side (lib/session): the main
 * lcore validates SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT,
 * TCP_USER_TIMEOUT and TCP_CONGESTION with Linux's ranges and errno,
 * stores them in the socket, and tells the owner worker of a connection
 * (SESS_CMD_SETOPT) -- never of a socket with no connection yet, which
 * hands them over at connect. A new stream socket starts with the
 * configured congestion control; an accepted socket copies its
 * listener's options (Linux sk_clone_lock), which lib/tcpdp then applies
 * to the connection. EAL without hugepages (rte_ring, rte_malloc).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp.h"
#include "eal_fixture.h"
#include "sess_fixture.h"
#include "sess_priv.h"
#include "tcp.h"

#define SEG_SIZE (8u << 20)

static struct {
	struct dp_shared sh;
	struct dp_worker wk;
	struct sess_worker *sw;
	struct sess_table *t;
	struct sess_client *c;
	void *seg;
} F;

static int
setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.sh.n_workers = 1;
	F.sw = rte_zmalloc("sw", sizeof(*F.sw), 64);
	F.t = rte_zmalloc("sess", sizeof(*F.t), 64);
	F.seg = aligned_alloc(4096, SEG_SIZE);
	if (F.sw == NULL || F.t == NULL || F.seg == NULL)
		return -1;
	F.sw->cmd = rte_ring_create_elem("cmd_sockopt", sizeof(struct sess_cmd), 64, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (F.sw->cmd == NULL)
		return -1;
	F.wk.sh = &F.sh;
	F.wk.sess = F.sw;
	F.sh.workers[0] = &F.wk;
	F.t->sh = &F.sh;
	F.t->n_workers = 1;
	/* As sess_create resolves [tcp] congestion = reno. */
	F.t->cc_default = &tcp_cc_reno;
	rte_spinlock_init(&F.t->alloc_lock);
	return sess_fixture_client(F.t, F.seg, SEG_SIZE, &F.c);
}

static int
teardown(void **state)
{
	(void)state;
	rte_ring_free(F.sw->cmd);
	free(F.c->slot_sock);
	free(F.seg);
	rte_free(F.t);
	rte_free(F.sw);
	return 0;
}

static struct sess_sock *
new_sock(uint32_t type)
{
	uint32_t slot;
	assert_int_equal(sess_sock_create(F.t, F.c, type, &slot), 0);
	return &F.t->socks[F.c->slot_sock[slot] - 1];
}

/* The commands posted to the owner since the last call: their count, the
 * last one's option in *opt. */
static unsigned int
cmds(uint32_t *opt)
{
	struct sess_cmd c;
	unsigned int n = 0;
	while (rte_ring_sc_dequeue_elem(F.sw->cmd, &c, sizeof(c)) == 0) {
		assert_int_equal(c.op, SESS_CMD_SETOPT);
		*opt = c.arg;
		n++;
	}
	return n;
}

static void
test_ranges_and_errno(void **state)
{
	(void)state;
	static const struct {
		uint32_t opt, bad_lo, bad_hi, good;
	} t[] = {
	    {CAV_OPT_KEEPIDLE, 0, 32768, 60},
	    {CAV_OPT_KEEPINTVL, 0, 32768, 5},
	    {CAV_OPT_KEEPCNT, 0, 128, 127},
	    {CAV_OPT_USER_TIMEOUT, UINT32_MAX, 0x80000000u, 0}, /* negative ints */
	};
	struct sess_sock *s = new_sock(CAV_SOCK_STREAM);
	struct sess_sock *u = new_sock(CAV_SOCK_DGRAM);
	uint32_t opt = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int32_t res = -1;
		assert_int_equal(sess_sock_setopt(F.t, s, t[i].opt, t[i].bad_lo, &res), EINVAL);
		assert_int_equal(sess_sock_setopt(F.t, s, t[i].opt, t[i].bad_hi, &res), EINVAL);
		assert_int_equal(sess_sock_setopt(F.t, s, t[i].opt, t[i].good, &res), 0);
		assert_int_equal(res, (int32_t)t[i].good);
		uint32_t v = 12345;
		assert_int_equal(sess_sock_getopt(F.t, s, t[i].opt, &v), 0);
		assert_int_equal(v, t[i].good);
		/* A datagram socket has no TCP level. */
		assert_int_equal(sess_sock_setopt(F.t, u, t[i].opt, t[i].good, &res), ENOPROTOOPT);
	}
	/* No connection: nothing posted (connect hands them over). */
	assert_int_equal(cmds(&opt), 0);
	assert_int_equal(sess_sock_set_congestion(F.t, u, "reno"), ENOPROTOOPT);
	assert_null(sess_sock_congestion(u));
}

static void
test_congestion_default_and_names(void **state)
{
	(void)state;
	struct sess_sock *s = new_sock(CAV_SOCK_STREAM);
	assert_ptr_equal(s->cc, &tcp_cc_reno); /* the configured default */
	assert_string_equal(sess_sock_congestion(s), "reno");
	assert_int_equal(sess_sock_set_congestion(F.t, s, "bogus"), ENOENT);
	assert_int_equal(sess_sock_set_congestion(F.t, s, ""), ENOENT);
	assert_ptr_equal(s->cc, &tcp_cc_reno); /* a refused name changes nothing */
	assert_int_equal(sess_sock_set_congestion(F.t, s, "cubic"), 0);
	assert_string_equal(sess_sock_congestion(s), "cubic");
	uint32_t opt = 0;
	assert_int_equal(cmds(&opt), 0);
}

static void
test_connection_is_told(void **state)
{
	(void)state;
	struct sess_sock *s = new_sock(CAV_SOCK_STREAM);
	s->phase = SESS_TCP_CONN; /* as after connect() */
	int32_t res;
	uint32_t opt = 0;
	static const uint32_t set[][2] = {
	    {CAV_OPT_KEEPALIVE, 1}, {CAV_OPT_KEEPIDLE, 30},	  {CAV_OPT_KEEPINTVL, 3},
	    {CAV_OPT_KEEPCNT, 4},   {CAV_OPT_USER_TIMEOUT, 2000},
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		assert_int_equal(sess_sock_setopt(F.t, s, set[i][0], set[i][1], &res), 0);
		assert_int_equal(cmds(&opt), 1);
		assert_int_equal(opt, set[i][0]);
	}
	/* A refused value is not posted. */
	assert_int_equal(sess_sock_setopt(F.t, s, CAV_OPT_KEEPCNT, 0, &res), EINVAL);
	assert_int_equal(cmds(&opt), 0);
	assert_int_equal(sess_sock_set_congestion(F.t, s, "cubic"), 0);
	assert_int_equal(cmds(&opt), 1);
	assert_int_equal(opt, CAV_OPT_CONGESTION);
	assert_int_equal(sess_sock_set_congestion(F.t, s, "nope"), ENOENT);
	assert_int_equal(cmds(&opt), 0);
	assert_true(s->keepalive);
	assert_int_equal(s->keepidle, 30);
	assert_int_equal(s->keepintvl, 3);
	assert_int_equal(s->keepcnt, 4);
	assert_int_equal(s->user_timeout, 2000);
}

static void
test_accepted_socket_inherits(void **state)
{
	(void)state;
	struct sess_sock *l = new_sock(CAV_SOCK_STREAM);
	int32_t res;
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_KEEPALIVE, 1, &res), 0);
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_KEEPIDLE, 11, &res), 0);
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_KEEPINTVL, 2, &res), 0);
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_KEEPCNT, 5, &res), 0);
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_USER_TIMEOUT, 700, &res), 0);
	assert_int_equal(sess_sock_set_congestion(F.t, l, "cubic"), 0);
	l->phase = SESS_TCP_LISTEN;
	struct sess_sock *a = sess_accept_alloc(F.t, l, 0, 0xc6120001, 80, 0xc6120002, 40000);
	assert_non_null(a);
	assert_true(a->keepalive);
	assert_int_equal(a->keepidle, 11);
	assert_int_equal(a->keepintvl, 2);
	assert_int_equal(a->keepcnt, 5);
	assert_int_equal(a->user_timeout, 700);
	assert_ptr_equal(a->cc, &tcp_cc_cubic); /* not the default (reno) */
	/* A listener with nothing set passes the defaults on. */
	struct sess_sock *l2 = new_sock(CAV_SOCK_STREAM);
	l2->phase = SESS_TCP_LISTEN;
	struct sess_sock *a2 = sess_accept_alloc(F.t, l2, 0, 0xc6120001, 81, 0xc6120002, 40001);
	assert_non_null(a2);
	assert_false(a2->keepalive);
	assert_int_equal(a2->keepidle, 0);
	assert_int_equal(a2->user_timeout, 0);
	assert_ptr_equal(a2->cc, &tcp_cc_reno);
}

/* IP_MTU_DISCOVER: WANT at creation for both kinds, 0..5 accepted (UDP
 * too, as Linux), a connection told, an accepted socket inherits it. */
static void
test_mtu_discover(void **state)
{
	(void)state;
	struct sess_sock *s = new_sock(CAV_SOCK_STREAM);
	struct sess_sock *u = new_sock(CAV_SOCK_DGRAM);
	uint32_t v = 99, opt = 0;
	int32_t res = -1;
	assert_int_equal(sess_sock_getopt(F.t, s, CAV_OPT_MTU_DISCOVER, &v), 0);
	assert_int_equal(v, IP_PMTUDISC_WANT);
	assert_int_equal(sess_sock_getopt(F.t, u, CAV_OPT_MTU_DISCOVER, &v), 0);
	assert_int_equal(v, IP_PMTUDISC_WANT);
	assert_int_equal(sess_sock_setopt(F.t, s, CAV_OPT_MTU_DISCOVER, IP_PMTUDISC_OMIT + 1, &res),
			 EINVAL);
	assert_int_equal(sess_sock_setopt(F.t, u, CAV_OPT_MTU_DISCOVER, IP_PMTUDISC_DO, &res), 0);
	assert_int_equal(sess_sock_getopt(F.t, u, CAV_OPT_MTU_DISCOVER, &v), 0);
	assert_int_equal(v, IP_PMTUDISC_DO);
	assert_int_equal(cmds(&opt), 0);
	s->phase = SESS_TCP_CONN;
	assert_int_equal(sess_sock_setopt(F.t, s, CAV_OPT_MTU_DISCOVER, IP_PMTUDISC_DONT, &res), 0);
	assert_int_equal(res, IP_PMTUDISC_DONT);
	assert_int_equal(cmds(&opt), 1);
	assert_int_equal(opt, CAV_OPT_MTU_DISCOVER);
	struct sess_sock *l = new_sock(CAV_SOCK_STREAM);
	assert_int_equal(sess_sock_setopt(F.t, l, CAV_OPT_MTU_DISCOVER, IP_PMTUDISC_PROBE, &res), 0);
	l->phase = SESS_TCP_LISTEN;
	struct sess_sock *a = sess_accept_alloc(F.t, l, 0, 0xc6120001, 82, 0xc6120002, 40002);
	assert_non_null(a);
	assert_int_equal(a->pmtudisc, IP_PMTUDISC_PROBE);
}

int
main(void)
{
	if (test_eal_init("sessopt") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ranges_and_errno, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_congestion_default_and_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connection_is_told, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accepted_socket_inherits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mtu_discover, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_eal_cleanup();
	return rc;
}
